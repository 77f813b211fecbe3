//! /api/v1 for profiling captures: request, cancel, list, artifacts and their analyses.

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use backend::Caller;
use serde::Deserialize;
use types::profiles::{FlameGraph, Neighbours, Top};
use types::threads::{Analysis, DumpDiff};
use types::CaptureKind;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/captures", post(request_capture).get(list))
        .route("/captures/{id}", get(capture))
        .route("/captures/{id}/cancel", post(cancel))
        .route("/captures/{id}/raw", get(capture_raw))
        .route("/captures/{id}/threads", get(capture_threads))
        .route("/captures/{id}/threads-series", get(capture_threads_series))
        .route("/captures/{id}/top", get(capture_top))
        .route("/captures/{id}/flame", get(capture_flame))
        .route("/captures/{id}/peek", get(capture_peek))
        .route("/captures/{before}/diff/{after}", get(diff))
        .route("/captures/{before}/threads-diff/{after}", get(threads_diff))
        .route("/uploads", post(upload).layer(DefaultBodyLimit::max(backend::profiling::MAX_ARTIFACT)))
}

#[derive(Deserialize)]
struct ListQuery {
    service: String,
    instance: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Vec<types::CaptureView>>, ApiError> {
    Ok(Json(state.hub.captures.list(signed_in(&caller)?, &q.service, q.instance.as_deref()).await?))
}

async fn cancel(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.hub.captures.cancel(signed_in(&caller)?, &caller.source, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct CaptureBody {
    service: String,
    instance: String,
    kind: CaptureKind,
    seconds: Option<i64>,
    /// A thread dump series' dump count (default 3).
    dumps: Option<i64>,
}

async fn request_capture(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<CaptureBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let me = signed_in(&caller)?;
    let captures = &state.hub.captures;
    let id = captures
        .request(me, &caller.source, &body.service, &body.instance, body.kind, (body.seconds, body.dumps))
        .await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

async fn capture(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<types::CaptureView>, ApiError> {
    Ok(Json(state.hub.captures.get(signed_in(&caller)?, id).await?))
}

#[derive(Deserialize)]
struct RawQuery {
    /// `1`: a thread dump shown as text in the browser rather than downloaded.
    #[serde(default)]
    inline: Option<String>,
}

async fn capture_raw(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<RawQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let (bytes, name) = state.hub.captures.raw(signed_in(&caller)?, id).await?;
    let text = name.ends_with(".txt");
    let (kind, disposition) = if text && q.inline.as_deref() == Some("1") {
        ("text/plain; charset=utf-8", format!("inline; filename=\"{name}\""))
    } else {
        ("application/octet-stream", format!("attachment; filename=\"{name}\""))
    };
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
            (axum::http::header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}

async fn capture_threads_series(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<types::threads::SeriesAnalysis>, ApiError> {
    Ok(Json(state.hub.captures.threads_series(signed_in(&caller)?, id).await?))
}

async fn capture_threads(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<Analysis>, ApiError> {
    Ok(Json(state.hub.captures.threads(signed_in(&caller)?, id).await?))
}

#[derive(Deserialize)]
struct UploadQuery {
    kind: CaptureKind,
    service: String,
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let me = signed_in(&caller)?;
    let id = state.hub.captures.upload(me, &caller.source, &q.service, q.kind, &body).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

#[derive(Deserialize)]
struct SampleQuery {
    sample: Option<String>,
    /// `1`: leave the runtime's scaffolding frames out of the flamegraph.
    #[serde(default)]
    collapse: Option<String>,
}

impl SampleQuery {
    fn collapse(&self) -> bool {
        self.collapse.as_deref() == Some("1")
    }
}

async fn capture_top(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<SampleQuery>,
) -> Result<Json<Top>, ApiError> {
    Ok(Json(state.hub.captures.top(signed_in(&caller)?, id, q.sample.as_deref()).await?))
}

async fn capture_flame(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<SampleQuery>,
) -> Result<Json<FlameGraph>, ApiError> {
    Ok(Json(state.hub.captures.flame(signed_in(&caller)?, id, q.sample.as_deref(), q.collapse()).await?))
}

#[derive(Deserialize)]
struct PeekQuery {
    function: String,
    sample: Option<String>,
}

async fn capture_peek(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    Query(q): Query<PeekQuery>,
) -> Result<Json<Neighbours>, ApiError> {
    let me = signed_in(&caller)?;
    Ok(Json(state.hub.captures.neighbours(me, id, q.sample.as_deref(), &q.function).await?))
}

async fn diff(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((before, after)): Path<(i64, i64)>,
    Query(q): Query<SampleQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let me = signed_in(&caller)?;
    let (table, flame) =
        state.hub.captures.diff(me, before, after, q.sample.as_deref(), q.collapse()).await?;
    Ok(Json(serde_json::json!({ "table": table, "flame": flame })))
}

async fn threads_diff(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path((before, after)): Path<(i64, i64)>,
) -> Result<Json<DumpDiff>, ApiError> {
    Ok(Json(state.hub.captures.threads_diff(signed_in(&caller)?, before, after).await?))
}
