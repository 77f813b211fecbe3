//! `[tracing]`: how long the hub keeps the spans services export to it, how many it samples,
//! and, at scale, the Jaeger it reads traces from instead and the viewer it links to.

use super::services::parse_duration;
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::time::Duration;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TracingSection {
    /// Spans older than this are deleted; default 24h.
    pub retention: String,
    /// The share of traces kept, 0..1 (by trace id, so a trace is kept whole or not at all);
    /// a trace with an error span is always kept. Default 1.
    pub sample_rate: f64,
    /// A Jaeger query service (`http://jaeger-query:16686`): traces are read from its HTTP
    /// JSON API instead of the hub's store.
    pub jaeger: Option<String>,
    /// A trace in an outside viewer, `{trace_id}` replaced (Jaeger, Tempo).
    pub viewer_url: Option<String>,
}

impl Default for TracingSection {
    fn default() -> Self {
        Self { retention: "24h".into(), sample_rate: 1.0, jaeger: None, viewer_url: None }
    }
}

impl TracingSection {
    pub fn retention(&self) -> Duration {
        parse_duration(&self.retention).unwrap_or(Duration::from_secs(86_400))
    }

    pub(super) fn validate(&self) -> Result<(), Invalid> {
        let bad = |message: String| Err(Invalid { at: None, message });
        if parse_duration(&self.retention).is_none_or(|d| d.as_secs() < 60) {
            return bad(format!(
                "tracing.retention: {:?} must be a duration of 1m or more, like \"24h\"",
                self.retention
            ));
        }
        if !(0.0..=1.0).contains(&self.sample_rate) {
            return bad(format!("tracing.sample_rate: {} must be between 0 and 1", self.sample_rate));
        }
        let web = |u: &str| u.starts_with("http://") || u.starts_with("https://");
        if let Some(j) = &self.jaeger {
            if !web(j) {
                return bad(format!("tracing.jaeger: {j:?} must be an http(s) URL"));
            }
        }
        if let Some(v) = &self.viewer_url {
            if !web(v) || !v.contains("{trace_id}") {
                return bad(format!(
                    "tracing.viewer_url: {v:?} must be an http(s) URL with {{trace_id}} in it"
                ));
            }
        }
        Ok(())
    }

    /// The outside viewer's URL of a trace, when one is configured.
    pub fn viewer(&self, trace_id: &str) -> Option<String> {
        self.viewer_url.as_ref().map(|v| v.replace("{trace_id}", trace_id))
    }
}
