//! /api/v1/incidents: the incidents firing alerts opened (a list, one with its evidence), and
//! notes with an optional status by developers and up.

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use backend::Caller;
use serde::Deserialize;
use types::incidents::{IncidentNote, IncidentStatus, IncidentSummary, IncidentView};
use types::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/incidents", get(list))
        .route("/incidents/{id}", get(one))
        .route("/incidents/{id}/notes", post(note))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    limit: Option<i64>,
}

async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<IncidentSummary>>, ApiError> {
    Ok(Json(state.hub.incidents.list(signed_in(&caller)?, q.limit.unwrap_or(100)).await?))
}

async fn one(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<IncidentView>, ApiError> {
    Ok(Json(state.hub.incidents.get(signed_in(&caller)?, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    #[serde(default)]
    body: String,
    /// `investigating`, `mitigated` or `resolved`.
    #[serde(default)]
    status: Option<String>,
}

/// `{"body", "status"}` → 201 with the note.
async fn note(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Json(n): Json<NewNote>,
) -> Result<(StatusCode, Json<IncidentNote>), ApiError> {
    let me = signed_in(&caller)?;
    let status = match n.status.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(IncidentStatus::parse(s).ok_or_else(|| {
            ApiError(AppError::invalid(format!(
                "status must be investigating, mitigated or resolved, not {s:?}"
            )))
        })?),
    };
    let kept = state.hub.incidents.note(me, &caller.source, id, &n.body, status).await?;
    Ok((StatusCode::CREATED, Json(kept)))
}
