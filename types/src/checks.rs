//! Consistency checks as the API and the pages show them.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `residual` (the whole tables, by checksums) or `recent` (what changed lately), as asked;
/// `verifier`: the real-time verifier's rolling run, which nobody asks for and which goes on
/// as long as the verifier does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunMode {
    Residual,
    Recent,
    Verifier,
}

impl RunMode {
    pub fn as_str(self) -> &'static str {
        match self {
            RunMode::Residual => "residual",
            RunMode::Recent => "recent",
            RunMode::Verifier => "verifier",
        }
    }

    /// A mode a user may ask a run for (the verifier's run is never asked for).
    pub fn parse(s: &str) -> Option<RunMode> {
        match s {
            "residual" => Some(RunMode::Residual),
            "recent" => Some(RunMode::Recent),
            _ => None,
        }
    }

    /// A mode as the store holds it.
    pub fn stored(s: &str) -> RunMode {
        match s {
            "verifier" => RunMode::Verifier,
            other => RunMode::parse(other).unwrap_or(RunMode::Recent),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    Queued,
    Running,
    Done,
    Failed,
    Cancelled,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Done => "done",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
        }
    }

    pub fn parse(s: &str) -> RunState {
        match s {
            "queued" => RunState::Queued,
            "running" => RunState::Running,
            "done" => RunState::Done,
            "cancelled" => RunState::Cancelled,
            _ => RunState::Failed,
        }
    }

    pub fn ended(self) -> bool {
        matches!(self, RunState::Done | RunState::Failed | RunState::Cancelled)
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffCounts {
    pub missing: i64,
    pub extra: i64,
    pub changed: i64,
}

/// `GET /api/v1/checks/{name}/runs/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: i64,
    pub check: String,
    pub mode: RunMode,
    pub state: RunState,
    /// Chunks done of the total, 0..1.
    pub progress: f64,
    pub rows_compared: i64,
    pub counts: DiffCounts,
    pub duration_ms: Option<i64>,
    pub error: Option<String>,
    pub requested_by: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub chunks_done: i64,
    pub chunks_total: i64,
    /// Rows compared a second so far, and the time left at that pace.
    pub rows_per_s: Option<f64>,
    pub eta_ms: Option<i64>,
    pub signed_off_by: Option<String>,
    pub signed_off_ms: Option<i64>,
    /// Differences still open when it was signed off.
    pub signed_off_open: Option<i64>,
}

/// A difference's review state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReviewState {
    Open,
    Acknowledged,
    Resolved,
}

impl ReviewState {
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Open => "open",
            ReviewState::Acknowledged => "acknowledged",
            ReviewState::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> ReviewState {
        match s {
            "acknowledged" => ReviewState::Acknowledged,
            "resolved" => ReviewState::Resolved,
            _ => ReviewState::Open,
        }
    }
}

/// `GET /api/v1/checks/{name}/runs/{id}/differences`: one difference a run found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DifferenceView {
    /// The difference's id (one per check and key, across runs).
    pub id: i64,
    pub key: BTreeMap<String, Option<String>>,
    /// `missing` (in the source, not in the read model), `extra` (only in the read model),
    /// `changed`.
    pub kind: String,
    /// The compared columns that differ.
    pub columns: Vec<String>,
    /// Both sides' canonical values (absent for the side without the row).
    pub source: Option<BTreeMap<String, Option<String>>>,
    pub target: Option<BTreeMap<String, Option<String>>>,
    /// Found while the read model's lag was over its SLO or unknown: may be lag.
    pub during_lag: bool,
    pub state: ReviewState,
    pub assignee: Option<String>,
    pub resolution: Option<String>,
    pub first_seen_ms: i64,
}

/// A review action or comment on a difference.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DifferenceEvent {
    pub ts_ms: i64,
    pub actor: String,
    pub action: String,
    pub detail: Option<String>,
}

/// A check on the Checks page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckSummary {
    pub name: String,
    pub source: String,
    pub target: String,
    pub read_model: Option<String>,
    pub last_run: Option<RunView>,
    /// Differences not resolved.
    pub open_differences: i64,
    pub next_run_ms: Option<i64>,
    pub schedule: Option<String>,
    /// The lead who defined it in the UI; None for the config's checks.
    pub defined_by: Option<String>,
}

/// A difference the verifier has seen once and waits to see again, after the read model's
/// lag, before it confirms it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suspect {
    pub key: BTreeMap<String, Option<String>>,
    pub kind: String,
    pub columns: Vec<String>,
    pub first_seen_ms: i64,
    /// Seen while the read model was in breach or its lag unknown: it waits for the lag.
    pub during_lag: bool,
}

/// `GET /api/v1/checks/{name}/verifier`: the real-time verifier's live list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerifierView {
    /// The verifier's rolling run, which holds what it confirmed.
    pub run_id: Option<i64>,
    pub suspects: Vec<Suspect>,
    pub confirmed: Vec<DifferenceView>,
}
