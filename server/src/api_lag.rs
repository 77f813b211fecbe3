//! /api/v1 for read-model lag, and the demo fleet's faults as an API for scripts and tests.

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use backend::Caller;
use serde::Deserialize;
use types::lag::{LagDetail, LagSummary};
use types::{AppError, DemoFault};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/lag", get(list))
        .route("/lag/{read_model}", get(detail))
        .route("/demo/faults", post(demo_fault))
}

async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<LagSummary>>, ApiError> {
    Ok(Json(state.hub.lag.list(signed_in(&caller)?)))
}

#[derive(Deserialize)]
struct WindowQuery {
    window: Option<String>,
    /// Only probes since this time (unix ms): to measure a change.
    since: Option<i64>,
}

async fn detail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(read_model): Path<String>,
    Query(q): Query<WindowQuery>,
) -> Result<Json<LagDetail>, ApiError> {
    let window = q.window.unwrap_or_else(|| "1h".into());
    Ok(Json(state.hub.lag.detail_since(signed_in(&caller)?, &read_model, &window, q.since).await?))
}

/// `{"instance": NAME, "fault": …}` (the fleet's fault JSON) → 204.
#[derive(Deserialize)]
struct FaultBody {
    instance: String,
    #[serde(flatten)]
    fault: DemoFault,
}

async fn demo_fault(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<FaultBody>,
) -> Result<StatusCode, ApiError> {
    let me = signed_in(&caller)?;
    let controls = state
        .hub
        .demo
        .get()
        .ok_or_else(|| ApiError(AppError::not_found("The demo fleet is not running.")))?;
    controls.apply(me, &caller.source, &body.instance, &body.fault).await?;
    Ok(StatusCode::NO_CONTENT)
}
