//! Read-model lag as the API and the pages report it.

use serde::{Deserialize, Serialize};

/// `ok`, `breach` (over the SLO for longer than `breach_after`), or `unknown` (a side cannot
/// be reached, or no probe has arrived yet): never a number that is not measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LagState {
    Ok,
    Breach,
    Unknown,
}

impl LagState {
    pub fn as_str(self) -> &'static str {
        match self {
            LagState::Ok => "ok",
            LagState::Breach => "breach",
            LagState::Unknown => "unknown",
        }
    }
}

/// `GET /api/v1/lag`: one read model over the last hour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagSummary {
    pub read_model: String,
    pub state: LagState,
    /// The last probe's lag, or the age of the heartbeat still on its way when that is
    /// larger ("at least"); null when unknown.
    pub current_ms: Option<f64>,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub slo_ms: f64,
    /// Share of probes within the SLO (unknown time is not counted as good).
    pub compliance: Option<f64>,
    /// The error budget left over the SLO window, as a share of the budget (negative: overspent).
    pub budget_left: Option<f64>,
    /// The service that projects it.
    pub service: String,
    /// A heartbeat is on its way and `current_ms` is its age so far.
    pub outstanding: bool,
    /// Why the state is unknown.
    pub reason: Option<String>,
    /// Error-budget burn rate over the last hour and six hours (1 = on budget).
    pub burn_1h: Option<f64>,
    pub burn_6h: Option<f64>,
    pub objective: f64,
    /// Probes over the window of the figures.
    pub probes: u64,
    /// p50 / p95 / p99 over the last 5 min, 1 h and 24 h.
    pub windows: Vec<LagPercentiles>,
}

/// Percentiles of the probes over one window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagPercentiles {
    /// `5m`, `1h`, `24h`.
    pub window: String,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub probes: u64,
}

/// A period over the SLO.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagBreach {
    pub start_ms: i64,
    /// None while it lasts.
    pub end_ms: Option<i64>,
    pub worst_ms: f64,
}

/// Stream positions: how far the read side's applied position is behind the source's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagPositions {
    pub source: i64,
    pub read: i64,
    pub behind: i64,
}

/// `GET /api/v1/lag/{read_model}?window=`: the figures over that window, its breaches and
/// positions.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagDetail {
    #[serde(flatten)]
    pub summary: LagSummary,
    pub window: String,
    pub breaches: Vec<LagBreach>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positions: Option<LagPositions>,
    /// The lag the service reports itself (its scraped metric), when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_ms: Option<f64>,
    /// Masked connection URLs of the two sides.
    pub source_url: String,
    pub read_url: String,
    /// Why the positions could not be read, when they could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub positions_error: Option<String>,
    /// How the window's probes are spread: probes up to each bound (ms).
    pub distribution: Vec<LagBucket>,
    /// Queries the probe has made to both sides since the hub started (its cost).
    pub queries: LagQueries,
    /// Time in the window when the lag could not be measured (a side unreachable): neither
    /// good nor bad for the SLO.
    pub unknown_ms: i64,
    /// The hub's clock when it answered.
    pub now_ms: i64,
}

/// Queries the probe made to each side since the hub started (heartbeats and positions).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LagQueries {
    pub source: u64,
    pub read: u64,
}

/// Probes whose lag is at most `le_ms` (and above the bucket before).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagBucket {
    pub le_ms: f64,
    pub count: u64,
}

/// A read model's charts, on one time axis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagCharts {
    pub lag: crate::charts::ChartView,
    /// How far behind the read side's position is (when positions are configured).
    pub positions: Option<crate::charts::ChartView>,
    /// The step the percentile lines are taken over.
    pub step_ms: i64,
}
