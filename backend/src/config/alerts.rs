//! `[[alerts]]` (rules on the shared metric format's signals) and `[[receivers]]` (where
//! their notifications go): typed, and validated with the field's line before anything runs.

use super::services::parse_duration;
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use toml::Spanned;
use types::CaptureKind;

/// What a rule watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    /// Errors over requests, 0..1, over the rule's window.
    ErrorRatio,
    /// The 95th percentile of request latency, seconds, over the window.
    LatencyP95,
    /// Busy workers over the pool's size, 0..1, latest.
    PoolUtilisation,
    /// The worst consumer's lag, seconds, latest.
    ConsumerLagSeconds,
    /// The p99 of a read model's lag probes over the window, milliseconds (the lag service).
    ReadModelLag,
    /// A family of the catalog with label matchers, as a rate or a value.
    Metric,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::ErrorRatio => "error_ratio",
            SignalKind::LatencyP95 => "latency_p95",
            SignalKind::PoolUtilisation => "pool_utilisation",
            SignalKind::ConsumerLagSeconds => "consumer_lag_seconds",
            SignalKind::ReadModelLag => "read_model_lag",
            SignalKind::Metric => "metric",
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Page,
    #[default]
    Ticket,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Page => "page",
            Severity::Ticket => "ticket",
            Severity::Info => "info",
        }
    }
}

/// Where a rule's signal comes from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalSource {
    #[default]
    Metrics,
    Events,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MetricMode {
    Rate,
    Value,
}

/// `signal = "metric"`: which family, which series, how.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSignalDef {
    pub family: String,
    #[serde(default)]
    pub matchers: BTreeMap<String, String>,
    pub mode: MetricMode,
}

/// Instead of a fixed threshold: the signal over `factor` × its trailing mean over `baseline`,
/// and over `floor`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnomalyDef {
    pub baseline: String,
    pub factor: f64,
    #[serde(default)]
    pub floor: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertDef {
    pub name: Spanned<String>,
    /// Default: every service whose metric profiles provide the signal.
    #[serde(default)]
    pub services: Vec<String>,
    pub signal: Spanned<SignalKind>,
    #[serde(default)]
    pub source: SignalSource,
    /// The rate window for counters; default 30s.
    #[serde(default = "default_window")]
    pub window: String,
    pub above: Option<f64>,
    pub below: Option<f64>,
    /// How long the condition must hold; default 0s.
    #[serde(rename = "for", default = "default_for")]
    pub hold: String,
    pub anomaly: Option<AnomalyDef>,
    #[serde(default)]
    pub severity: Severity,
    /// A capture taken on the worst instance when it fires: cpu, heap or threads.
    pub capture: Option<String>,
    #[serde(default)]
    pub receivers: Vec<String>,
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// `signal = "metric"` only.
    pub metric: Option<MetricSignalDef>,
    /// `signal = "read_model_lag"`: which read model; default every one of the service's.
    pub read_model: Option<String>,
}

fn default_window() -> String {
    "30s".into()
}

fn default_for() -> String {
    "0s".into()
}

/// How a firing alert is compared with its threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Condition {
    Above(f64),
    Below(f64),
    Anomaly { baseline: Duration, factor: f64, floor: f64 },
}

impl AlertDef {
    pub fn window(&self) -> Duration {
        parse_duration(&self.window).unwrap_or(Duration::from_secs(30))
    }

    pub fn hold(&self) -> Duration {
        parse_duration(&self.hold).unwrap_or(Duration::ZERO)
    }

    pub fn condition(&self) -> Condition {
        match (&self.anomaly, self.above, self.below) {
            (Some(a), _, _) => Condition::Anomaly {
                baseline: parse_duration(&a.baseline).unwrap_or(Duration::from_secs(3600)),
                factor: a.factor,
                floor: a.floor,
            },
            (None, Some(v), _) => Condition::Above(v),
            (None, None, Some(v)) => Condition::Below(v),
            (None, None, None) => Condition::Above(f64::INFINITY),
        }
    }

    pub fn capture_kind(&self) -> Option<CaptureKind> {
        self.capture.as_deref().and_then(|c| c.parse().ok())
    }
}

/// The format a webhook is sent in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Alertmanager's webhook payload, version 4.
    Alertmanager,
    /// Slack's incoming-webhook JSON with blocks.
    Slack,
    /// Ours (README).
    #[default]
    Json,
}

impl WebhookFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Alertmanager => "alertmanager",
            WebhookFormat::Slack => "slack",
            WebhookFormat::Json => "json",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookDef {
    pub url: Spanned<String>,
    #[serde(default)]
    pub format: WebhookFormat,
}

/// An existing Alertmanager cluster the hub pushes to (`/api/v2/alerts`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertmanagerDef {
    pub url: Spanned<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiverDef {
    pub name: Spanned<String>,
    pub webhook: Option<WebhookDef>,
    pub alertmanager: Option<AlertmanagerDef>,
    /// A firing alert nobody acknowledged is sent again this often; default 4h.
    #[serde(default = "default_repeat")]
    pub repeat_interval: String,
    /// Alerts whose labels agree on these go out together, in one notification; default
    /// `["alertname", "service"]`, one alert per group.
    #[serde(default = "default_group_by")]
    pub group_by: Vec<String>,
    /// How long the first firing notice of a new group waits for others to join it; default
    /// 0s, sent at once. Resolve notices never wait.
    #[serde(default = "default_group_wait")]
    pub group_wait: String,
}

fn default_repeat() -> String {
    "4h".into()
}

fn default_group_by() -> Vec<String> {
    vec!["alertname".into(), "service".into()]
}

fn default_group_wait() -> String {
    "0s".into()
}

/// The longest `group_wait`: a notice held longer than this is late, not grouped.
const MOST_GROUP_WAIT: Duration = Duration::from_secs(3600);

impl ReceiverDef {
    pub fn repeat_interval(&self) -> Duration {
        parse_duration(&self.repeat_interval).unwrap_or(Duration::from_secs(4 * 3600))
    }

    pub fn group_wait(&self) -> Duration {
        parse_duration(&self.group_wait).unwrap_or(Duration::ZERO)
    }

    /// The group an alert with these labels falls in, for this receiver: the `group_by`
    /// labels' values (a label the alert lacks counts as empty).
    pub fn group_key(&self, labels: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
        self.group_by.iter().map(|l| (l.clone(), labels.get(l).cloned().unwrap_or_default())).collect()
    }
}

fn at<T>(span: &Spanned<T>, message: String) -> Invalid {
    Invalid { at: (span.span().end > 0).then_some(span.span().start), message }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn is_label_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_http(url: &str) -> bool {
    if let Some(path) = url.strip_prefix("demo://fleet/") {
        // The demo fleet's own receiver.
        return !path.is_empty() && path.chars().all(|c| c.is_ascii_alphanumeric() || c == '/' || c == '-');
    }
    (url.starts_with("http://") || url.starts_with("https://")) && reqwest::Url::parse(url).is_ok()
}

fn duration(text: &str, field: &str, name: &str, span: &Spanned<String>) -> Result<Duration, Invalid> {
    parse_duration(text)
        .ok_or_else(|| at(span, format!("alerts.{field}: {name}: {text:?} is not a duration like \"30s\"")))
}

/// A label name as Alertmanager accepts it.
fn is_label(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

pub(super) fn validate_receivers(receivers: &[ReceiverDef]) -> Result<(), Invalid> {
    let mut names = HashSet::new();
    for r in receivers {
        let name = r.name.get_ref();
        if !is_name(name) {
            return Err(at(&r.name, format!("receivers.name: {name:?} must be 1–64 of a-z, 0-9, '-', '_'")));
        }
        if !names.insert(name.clone()) {
            return Err(at(&r.name, format!("receivers.name: receiver {name} is declared twice")));
        }
        let urls: Vec<&Spanned<String>> =
            r.webhook.iter().map(|w| &w.url).chain(r.alertmanager.iter().map(|a| &a.url)).collect();
        if urls.len() != 1 {
            return Err(at(
                &r.name,
                format!("receivers: {name} needs exactly one of webhook = {{ url, format }} or alertmanager = {{ url }}"),
            ));
        }
        for url in urls {
            if !is_http(url.get_ref()) {
                return Err(at(
                    url,
                    format!("receivers.url: {name}: not an http:// or https:// URL (or demo://fleet/alerts)"),
                ));
            }
        }
        if parse_duration(&r.group_wait).is_none_or(|d| d > MOST_GROUP_WAIT) {
            return Err(at(
                &r.name,
                format!("receivers.group_wait: {name}: {:?} must be a duration of at most 1h", r.group_wait),
            ));
        }
        if let Some(bad) = r.group_by.iter().find(|l| !is_label_name(l)) {
            return Err(at(&r.name, format!("receivers.group_by: {name}: {bad:?} is not a label name")));
        }
        if parse_duration(&r.repeat_interval).is_none_or(|d| d < Duration::from_secs(1)) {
            return Err(at(
                &r.name,
                format!(
                    "receivers.repeat_interval: {name}: {:?} must be a duration of 1s or more",
                    r.repeat_interval
                ),
            ));
        }
    }
    Ok(())
}

/// What the rest of the config offers a rule.
pub(super) struct Known<'a> {
    pub services: HashSet<&'a str>,
    pub receivers: HashSet<&'a str>,
    pub read_models: HashSet<&'a str>,
}

pub(super) fn validate_alerts(alerts: &[AlertDef], known: &Known<'_>) -> Result<(), Invalid> {
    let mut names = HashSet::new();
    for a in alerts {
        let name = a.name.get_ref();
        if !is_name(name) {
            return Err(at(&a.name, format!("alerts.name: {name:?} must be 1–64 of a-z, 0-9, '-', '_'")));
        }
        if !names.insert(name.clone()) {
            return Err(at(&a.name, format!("alerts.name: rule {name} is declared twice")));
        }
        let window = duration(&a.window, "window", name, &a.name)?;
        if window < Duration::from_millis(100) {
            return Err(at(&a.name, format!("alerts.window: {name}: must be at least 100ms")));
        }
        duration(&a.hold, "for", name, &a.name)?;
        let thresholds = usize::from(a.above.is_some())
            + usize::from(a.below.is_some())
            + usize::from(a.anomaly.is_some());
        if thresholds != 1 {
            return Err(at(&a.name, format!("alerts: {name} needs exactly one of above, below or anomaly")));
        }
        if let Some(an) = &a.anomaly {
            duration(&an.baseline, "anomaly.baseline", name, &a.name)?;
            if !(an.factor.is_finite() && an.factor > 0.0 && an.floor.is_finite()) {
                return Err(at(
                    &a.name,
                    format!("alerts.anomaly: {name}: factor must be above 0, floor a number"),
                ));
            }
        }
        if [a.above, a.below].into_iter().flatten().any(|v| !v.is_finite()) {
            return Err(at(&a.name, format!("alerts: {name}: the threshold must be a number")));
        }
        for s in &a.services {
            if !known.services.contains(s.as_str()) {
                return Err(at(
                    &a.name,
                    format!("alerts.services: {name} names service {s:?}, which the config does not declare"),
                ));
            }
        }
        for r in &a.receivers {
            if !known.receivers.contains(r.as_str()) {
                return Err(at(
                    &a.name,
                    format!(
                        "alerts.receivers: {name} names receiver {r:?}, which the config does not declare"
                    ),
                ));
            }
        }
        if let Some(c) = &a.capture {
            if a.capture_kind().is_none_or(CaptureKind::is_upload) {
                return Err(at(
                    &a.name,
                    format!(
                        "alerts.capture: {name}: {c:?} must be {}",
                        CaptureKind::list(&CaptureKind::TAKEN)
                    ),
                ));
            }
        }
        for l in a.labels.keys() {
            if !is_label(l) {
                return Err(at(&a.name, format!("alerts.labels: {name}: {l:?} is not a label name")));
            }
        }
        let signal = *a.signal.get_ref();
        match (signal, &a.metric) {
            (SignalKind::Metric, None) => {
                return Err(at(&a.signal, format!("alerts.metric: {name}: signal \"metric\" needs metric = {{ family, matchers, mode }}")));
            }
            (SignalKind::Metric, Some(_)) | (_, None) => {}
            (_, Some(_)) => {
                return Err(at(
                    &a.signal,
                    format!("alerts.metric: {name}: only signal \"metric\" takes metric"),
                ));
            }
        }
        if a.source == SignalSource::Events
            && !matches!(signal, SignalKind::ErrorRatio | SignalKind::LatencyP95)
        {
            return Err(at(
                &a.signal,
                format!("alerts.source: {name}: events give error_ratio and latency_p95 only"),
            ));
        }
        if let Some(m) = &a.read_model {
            if signal != SignalKind::ReadModelLag {
                return Err(at(
                    &a.signal,
                    format!("alerts.read_model: {name}: only signal \"read_model_lag\" takes read_model"),
                ));
            }
            if !known.read_models.contains(m.as_str()) {
                return Err(at(
                    &a.name,
                    format!(
                        "alerts.read_model: {name} names read model {m:?}, which the config does not declare"
                    ),
                ));
            }
        }
    }
    Ok(())
}
