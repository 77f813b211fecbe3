//! How an error leaves the JSON API: a status and {"error": kind, "message": text}, with
//! `Retry-After` when the refusal ends by itself. Every rejection of /api/v1 — the
//! extractors' and the router's own (bad JSON, bad path or query, wrong method, body too
//! large, unknown route) — is turned into the same shape by `json_errors`.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use types::{AppError, ErrorKind};

pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.0.kind.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::json!({ "error": self.0.kind.as_str(), "message": self.0.message });
        let mut res = (status, Json(body)).into_response();
        if let Some(wait) = self.0.retry_after_s {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(wait));
        }
        res
    }
}

/// The most of a plain-text rejection kept as the message.
const MAX_MESSAGE: usize = 4096;

/// Rewrites an error answer that is not JSON (axum's rejections are plain text) into the
/// API's error shape, keeping its status and its text as the message.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    // A body that is JSON but not the expected shape is as invalid as one that is no JSON.
    if parts.status == StatusCode::UNPROCESSABLE_ENTITY {
        parts.status = StatusCode::BAD_REQUEST;
    }
    let status = parts.status;
    let text = axum::body::to_bytes(body, MAX_MESSAGE).await.unwrap_or_default();
    let text = String::from_utf8_lossy(&text).trim().to_string();
    let kind = match status {
        StatusCode::UNAUTHORIZED => ErrorKind::Unauthenticated,
        StatusCode::FORBIDDEN => ErrorKind::Forbidden,
        StatusCode::NOT_FOUND => ErrorKind::NotFound,
        StatusCode::CONFLICT => ErrorKind::Conflict,
        StatusCode::TOO_MANY_REQUESTS => ErrorKind::TooManyRequests,
        StatusCode::SERVICE_UNAVAILABLE => ErrorKind::Unavailable,
        s if s.is_server_error() => ErrorKind::Internal,
        _ => ErrorKind::Invalid,
    };
    let message = match (text.is_empty(), status) {
        (false, _) => text,
        (true, StatusCode::NOT_FOUND) => "No such endpoint in /api/v1.".to_string(),
        (true, StatusCode::METHOD_NOT_ALLOWED) => "This endpoint does not take that method.".to_string(),
        (true, s) => s.canonical_reason().unwrap_or("Refused.").to_string(),
    };
    let body = serde_json::json!({ "error": kind.as_str(), "message": message });
    let mut res = Response::from_parts(parts, Body::from(body.to_string()));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res.headers_mut().remove(header::CONTENT_LENGTH);
    res
}
