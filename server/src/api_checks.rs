//! /api/v1 for consistency checks: runs (start, progress, cancel, sign-off), their
//! differences (JSON pages or CSV) and the review of a difference.

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use backend::consistency::export::{csv_row, CSV_HEADER};
use backend::consistency::findings::Filters;
use backend::consistency::service::ReviewAction;
use backend::Caller;
use serde::Deserialize;
use types::checks::{CheckSummary, DifferenceEvent, RunMode, RunView, VerifierView};
use types::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/checks", get(list).post(define))
        .route("/checks/{name}/delete", post(delete))
        .route("/checks/{name}/runs", post(start).get(runs))
        .route("/checks/{name}/verifier", get(verifier))
        .route("/checks/{name}/runs/{id}", get(run))
        .route("/checks/{name}/runs/{id}/differences", get(differences))
        .route("/checks/{name}/runs/{id}/repair.sql", get(repair))
        .route("/checks/{name}/runs/{id}/cancel", post(cancel))
        .route("/checks/{name}/runs/{id}/signoff", post(sign_off))
        .route("/differences/{id}/history", get(history))
        .route("/differences/{id}/{action}", post(review))
}

async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<CheckSummary>>, ApiError> {
    Ok(Json(state.hub.checks.list(signed_in(&caller)?).await?))
}

#[derive(Deserialize)]
struct DefineBody {
    toml: String,
}

/// `{"toml": "[[checks]] …"}` → `{"name"}`: a lead defines a check.
async fn define(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<DefineBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let name = state.hub.checks.define(signed_in(&caller)?, &caller.source, &body.toml).await?;
    Ok(Json(serde_json::json!({ "name": name })))
}

async fn delete(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    state.hub.checks.undefine(signed_in(&caller)?, &caller.source, &name).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct StartBody {
    mode: Option<String>,
}

async fn start(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    body: Option<Json<StartBody>>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let me = signed_in(&caller)?;
    let mode = body.and_then(|b| b.0.mode).unwrap_or_else(|| "residual".into());
    let mode = RunMode::parse(&mode).ok_or_else(|| {
        ApiError(AppError::invalid(format!("mode must be residual or recent, not {mode:?}")))
    })?;
    let id = state.hub.checks.start(me, &caller.source, &name, mode).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

async fn verifier(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<VerifierView>, ApiError> {
    Ok(Json(state.hub.checks.verifier(signed_in(&caller)?, &name).await?))
}

#[derive(Deserialize)]
struct RunsQuery {
    limit: Option<i64>,
}

async fn runs(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    Query(q): Query<RunsQuery>,
) -> Result<Json<Vec<RunView>>, ApiError> {
    Ok(Json(state.hub.checks.runs(signed_in(&caller)?, &name, q.limit.unwrap_or(50).clamp(1, 500)).await?))
}

async fn run(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(state.hub.checks.run(signed_in(&caller)?, &name, id).await?))
}

#[derive(Deserialize)]
struct DifferencesQuery {
    limit: Option<i64>,
    after: Option<i64>,
    kind: Option<String>,
    state: Option<String>,
    assignee: Option<String>,
    column: Option<String>,
    /// `csv`: the same as `Accept: text/csv` (for a plain link).
    format: Option<String>,
}

async fn differences(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Path((name, id)): Path<(String, i64)>,
    Query(q): Query<DifferencesQuery>,
) -> Result<Response, ApiError> {
    let me = signed_in(&caller)?;
    let csv = q.format.as_deref() == Some("csv")
        || headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/csv"));
    let filters = Filters {
        kind: q.kind,
        state: q.state,
        assignee: q.assignee,
        column: q.column,
        after: q.after.unwrap_or(0),
        limit: q.limit.unwrap_or(if csv { 10_000 } else { 100 }),
    };
    let page = state.hub.checks.differences(me, &name, id, &filters).await?;
    if !csv {
        return Ok(Json(page).into_response());
    }
    let mut body = String::from(CSV_HEADER);
    page.iter().for_each(|d| body.push_str(&csv_row(d)));
    let disposition = format!("attachment; filename=\"{name}-run-{id}.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response())
}

/// Suggested repair SQL for the run's open differences (never run by the hub).
async fn repair(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Response, ApiError> {
    let sql = state.hub.checks.repair_sql(signed_in(&caller)?, &name, id).await?;
    Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], sql).into_response())
}

async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, i64)>,
) -> Result<StatusCode, ApiError> {
    state.hub.checks.cancel(signed_in(&caller)?, &caller.source, &name, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn sign_off(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((name, id)): Path<(String, i64)>,
) -> Result<Json<RunView>, ApiError> {
    Ok(Json(state.hub.checks.sign_off(signed_in(&caller)?, &caller.source, &name, id).await?))
}

async fn history(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<DifferenceEvent>>, ApiError> {
    Ok(Json(state.hub.checks.history(signed_in(&caller)?, id).await?))
}

#[derive(Deserialize, Default)]
struct ReviewBody {
    team: Option<String>,
    text: Option<String>,
    reason: Option<String>,
    note: Option<String>,
}

/// `acknowledge`, `assign` {"team"}, `comment` {"text"}, `resolve` {"reason", "note"}.
async fn review(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((id, action)): Path<(i64, String)>,
    body: Option<Json<ReviewBody>>,
) -> Result<StatusCode, ApiError> {
    let me = signed_in(&caller)?;
    let b = body.map(|b| b.0).unwrap_or_default();
    let missing = |what: &str| ApiError(AppError::invalid(format!("{action} needs \"{what}\"")));
    let action = match action.as_str() {
        "acknowledge" => ReviewAction::Acknowledge,
        "assign" => ReviewAction::Assign(b.team.ok_or_else(|| missing("team"))?),
        "comment" => ReviewAction::Comment(b.text.ok_or_else(|| missing("text"))?),
        "resolve" => {
            ReviewAction::Resolve { reason: b.reason.ok_or_else(|| missing("reason"))?, note: b.note }
        }
        other => return Err(ApiError(AppError::not_found(format!("no review action {other:?}")))),
    };
    state.hub.checks.review(me, &caller.source, id, action).await?;
    Ok(StatusCode::NO_CONTENT)
}
