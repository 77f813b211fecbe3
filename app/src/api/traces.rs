//! Traces.

use leptos::prelude::*;
use types::traces::{TraceSearch, TraceSummary, TraceView};
use types::AppError;

#[server]
pub async fn get_trace(trace_id: String) -> Result<TraceView, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.traces.trace(&me, trace_id.trim()).await.or_else(super::context::fail)
}

/// A search; `last_minutes` > 0 sets its start that long before the server's now.
#[server]
pub async fn search_traces(search: TraceSearch, last_minutes: i64) -> Result<Vec<TraceSummary>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let mut search = search;
    if last_minutes > 0 {
        search.since = Some(backend::now_ms() - last_minutes * 60_000);
    }
    let query = backend::traces::TraceQuery::from_search(&search)
        .map_err(AppError::invalid)
        .or_else(super::context::fail)?;
    hub.traces.search(&me, &query).await.or_else(super::context::fail)
}
