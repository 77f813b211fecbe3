//! /api/v1/changes: what changed in a service (deploys, config, flags, migrations), pushed by
//! the service (its bound token), a pipeline or a developer; read by anyone signed in.

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Json, Router};
use backend::changes::{ChangeQuery, PushedChange};
use backend::Caller;
use serde::Deserialize;
use types::changes::ChangeView;

/// A change is a few fields; anything larger is not one.
const MAX_BODY_BYTES: usize = 16 * 1024;

pub fn router() -> Router<AppState> {
    Router::new().route("/changes", get(list).post(push).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
}

/// `{"service", "kind", "version", "summary", "url", "ts_ms", "author"}` → 201 with the change
/// as kept.
async fn push(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(change): Json<PushedChange>,
) -> Result<(StatusCode, Json<ChangeView>), ApiError> {
    let kept = state.hub.changes.push(signed_in(&caller)?, &caller.source, change).await?;
    Ok((StatusCode::CREATED, Json(kept)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    #[serde(default)]
    service: Option<String>,
    /// Unix milliseconds.
    #[serde(default)]
    since: Option<i64>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `?service=&since=&limit=` → changes, newest first.
async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<ChangeView>>, ApiError> {
    let query = ChangeQuery {
        services: q.service.filter(|s| !s.is_empty()).into_iter().collect(),
        since_ms: q.since,
        until_ms: None,
        limit: q.limit.unwrap_or(200),
    };
    Ok(Json(state.hub.changes.list(signed_in(&caller)?, query).await?))
}
