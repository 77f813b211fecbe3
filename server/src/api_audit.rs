//! `GET /api/v1/audit` for compliance exports (leads and admins): JSON pages, newest first,
//! with a `Link: <…>; rel="next"` to the next page; or, with `Accept: text/csv`, every
//! matching entry as one CSV download.

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use backend::audit::{csv_row, AuditQuery, CSV_HEADER, MAX_PAGE, PAGE_SIZE};
use backend::{Caller, Hub, Principal};
use futures::StreamExt;
use types::{AuditEntryView, AuditFilter};

pub fn router() -> Router<AppState> {
    Router::new().route("/audit", get(audit))
}

/// An entry as the API promises it.
#[derive(serde::Serialize)]
struct Entry {
    id: i64,
    ts_ms: i64,
    actor: String,
    action: String,
    target: String,
    outcome: String,
    source: String,
}

impl From<AuditEntryView> for Entry {
    fn from(e: AuditEntryView) -> Self {
        Entry {
            id: e.id,
            ts_ms: e.at_ms,
            actor: e.actor,
            action: e.action,
            target: e.target,
            outcome: e.outcome,
            source: e.source,
        }
    }
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/csv"))
}

async fn audit(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    headers: HeaderMap,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    let me = signed_in(&caller)?.clone();
    let filter = q.filter(backend::now_ms())?;
    if wants_csv(&headers) {
        // Refused before the download starts, not halfway through it.
        state.hub.audit.list(&me, &filter, 1).await?;
        return Ok(csv(state.hub.clone(), me, filter));
    }
    let limit = q.limit.unwrap_or(PAGE_SIZE).clamp(1, MAX_PAGE);
    let page = state.hub.audit.list(&me, &filter, limit).await?;
    let next = (i64::try_from(page.len()).unwrap_or(0) == limit).then(|| page.last().map(|e| e.id)).flatten();
    let mut res = Json(page.into_iter().map(Entry::from).collect::<Vec<_>>()).into_response();
    if let Some(before) = next {
        let link = format!("<{}>; rel=\"next\"", next_url(&q, before, limit));
        if let Ok(v) = HeaderValue::from_str(&link) {
            res.headers_mut().insert(header::LINK, v);
        }
    }
    Ok(res)
}

fn next_url(q: &AuditQuery, before: i64, limit: i64) -> String {
    let mut parts = vec![format!("before={before}"), format!("limit={limit}")];
    for (k, v) in [("action", &q.action), ("actor", &q.actor), ("outcome", &q.outcome), ("since", &q.since)] {
        if let Some(v) = v {
            parts.push(format!("{k}={}", types::url::encode(v)));
        }
    }
    format!("/api/v1/audit?{}", parts.join("&"))
}

/// Every matching entry, read a page at a time as the download goes.
fn csv(hub: Hub, me: Principal, filter: AuditFilter) -> Response {
    let pages = futures::stream::unfold(Some(filter), move |next| {
        let (hub, me) = (hub.clone(), me.clone());
        async move {
            let filter = next?;
            match hub.audit.list(&me, &filter, MAX_PAGE).await {
                Ok(page) => {
                    let more = (i64::try_from(page.len()).unwrap_or(0) == MAX_PAGE)
                        .then(|| AuditFilter { before_id: page.last().map(|e| e.id), ..filter });
                    let text: String = page.iter().map(csv_row).collect();
                    Some((Ok::<_, std::io::Error>(text), more))
                }
                Err(e) => {
                    tracing::error!(error = %e, "the audit export broke off");
                    Some((Err(std::io::Error::other("the audit export broke off")), None))
                }
            }
        }
    });
    let body = futures::stream::iter([Ok(CSV_HEADER.to_string())]).chain(pages);
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"audit.csv\""),
        ],
        Body::from_stream(body),
    )
        .into_response()
}
