//! Alerts as the API and the pages report them.

use serde::{Deserialize, Serialize};

/// `pending` (the condition holds, not yet for its `for`), `firing`, `resolved`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    Pending,
    Firing,
    Resolved,
}

impl AlertState {
    pub const ALL: [AlertState; 3] = [AlertState::Pending, AlertState::Firing, AlertState::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Pending => "pending",
            AlertState::Firing => "firing",
            AlertState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<AlertState> {
        AlertState::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// Which alerts a list shows: `?state=` of the page and the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertFilter {
    All,
    In(AlertState),
    /// Firing or pending with a running silence that matches.
    Silenced,
}

impl AlertFilter {
    /// "" (all), a state, or `silenced`; anything else says what is allowed.
    pub fn parse(s: &str) -> Result<AlertFilter, String> {
        match s {
            "" => Ok(AlertFilter::All),
            "silenced" => Ok(AlertFilter::Silenced),
            s => AlertState::parse(s)
                .map(AlertFilter::In)
                .ok_or_else(|| format!("state must be pending, firing, resolved or silenced, not {s:?}")),
        }
    }
}

/// One value an attribute takes among the failing events, against the baseline before them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ContextRow {
    pub attribute: String,
    pub value: String,
    /// Its share of the failing events in the alert's window, 0..1.
    pub failing_share: f64,
    /// Its share of all events in the baseline before the window, 0..1 (null: the baseline
    /// does not carry this attribute).
    pub baseline_share: Option<f64>,
    /// failing_share / baseline_share.
    pub lift: Option<f64>,
}

impl ContextRow {
    /// "user_group=pro: 96 % of errors, 21 % of traffic".
    pub fn sentence(&self) -> String {
        let failing =
            format!("{}={}: {:.0} % of errors", self.attribute, self.value, self.failing_share * 100.0);
        match self.baseline_share {
            Some(b) => format!("{failing}, {:.0} % of traffic", b * 100.0),
            None => failing,
        }
    }
}

/// `GET /api/v1/alerts`: one episode of a rule on a service.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertView {
    pub id: i64,
    pub rule: String,
    pub service: String,
    pub state: AlertState,
    pub severity: String,
    /// The signal's latest value while pending or firing; at resolution, its last bad value.
    pub value: Option<f64>,
    pub threshold: Option<f64>,
    /// The signal, and how it compares ("above", "below", "anomaly").
    pub signal: String,
    pub comparison: String,
    /// The first bad sample's time.
    pub onset_ms: i64,
    pub fired_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    /// What the failing events have in common, most over-represented first.
    pub context: Vec<ContextRow>,
    /// Example trace ids of failing events.
    pub traces: Vec<String>,
    pub worst_instance: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub capture_id: Option<i64>,
    pub acked_by: Option<String>,
    pub acked_ms: Option<i64>,
    /// A silence covers it: no notification goes out.
    pub silenced: bool,
    /// The first successful delivery of its firing notice.
    pub delivered_ms: Option<i64>,
}

/// One attempt to deliver a notification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeliveryView {
    pub receiver: String,
    /// `firing`, `resolved` or `repeat`.
    pub kind: String,
    pub at_ms: i64,
    /// The receiver's HTTP status, when it answered.
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<String>,
}

/// An alert with its delivery log.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AlertDetail {
    pub alert: AlertView,
    pub deliveries: Vec<DeliveryView>,
    /// Notifications still due (retrying), by receiver.
    pub due: Vec<String>,
    /// Changes to the service in the hour before the onset, newest first.
    #[serde(default)]
    pub changes: Vec<crate::changes::ChangeView>,
}

/// A silence: alerts whose labels match every matcher send nothing between start and end.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SilenceView {
    pub id: i64,
    pub matchers: std::collections::BTreeMap<String, String>,
    pub starts_ms: i64,
    pub ends_ms: i64,
    pub comment: String,
    pub created_by: String,
    pub created_ms: i64,
}

/// `POST /api/v1/silences`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewSilence {
    pub matchers: std::collections::BTreeMap<String, String>,
    /// Default: now.
    #[serde(default)]
    pub starts_ms: Option<i64>,
    pub ends_ms: i64,
    #[serde(default)]
    pub comment: String,
}

/// A notification the demo fleet's alert receiver got, as the Demo page shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoNotification {
    pub received_ms: i64,
    /// `firing` or `resolved`.
    pub status: String,
    pub summary: String,
    /// What the failures share, as the notification said it.
    pub context: String,
    /// The body as it came (pretty JSON).
    pub body: String,
}
