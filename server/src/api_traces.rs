//! Traces: OTLP/HTTP's receiver (`POST /v1/traces`, protobuf or JSON, gzip, a bearer token)
//! and `/api/v1/traces` to read them (a trace by id, a search).

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{middleware, Extension, Json, Router};
use backend::traces::{TraceQuery, MAX_BODY_BYTES};
use backend::Caller;
use otlp::Encoding;
use serde::Deserialize;
use types::traces::{TraceSummary, TraceView};
use types::AppError;

/// `/v1/traces`, where OpenTelemetry SDKs send by default (`OTEL_EXPORTER_OTLP_ENDPOINT`
/// is the hub's address).
pub fn receiver() -> Router<AppState> {
    Router::new()
        .route("/traces", post(export).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
        .layer(middleware::from_fn(crate::error::json_errors))
}

/// Under /api/v1.
pub fn router() -> Router<AppState> {
    Router::new().route("/traces", get(search)).route("/traces/{trace_id}", get(trace))
}

/// 415 with the reason (made the API's JSON error by `json_errors`).
fn unsupported(message: String) -> Response {
    (StatusCode::UNSUPPORTED_MEDIA_TYPE, message).into_response()
}

fn encoding(headers: &HeaderMap) -> Result<Encoding, String> {
    let ct = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match essence.as_str() {
        "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
        "application/json" => Ok(Encoding::Json),
        _ => Err(format!("OTLP/HTTP sends application/x-protobuf or application/json, not {ct:?}")),
    }
}

/// An OTLP export → 200 with an empty `ExportTraceServiceResponse` in the request's encoding.
async fn export(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let me = signed_in(&caller)?;
    let encoding = match encoding(&headers) {
        Ok(e) => e,
        Err(why) => return Ok(unsupported(why)),
    };
    let gzipped = match headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()) {
        None | Some("identity") => false,
        Some(e) if e.eq_ignore_ascii_case("gzip") => true,
        Some(other) => return Ok(unsupported(format!("Content-Encoding {other:?}: only gzip is read"))),
    };
    state.hub.traces.ingest(me, &body, encoding, gzipped).await?;
    Ok(match encoding {
        Encoding::Protobuf => {
            ([(header::CONTENT_TYPE, "application/x-protobuf")], Vec::<u8>::new()).into_response()
        }
        Encoding::Json => Json(serde_json::json!({})).into_response(),
    })
}

async fn trace(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(trace_id): Path<String>,
) -> Result<Json<TraceView>, ApiError> {
    Ok(Json(state.hub.traces.trace(signed_in(&caller)?, &trace_id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SearchQuery {
    #[serde(default)]
    service: Option<String>,
    #[serde(default)]
    operation: Option<String>,
    /// `error`: only traces with a failed span.
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    min_ms: Option<f64>,
    /// Unix ms.
    #[serde(default)]
    since: Option<i64>,
    #[serde(default)]
    until: Option<i64>,
    /// `key=value`.
    #[serde(default)]
    attribute: Option<String>,
    #[serde(default)]
    limit: Option<i64>,
}

/// `?service=&operation=&status=error&min_ms=&since=&until=&attribute=k=v&limit=` → summaries,
/// newest first.
async fn search(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Vec<TraceSummary>>, ApiError> {
    let me = signed_in(&caller)?;
    let query = trace_query(q).map_err(|m| ApiError(AppError::invalid(m)))?;
    Ok(Json(state.hub.traces.search(me, &query).await?))
}

fn trace_query(q: SearchQuery) -> Result<TraceQuery, String> {
    let errors_only = match q.status.as_deref() {
        None | Some("" | "any") => false,
        Some("error") => true,
        Some(s) => return Err(format!("status must be error or any, not {s:?}")),
    };
    let attribute = match q.attribute.filter(|a| !a.is_empty()) {
        None => None,
        Some(a) => {
            let (k, v) = a.split_once('=').ok_or_else(|| format!("attribute {a:?} is not key=value"))?;
            Some((k.to_string(), v.to_string()))
        }
    };
    if q.min_ms.is_some_and(|m| !(m.is_finite() && m >= 0.0)) {
        return Err("min_ms must be a number of 0 or more".into());
    }
    #[expect(clippy::cast_possible_truncation, reason = "milliseconds to microseconds")]
    let min_duration_us = q.min_ms.map(|m| (m * 1000.0) as i64);
    Ok(TraceQuery {
        service: q.service.filter(|s| !s.is_empty()),
        operation: q.operation.filter(|s| !s.is_empty()),
        errors_only,
        min_duration_us,
        since_us: q.since.map(|t| t.saturating_mul(1000)),
        until_us: q.until.map(|t| t.saturating_mul(1000)),
        attribute,
        limit: q.limit.unwrap_or(50),
    })
}
