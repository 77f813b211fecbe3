//! Traces read from an existing Jaeger (`[tracing] jaeger`), through its query service's HTTP
//! JSON API (`/api/traces/{id}`, `/api/traces?service=…`), in the hub's terms.

use super::store::TraceQuery;
use crate::BackendError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use types::traces::{SpanEventView, SpanStatus, SpanView, TraceSummary};

#[derive(Deserialize)]
struct Answer {
    #[serde(default)]
    data: Vec<JTrace>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JTrace {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(default)]
    spans: Vec<JSpan>,
    #[serde(default)]
    processes: HashMap<String, JProcess>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JSpan {
    #[serde(rename = "spanID")]
    span_id: String,
    operation_name: String,
    #[serde(default)]
    references: Vec<JRef>,
    start_time: i64,
    duration: i64,
    #[serde(default)]
    tags: Vec<JTag>,
    #[serde(default)]
    logs: Vec<JLog>,
    #[serde(rename = "processID", default)]
    process_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JRef {
    ref_type: String,
    #[serde(rename = "spanID")]
    span_id: String,
}

#[derive(Deserialize)]
struct JTag {
    key: String,
    value: serde_json::Value,
}

#[derive(Deserialize)]
struct JLog {
    timestamp: i64,
    #[serde(default)]
    fields: Vec<JTag>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JProcess {
    service_name: String,
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn spans_of(t: JTrace) -> (String, Vec<SpanView>) {
    let spans = t
        .spans
        .into_iter()
        .map(|s| {
            let service = t
                .processes
                .get(&s.process_id)
                .map_or_else(|| "unknown_service".into(), |p| p.service_name.clone());
            let mut attributes: BTreeMap<String, String> =
                s.tags.iter().map(|tag| (tag.key.clone(), text(&tag.value))).collect();
            // Jaeger marks a failed span with the tag error=true (and OTLP's status in otel.status_code).
            let failed = attributes.get("error").is_some_and(|v| v == "true")
                || attributes.get("otel.status_code").is_some_and(|v| v == "ERROR");
            let ok = attributes.get("otel.status_code").is_some_and(|v| v == "OK");
            let status_message = attributes.remove("otel.status_description");
            let kind = attributes.get("span.kind").cloned().unwrap_or_default();
            let parent_id = s.references.iter().find(|r| r.ref_type == "CHILD_OF").map(|r| r.span_id.clone());
            SpanView {
                span_id: s.span_id,
                parent_id,
                service,
                name: s.operation_name,
                start_us: s.start_time,
                duration_us: s.duration.max(0),
                status: if failed {
                    SpanStatus::Error
                } else if ok {
                    SpanStatus::Ok
                } else {
                    SpanStatus::Unset
                },
                status_message,
                kind,
                attributes,
                events: s
                    .logs
                    .into_iter()
                    .map(|l| {
                        let fields: BTreeMap<String, String> =
                            l.fields.iter().map(|f| (f.key.clone(), text(&f.value))).collect();
                        SpanEventView {
                            time_us: l.timestamp,
                            name: fields.get("event").cloned().unwrap_or_else(|| "log".into()),
                            attributes: fields,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    (t.trace_id, spans)
}

fn unavailable(base: &str, e: impl std::fmt::Display) -> BackendError {
    BackendError::Unavailable(format!("Jaeger at {base} did not answer: {e}"))
}

async fn get(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    params: &[(&str, String)],
) -> Result<Answer, BackendError> {
    let url = format!("{}{path}", base.trim_end_matches('/'));
    let res = client
        .get(&url)
        .query(params)
        .send()
        .await
        .map_err(|e| unavailable(base, crate::http::describe(&e)))?;
    if res.status() == reqwest::StatusCode::NOT_FOUND {
        return Ok(Answer { data: vec![] });
    }
    if !res.status().is_success() {
        return Err(unavailable(base, format!("HTTP {}", res.status())));
    }
    res.json().await.map_err(|e| unavailable(base, format!("not Jaeger's JSON: {e}")))
}

/// One trace's spans, or None when Jaeger does not have it.
pub async fn trace(
    client: &reqwest::Client,
    base: &str,
    trace_id: &str,
) -> Result<Option<Vec<SpanView>>, BackendError> {
    let answer = get(client, base, &format!("/api/traces/{trace_id}"), &[]).await?;
    Ok(answer.data.into_iter().next().map(|t| spans_of(t).1).filter(|s| !s.is_empty()))
}

/// A search; Jaeger needs a service to search in.
pub async fn search(
    client: &reqwest::Client,
    base: &str,
    q: &TraceQuery,
) -> Result<Vec<TraceSummary>, BackendError> {
    let Some(service) = &q.service else {
        return Err(BackendError::Invalid("searching Jaeger needs a service".into()));
    };
    let mut params = vec![("service", service.clone()), ("limit", q.limit.clamp(1, 500).to_string())];
    if let Some(o) = &q.operation {
        params.push(("operation", o.clone()));
    }
    let mut tags = BTreeMap::new();
    if q.errors_only {
        tags.insert("error".to_string(), "true".to_string());
    }
    if let Some((k, v)) = &q.attribute {
        tags.insert(k.clone(), v.clone());
    }
    if !tags.is_empty() {
        params.push(("tags", serde_json::to_string(&tags).unwrap_or_default()));
    }
    if let Some(d) = q.min_duration_us {
        params.push(("minDuration", format!("{d}us")));
    }
    if let Some(t) = q.since_us {
        params.push(("start", t.to_string()));
    }
    if let Some(t) = q.until_us {
        params.push(("end", t.to_string()));
    }
    let answer = get(client, base, "/api/traces", &params).await?;
    let mut out: Vec<TraceSummary> = answer.data.into_iter().map(|t| summary(spans_of(t))).collect();
    out.sort_by_key(|t| std::cmp::Reverse(t.start_us));
    Ok(out)
}

fn summary((trace_id, spans): (String, Vec<SpanView>)) -> TraceSummary {
    let first = spans.iter().map(|s| s.start_us).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.start_us + s.duration_us).max().unwrap_or(first);
    let root =
        spans.iter().find(|s| s.parent_id.is_none()).or_else(|| spans.iter().min_by_key(|s| s.start_us));
    let mut services: Vec<String> = spans.iter().map(|s| s.service.clone()).collect();
    services.sort();
    services.dedup();
    TraceSummary {
        root_service: root.map(|r| r.service.clone()).unwrap_or_default(),
        root_name: root.map(|r| r.name.clone()).unwrap_or_default(),
        start_us: first,
        duration_us: last - first,
        spans: i64::try_from(spans.len()).unwrap_or(i64::MAX),
        errors: i64::try_from(spans.iter().filter(|s| s.status == SpanStatus::Error).count()).unwrap_or(0),
        services,
        trace_id,
    }
}
