//! The SQL of spans (portable): kept in batches (a re-sent span is kept once), read by
//! trace, searched into trace summaries, deleted past the retention.

use crate::store::Store;
use crate::BackendError;
use otlp::Decoded;
use sqlx::Row;
use std::collections::BTreeMap;
use types::traces::{SpanEventView, SpanStatus, SpanView, TraceSearch, TraceSummary};

/// Rows per INSERT statement (13 values each, within every engine's parameter limit).
const ROWS_PER_INSERT: usize = 400;
/// The most spans one trace is read with.
pub const MAX_TRACE_SPANS: i64 = 10_000;

pub async fn insert(store: &Store, spans: &[Decoded], received_ms: i64) -> Result<(), BackendError> {
    let mut tx = store.pool().begin().await?;
    for chunk in spans.chunks(ROWS_PER_INSERT) {
        let mut sql = String::from(
            "INSERT INTO spans (trace_id, span_id, parent_id, service, name, kind, start_us, duration_us, \
             status, status_message, attributes, events, received_ms) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 13;
            if i > 0 {
                sql.push_str(", ");
            }
            let marks: Vec<String> = (1..=13).map(|k| format!("${}", b + k)).collect();
            sql.push_str(&format!("({})", marks.join(", ")));
        }
        sql.push_str(" ON CONFLICT (trace_id, span_id) DO NOTHING");
        let mut q = sqlx::query(&sql);
        for d in chunk {
            let s = &d.span;
            q = q
                .bind(&d.trace_id)
                .bind(&s.span_id)
                .bind(&s.parent_id)
                .bind(&s.service)
                .bind(&s.name)
                .bind(&s.kind)
                .bind(s.start_us)
                .bind(s.duration_us)
                .bind(s.status.as_str())
                .bind(&s.status_message)
                .bind(serde_json::to_string(&s.attributes).unwrap_or_else(|_| "{}".into()))
                .bind(serde_json::to_string(&s.events).unwrap_or_else(|_| "[]".into()))
                .bind(received_ms);
        }
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub async fn trace(store: &Store, trace_id: &str) -> Result<Vec<SpanView>, BackendError> {
    let rows = sqlx::query(
        "SELECT span_id, parent_id, service, name, kind, start_us, duration_us, status, status_message, \
         attributes, events FROM spans WHERE trace_id = $1 ORDER BY start_us LIMIT $2",
    )
    .bind(trace_id)
    .bind(MAX_TRACE_SPANS)
    .fetch_all(store.pool())
    .await?;
    rows.iter().map(span).collect()
}

fn span(r: &sqlx::any::AnyRow) -> Result<SpanView, BackendError> {
    let status: String = r.try_get("status")?;
    let attributes: String = r.try_get("attributes")?;
    let events: String = r.try_get("events")?;
    Ok(SpanView {
        span_id: r.try_get("span_id")?,
        parent_id: r.try_get("parent_id")?,
        service: r.try_get("service")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        start_us: r.try_get("start_us")?,
        duration_us: r.try_get("duration_us")?,
        status: SpanStatus::parse(&status).unwrap_or(SpanStatus::Unset),
        status_message: r.try_get("status_message")?,
        attributes: serde_json::from_str::<BTreeMap<String, String>>(&attributes).unwrap_or_default(),
        events: serde_json::from_str::<Vec<SpanEventView>>(&events).unwrap_or_default(),
    })
}

/// What a search asks for; every part optional.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TraceQuery {
    pub service: Option<String>,
    pub operation: Option<String>,
    /// Only traces with an error span.
    pub errors_only: bool,
    pub min_duration_us: Option<i64>,
    pub since_us: Option<i64>,
    pub until_us: Option<i64>,
    /// `key=value` an attribute of a matching span has.
    pub attribute: Option<(String, String)>,
    pub limit: i64,
}

impl TraceQuery {
    /// A search as the API and the page ask for it; the reason when it makes no sense.
    pub fn from_search(q: &TraceSearch) -> Result<TraceQuery, String> {
        let errors_only = match q.status.as_deref() {
            None | Some("" | "any") => false,
            Some("error") => true,
            Some(s) => return Err(format!("status must be error or any, not {s:?}")),
        };
        let attribute = match q.attribute.as_deref().filter(|a| !a.is_empty()) {
            None => None,
            Some(a) => {
                let (k, v) = a.split_once('=').ok_or_else(|| format!("attribute {a:?} is not key=value"))?;
                Some((k.trim().to_string(), v.trim().to_string()))
            }
        };
        if q.min_ms.is_some_and(|m| !(m.is_finite() && m >= 0.0)) {
            return Err("min_ms must be a number of 0 or more".into());
        }
        #[expect(clippy::cast_possible_truncation, reason = "milliseconds to microseconds")]
        let min_duration_us = q.min_ms.filter(|m| *m > 0.0).map(|m| (m * 1000.0) as i64);
        let text =
            |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        Ok(TraceQuery {
            service: text(&q.service),
            operation: text(&q.operation),
            errors_only,
            min_duration_us,
            since_us: q.since.map(|t| t.saturating_mul(1000)),
            until_us: q.until.map(|t| t.saturating_mul(1000)),
            attribute,
            limit: q.limit.unwrap_or(50),
        })
    }
}

/// Traces with a span that matches, newest first.
pub async fn search(store: &Store, q: &TraceQuery) -> Result<Vec<TraceSummary>, BackendError> {
    let mut filters = Vec::new();
    let mut binds: Vec<String> = Vec::new();
    let mut ints: Vec<i64> = Vec::new();
    // Text binds first ($1…), then numbers: the SQL names each by its position.
    if let Some(s) = &q.service {
        binds.push(s.clone());
        filters.push(format!("service = ${}", binds.len()));
    }
    if let Some(o) = &q.operation {
        binds.push(o.clone());
        filters.push(format!("name = ${}", binds.len()));
    }
    if let Some((k, v)) = &q.attribute {
        // The attributes are a JSON object of strings: the pair appears as written here.
        let pair = serde_json::to_string(&BTreeMap::from([(k, v)])).unwrap_or_default();
        let inner = pair.trim_start_matches('{').trim_end_matches('}').to_string();
        binds.push(format!("%{}%", inner.replace('%', "\\%").replace('_', "\\_")));
        filters.push(format!("attributes LIKE ${} ESCAPE '\\'", binds.len()));
    }
    let n = binds.len();
    let mut next = n;
    let mut int_filter = |sql: &str, v: i64, filters: &mut Vec<String>| {
        ints.push(v);
        next += 1;
        filters.push(sql.replace('?', &format!("${next}")));
    };
    if let Some(t) = q.since_us {
        int_filter("start_us >= ?", t, &mut filters);
    }
    if let Some(t) = q.until_us {
        int_filter("start_us <= ?", t, &mut filters);
    }
    let mut having = Vec::new();
    if q.errors_only {
        having.push("SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) > 0".to_string());
    }
    if let Some(d) = q.min_duration_us {
        ints.push(d);
        next += 1;
        having.push(format!("MAX(start_us + duration_us) - MIN(start_us) >= ${next}"));
    }
    ints.push(q.limit.clamp(1, 500));
    next += 1;
    let limit = next;
    let where_sql = if filters.is_empty() { "1 = 1".to_string() } else { filters.join(" AND ") };
    let having_sql =
        if having.is_empty() { String::new() } else { format!(" HAVING {}", having.join(" AND ")) };
    let sql = format!(
        "SELECT trace_id, MIN(start_us) AS first_us, MAX(start_us + duration_us) AS last_us, COUNT(*) AS n, \
         SUM(CASE WHEN status = 'error' THEN 1 ELSE 0 END) AS errors FROM spans \
         WHERE trace_id IN (SELECT trace_id FROM spans WHERE {where_sql}) \
         GROUP BY trace_id{having_sql} ORDER BY first_us DESC LIMIT ${limit}"
    );
    let mut query = sqlx::query(&sql);
    for b in &binds {
        query = query.bind(b);
    }
    for i in &ints {
        query = query.bind(*i);
    }
    let rows = query.fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let trace_id: String = r.try_get("trace_id")?;
        let first: i64 = r.try_get("first_us")?;
        let last: i64 = r.try_get("last_us")?;
        let root = sqlx::query(
            "SELECT service, name FROM spans WHERE trace_id = $1 ORDER BY (parent_id IS NULL) DESC, start_us LIMIT 1",
        )
        .bind(&trace_id)
        .fetch_optional(store.pool())
        .await?;
        let (root_service, root_name) = match root {
            Some(r) => (r.try_get("service")?, r.try_get("name")?),
            None => (String::new(), String::new()),
        };
        let services: Vec<String> =
            sqlx::query_scalar("SELECT DISTINCT service FROM spans WHERE trace_id = $1 ORDER BY service")
                .bind(&trace_id)
                .fetch_all(store.pool())
                .await?;
        out.push(TraceSummary {
            trace_id,
            root_service,
            root_name,
            start_us: first,
            duration_us: last - first,
            spans: r.try_get("n")?,
            errors: r.try_get("errors")?,
            services,
        });
    }
    Ok(out)
}

/// The services with spans in these traces, by name.
pub async fn services_in(store: &Store, trace_ids: &[String]) -> Result<Vec<String>, BackendError> {
    let marks: Vec<String> = (1..=trace_ids.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT DISTINCT service FROM spans WHERE trace_id IN ({}) ORDER BY service",
        marks.join(", ")
    );
    let mut q = sqlx::query_scalar(&sql);
    for t in trace_ids {
        q = q.bind(t);
    }
    Ok(q.fetch_all(store.pool()).await?)
}

/// Deletes spans received before `before_ms`; how many.
pub async fn forget(store: &Store, before_ms: i64) -> Result<u64, BackendError> {
    Ok(sqlx::query("DELETE FROM spans WHERE received_ms < $1")
        .bind(before_ms)
        .execute(store.pool())
        .await?
        .rows_affected())
}
