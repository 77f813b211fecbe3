use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleStatus {
    Pass,
    Warn,
    Fail,
}

impl RuleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleStatus::Pass => "pass",
            RuleStatus::Warn => "warn",
            RuleStatus::Fail => "fail",
        }
    }
}

/// One conformance rule's verdict, with the offending series as examples.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleResult {
    pub rule: String,
    pub status: RuleStatus,
    pub detail: String,
    pub examples: Vec<String>,
}

/// How the last scrape of an instance went, as the conformance API reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScrapeReport {
    pub ok: bool,
    pub error: Option<String>,
    /// `text` or `openmetrics`.
    pub format: Option<String>,
    /// Metric families.
    pub families: usize,
    /// Every sample line (each bucket, `_sum` and `_count` included).
    pub samples: usize,
    pub bytes: usize,
    pub duration_ms: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceScrape {
    pub instance: String,
    pub scrape: ScrapeReport,
}

/// `GET /api/v1/services/{name}/conformance`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceConformance {
    pub service: String,
    pub instances: Vec<InstanceScrape>,
    pub rules: Vec<RuleResult>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixRow {
    pub service: String,
    pub team: String,
    /// One status per rule, in the order of `ConformanceMatrix::rules`; None before the
    /// first successful scrape.
    pub statuses: Vec<Option<RuleStatus>>,
    pub fail: usize,
    pub warn: usize,
}

/// `GET /api/v1/conformance`: services × rules.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConformanceMatrix {
    pub rules: Vec<String>,
    /// What each rule of `rules` checks, in the same order.
    #[serde(default)]
    pub checks: Vec<String>,
    pub services: Vec<MatrixRow>,
}

/// A family of the shared metric format, as the Catalog page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogFamilyView {
    pub name: String,
    pub kind: String,
    pub unit: String,
    pub help: String,
    pub profile: String,
    pub required_labels: Vec<String>,
    pub allowed_labels: Vec<String>,
    pub max_series: usize,
    pub panel: String,
    pub example: String,
}

/// A standard panel, drawn on the server.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PanelView {
    pub id: String,
    pub title: String,
    pub unit: String,
    /// Whether any instance had data in the range.
    pub has_data: bool,
    pub chart: crate::charts::ChartView,
}

/// A time range as the picker keeps it in the URL: `15m`, `1h`, `6h`, or custom
/// unix-millisecond bounds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    pub preset: String,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
}

impl TimeRange {
    /// The presets and how long each reaches back.
    pub const PRESETS: [(&'static str, i64); 3] =
        [("15m", 15 * 60_000), ("1h", 3_600_000), ("6h", 6 * 3_600_000)];

    pub fn preset(name: &str) -> TimeRange {
        TimeRange { preset: name.to_string(), from_ms: None, to_ms: None }
    }

    pub fn is_custom(&self) -> bool {
        self.preset == "custom"
    }

    /// The bounds at `now_ms`; an unknown preset reads as 1h. A custom range must have both
    /// ends and end after it starts: it is refused with the reason, never replaced.
    pub fn bounds(&self, now_ms: i64) -> Result<(i64, i64), String> {
        if self.is_custom() {
            return match (self.from_ms, self.to_ms) {
                (Some(from), Some(to)) if from < to => Ok((from, to)),
                (Some(from), Some(to)) if from == to => {
                    Err("The range is empty: it ends where it starts.".into())
                }
                (Some(_), Some(_)) => Err("The range ends before it starts: swap from and to.".into()),
                _ => Err("A custom range needs both from and to.".into()),
            };
        }
        let span = Self::PRESETS.iter().find(|(p, _)| *p == self.preset).map_or(3_600_000, |(_, s)| *s);
        Ok((now_ms - span, now_ms))
    }
}

/// One series in the metric explorer's table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExploreRow {
    pub instance: String,
    pub labels: String,
    pub last: f64,
    pub min: f64,
    pub max: f64,
    pub points: usize,
}

/// The metric explorer: what can be picked, and the picked series as a chart and a table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExploreView {
    pub services: Vec<String>,
    pub names: Vec<String>,
    /// What the chart shows of the metric: "value", "rate per second" or "p50, p95, p99".
    pub shown: String,
    pub chart: Option<crate::charts::ChartView>,
    pub rows: Vec<ExploreRow>,
    /// More series matched than the chart and table show.
    pub truncated: bool,
    /// What is wrong with the label filter, said beside the field.
    #[serde(default)]
    pub label_error: Option<String>,
}

/// One key signal of a service or instance now: its value, a sparkline, and whether it is bad.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeySignal {
    /// `request_rate`, `error_ratio`, `latency_p95`, `pool_utilisation`.
    pub id: String,
    pub label: String,
    pub unit: crate::units::Unit,
    /// The latest value; None when the service has no data for it.
    pub value: Option<f64>,
    /// Evenly spaced over the last minutes, oldest first; None where there was no data.
    pub spark: Vec<Option<f64>>,
    /// Past the line where someone should look (errors at 5 %, a pool at 90 %).
    pub bad: bool,
}

/// The key signals of one service (or of one of its instances).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct KeySignals {
    pub service: String,
    pub instance: Option<String>,
    pub signals: Vec<KeySignal>,
}

impl KeySignals {
    pub fn get(&self, id: &str) -> Option<&KeySignal> {
        self.signals.iter().find(|s| s.id == id)
    }
}
