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
use types::traces::{TraceSearch, TraceSummary, TraceView};
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

/// `?service=&operation=&status=error&min_ms=&since=&until=&attribute=k=v&limit=` → summaries,
/// newest first.
async fn search(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<TraceSearch>,
) -> Result<Json<Vec<TraceSummary>>, ApiError> {
    let me = signed_in(&caller)?;
    let query = TraceQuery::from_search(&q).map_err(|m| ApiError(AppError::invalid(m)))?;
    Ok(Json(state.hub.traces.search(me, &query).await?))
}
