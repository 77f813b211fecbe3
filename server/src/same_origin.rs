//! State-changing requests must come from the hub's own pages (or from a non-browser
//! client, which sends neither header): a cross-site form or script is refused.

use crate::error::ApiError;
use axum::extract::Request;
use axum::http::{header, HeaderMap, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use types::AppError;

pub async fn refuse_cross_origin(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe && !is_same_origin(req.headers()) {
        tracing::warn!(path = %req.uri().path(), "refused a cross-origin request");
        return ApiError(AppError::forbidden("Cross-origin requests that change state are refused."))
            .into_response();
    }
    next.run(req).await
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if !matches!(site, "same-origin" | "none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let origin_host = origin.split_once("://").map_or("", |(_, rest)| rest.trim_end_matches('/'));
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_rules() {
        assert!(is_same_origin(&headers(&[("host", "127.0.0.1:3000")])));
        assert!(is_same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")])));
        assert!(!is_same_origin(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.test")])));
        assert!(!is_same_origin(&headers(&[
            ("host", "127.0.0.1:3000"),
            ("origin", "http://127.0.0.1:3001")
        ])));
        assert!(!is_same_origin(&headers(&[("host", "h"), ("sec-fetch-site", "cross-site")])));
        assert!(!is_same_origin(&headers(&[("host", "h"), ("sec-fetch-site", "same-site")])));
        assert!(is_same_origin(&headers(&[("host", "h"), ("sec-fetch-site", "same-origin")])));
        assert!(!is_same_origin(&headers(&[("host", "h"), ("origin", "null")])));
    }
}
