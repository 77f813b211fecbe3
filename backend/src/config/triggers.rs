//! What a `[[services.capture_triggers]]` entry may name: the metric it watches and a kind
//! the hub takes from an instance.

use serde::{Deserialize, Deserializer, Serialize};
use types::CaptureKind;

/// What a capture trigger watches, at each scrape.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(try_from = "String", into = "&'static str")]
pub enum TriggerMetric {
    /// 0 to 1: busy workers over the pool's size.
    PoolUtilisation,
}

impl TriggerMetric {
    pub const ALL: [TriggerMetric; 1] = [TriggerMetric::PoolUtilisation];

    pub fn as_str(self) -> &'static str {
        match self {
            TriggerMetric::PoolUtilisation => "pool_utilisation",
        }
    }
}

impl std::fmt::Display for TriggerMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl TryFrom<String> for TriggerMetric {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        TriggerMetric::ALL.into_iter().find(|m| m.as_str() == s).ok_or_else(|| {
            let all: Vec<&str> = TriggerMetric::ALL.iter().map(|m| m.as_str()).collect();
            format!("services.capture_triggers.metric: {s:?} must be one of {}", all.join(", "))
        })
    }
}

impl From<TriggerMetric> for &'static str {
    fn from(m: TriggerMetric) -> Self {
        m.as_str()
    }
}

/// A kind the hub takes from an instance (not an upload kind).
pub(super) fn taken_kind<'de, D: Deserializer<'de>>(d: D) -> Result<CaptureKind, D::Error> {
    let text = String::deserialize(d)?;
    text.parse::<CaptureKind>().ok().filter(|k| !k.is_upload()).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "services.capture_triggers.kind: {text:?} must be {}",
            CaptureKind::list(&CaptureKind::TAKEN)
        ))
    })
}
