//! Incidents: every firing alert opens one — the page that holds the evidence (context,
//! changes, the first failing service in the traces, the capture, lag and consistency of the
//! services involved) and where developers keep notes and a status.

use crate::alerts::AlertView;
use crate::changes::ChangeView;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IncidentStatus {
    Investigating,
    Mitigated,
    Resolved,
}

impl IncidentStatus {
    pub const ALL: [IncidentStatus; 3] =
        [IncidentStatus::Investigating, IncidentStatus::Mitigated, IncidentStatus::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            IncidentStatus::Investigating => "investigating",
            IncidentStatus::Mitigated => "mitigated",
            IncidentStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<IncidentStatus> {
        IncidentStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }
}

/// `GET /api/v1/incidents` lists these, newest first. An incident's id is its alert's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentSummary {
    pub id: i64,
    pub rule: String,
    pub service: String,
    pub severity: String,
    pub status: IncidentStatus,
    /// When the alert fired.
    pub opened_ms: i64,
    /// The alert's own state (`firing`, `resolved`).
    pub alert_state: String,
    pub alert_resolved_ms: Option<i64>,
    pub notes: i64,
}

/// How many of the example traces a service failed first in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FirstFailing {
    pub service: String,
    pub traces: i64,
}

/// A read model of a service involved, around the onset.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LagAtOnset {
    pub read_model: String,
    pub service: String,
    pub lag_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub slo_ms: f64,
}

/// A consistency check of a read model involved, and its differences not resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecksOpen {
    pub check: String,
    pub read_model: Option<String>,
    pub open_differences: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentNote {
    pub id: i64,
    pub author: String,
    pub body: String,
    /// Set when the note changed the status.
    pub status: Option<IncidentStatus>,
    pub created_ms: i64,
}

/// One moment of the incident's timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEntry {
    pub ts_ms: i64,
    /// `change`, `onset`, `fired`, `delivered`, `capture`, `acknowledged`, `note`, `status`,
    /// `resolved`.
    pub kind: String,
    pub text: String,
}

/// `GET /api/v1/incidents/{id}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct IncidentView {
    pub id: i64,
    pub status: IncidentStatus,
    pub alert: AlertView,
    /// Changes to the services involved in the hour before the onset, newest first.
    pub changes: Vec<ChangeView>,
    /// The alert's service and the services its example traces went through.
    pub involved: Vec<String>,
    /// Over the example traces the hub has: where the error first occurred, most first.
    pub first_failing: Vec<FirstFailing>,
    /// Example traces read (of those the alert carries).
    pub traces_read: i64,
    pub lag: Vec<LagAtOnset>,
    pub consistency: Vec<ChecksOpen>,
    pub notes: Vec<IncidentNote>,
    pub timeline: Vec<TimelineEntry>,
    /// What "take a thread dump now" captures: the first failing service and its instance
    /// (the alert's worst one when it is the alert's service).
    pub capture_target: Option<(String, String)>,
    /// The capture the alert took as it fired (of the first failing service when its traces
    /// named another), when it has one.
    #[serde(default)]
    pub taken: Option<crate::captures::CaptureView>,
}
