//! How an AppError leaves the JSON API: a status and {"error": kind, "message": text}.

use axum::http::{header, HeaderValue, StatusCode};
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
        if self.0.kind == ErrorKind::TooManyRequests {
            let wait = self.0.message.split_whitespace().find_map(|w| w.parse::<u64>().ok()).unwrap_or(60);
            if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        res
    }
}
