//! Incidents.

use leptos::prelude::*;
use types::incidents::{IncidentNote, IncidentSummary, IncidentView};
use types::AppError;

#[server]
pub async fn list_incidents() -> Result<Vec<IncidentSummary>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.incidents.list(&me, 200).await.or_else(super::context::fail)
}

#[server]
pub async fn get_incident(id: i64) -> Result<IncidentView, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.incidents.get(&me, id).await.or_else(super::context::fail)
}

/// Developers and up: a note, and a new status when `status` is one.
#[server]
pub async fn add_incident_note(id: i64, body: String, status: String) -> Result<IncidentNote, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    let status = match status.as_str() {
        "" => None,
        s => Some(
            types::incidents::IncidentStatus::parse(s)
                .ok_or_else(|| AppError::invalid(format!("no status {s:?}")))
                .or_else(super::context::fail)?,
        ),
    };
    hub.incidents.note(&me, &source, id, &body, status).await.or_else(super::context::fail)
}
