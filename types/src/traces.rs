//! Traces as the hub keeps and shows them: spans (from OTLP exports or Jaeger), a trace with
//! the service where its error first occurred, and the summaries a search lists.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// `ok`, `error`, or `unset` (OTLP's default: not marked either way, read as ok). The API
/// says `ok` or `error` only (its contract): unset goes out as `ok`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SpanStatus {
    #[serde(rename(serialize = "ok"))]
    Unset,
    Ok,
    Error,
}

impl SpanStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SpanStatus::Unset => "unset",
            SpanStatus::Ok => "ok",
            SpanStatus::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<SpanStatus> {
        [SpanStatus::Unset, SpanStatus::Ok, SpanStatus::Error].into_iter().find(|x| x.as_str() == s)
    }
}

/// Something that happened during a span (an exception, a retry), at its time.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpanEventView {
    pub time_us: i64,
    pub name: String,
    #[serde(default)]
    pub attributes: BTreeMap<String, String>,
}

/// One span: `GET /api/v1/traces/{trace_id}` lists these.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpanView {
    pub span_id: String,
    /// None for a root span.
    pub parent_id: Option<String>,
    pub service: String,
    /// The operation.
    pub name: String,
    /// Unix microseconds.
    pub start_us: i64,
    pub duration_us: i64,
    pub status: SpanStatus,
    /// The status's message, when the span failed with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// `server`, `client`, `internal`, `producer`, `consumer` (or empty).
    #[serde(default)]
    pub kind: String,
    /// The span's attributes, and the resource's under `resource.` (host, version…).
    pub attributes: BTreeMap<String, String>,
    #[serde(default)]
    pub events: Vec<SpanEventView>,
}

/// A whole trace with what the page needs to read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceView {
    pub trace_id: String,
    /// Ordered as the waterfall draws them: each span after its parent, siblings by start.
    pub spans: Vec<SpanView>,
    /// The service of the span whose error no failing child explains, the earliest of them.
    pub first_failing_service: Option<String>,
    pub first_failing_span: Option<String>,
    /// Span ids on the critical path, root first.
    #[serde(default)]
    pub critical_path: Vec<String>,
    /// Depth of each span in the tree (0: a root), in `spans` order.
    #[serde(default)]
    pub depths: Vec<u32>,
    /// Where it was read: `hub` (the hub's store) or `jaeger`.
    #[serde(default)]
    pub source: String,
    /// The trace in an outside viewer (`[tracing] viewer_url`), when configured.
    #[serde(default)]
    pub viewer_url: Option<String>,
}

/// A trace in a search's results.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceSummary {
    pub trace_id: String,
    /// The root span's service and operation (the earliest span's when the root is missing).
    pub root_service: String,
    pub root_name: String,
    pub start_us: i64,
    pub duration_us: i64,
    pub spans: i64,
    pub errors: i64,
    pub services: Vec<String>,
}

/// A trace search as `GET /api/v1/traces` and the Traces page ask for it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSearch {
    #[serde(default)]
    pub service: Option<String>,
    #[serde(default)]
    pub operation: Option<String>,
    /// `error`: only traces with a failed span.
    #[serde(default)]
    pub status: Option<String>,
    /// The trace's duration at least, in ms.
    #[serde(default)]
    pub min_ms: Option<f64>,
    /// Unix ms.
    #[serde(default)]
    pub since: Option<i64>,
    #[serde(default)]
    pub until: Option<i64>,
    /// `key=value`, an attribute of a matching span.
    #[serde(default)]
    pub attribute: Option<String>,
    #[serde(default)]
    pub limit: Option<i64>,
}
