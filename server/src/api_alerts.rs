//! /api/v1 for alerts and silences.

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Extension, Json, Router};
use backend::Caller;
use serde::Deserialize;
use types::alerts::{AlertDetail, AlertFilter, AlertView, NewSilence, SilenceView};
use types::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/alerts", get(list))
        .route("/alerts/{id}", get(detail))
        .route("/alerts/{id}/ack", post(ack))
        .route("/silences", get(silences).post(silence))
        .route("/silences/{id}", delete(end_silence))
}

#[derive(Deserialize)]
struct StateQuery {
    state: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<StateQuery>,
) -> Result<Json<Vec<AlertView>>, ApiError> {
    let filter =
        AlertFilter::parse(q.state.as_deref().unwrap_or("")).map_err(|e| ApiError(AppError::invalid(e)))?;
    Ok(Json(state.hub.alerts.list(signed_in(&caller)?, filter).await?))
}

async fn detail(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<AlertDetail>, ApiError> {
    Ok(Json(state.hub.alerts.detail(signed_in(&caller)?, id).await?))
}

async fn ack(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<AlertView>, ApiError> {
    Ok(Json(state.hub.alerts.ack(signed_in(&caller)?, &caller.source, id).await?))
}

async fn silences(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<SilenceView>>, ApiError> {
    Ok(Json(state.hub.alerts.silences(signed_in(&caller)?).await?))
}

async fn silence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<NewSilence>,
) -> Result<(StatusCode, Json<SilenceView>), ApiError> {
    let created = state.hub.alerts.silence(signed_in(&caller)?, &caller.source, &body).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn end_silence(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.hub.alerts.end_silence(signed_in(&caller)?, &caller.source, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
