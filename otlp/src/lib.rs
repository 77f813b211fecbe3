//! OTLP trace exports, as OpenTelemetry SDKs send them over HTTP (`POST /v1/traces`):
//! protobuf (`application/x-protobuf`) or JSON (`application/json`), optionally gzipped,
//! decoded into the hub's spans. Everything an outside SDK sends is checked: ids of the right
//! size, lengths within the body, text in UTF-8, bounded attributes; a bad body is an error
//! that says what is wrong, never a panic.

pub mod encode;
mod json;
mod proto;
mod wire;

use std::collections::BTreeMap;
use std::io::Read;
use types::traces::{SpanStatus, SpanView};

/// Spans one export may carry.
pub const MAX_SPANS: usize = 20_000;
/// The most bytes a gzipped body may inflate to.
pub const MAX_INFLATED: usize = 32 * 1024 * 1024;
/// Attributes kept per span (and per event); the rest are dropped.
const MAX_ATTRIBUTES: usize = 128;
/// Characters kept of a name or an attribute value.
const MAX_TEXT: usize = 1024;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DecodeError {
    #[error("the body ends in the middle of a field (truncated?)")]
    Truncated,
    #[error("not an OTLP trace export: {0}")]
    Malformed(String),
    #[error("more than {MAX_SPANS} spans in one export")]
    TooManySpans,
    #[error("the gzipped body inflates past {MAX_INFLATED} bytes")]
    TooLarge,
}

/// One span as decoded, with the trace it belongs to.
#[derive(Clone, Debug, PartialEq)]
pub struct Decoded {
    pub trace_id: String,
    pub span: SpanView,
}

/// How the body is encoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

/// Decodes an export request (`ExportTraceServiceRequest`).
pub fn decode(body: &[u8], encoding: Encoding) -> Result<Vec<Decoded>, DecodeError> {
    match encoding {
        Encoding::Protobuf => proto::decode(body),
        Encoding::Json => json::decode(body),
    }
}

/// Inflates a gzipped body, refusing one that inflates past `MAX_INFLATED`.
pub fn gunzip(body: &[u8]) -> Result<Vec<u8>, DecodeError> {
    let mut out = Vec::new();
    let limit = u64::try_from(MAX_INFLATED).unwrap_or(u64::MAX) + 1;
    flate2::read::GzDecoder::new(body)
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| DecodeError::Malformed(format!("the body is not valid gzip: {e}")))?;
    if out.len() > MAX_INFLATED {
        return Err(DecodeError::TooLarge);
    }
    Ok(out)
}

/// A span as both decoders gather it, before it is checked.
#[derive(Default)]
struct RawSpan {
    trace_id: Vec<u8>,
    span_id: Vec<u8>,
    parent_id: Vec<u8>,
    name: String,
    kind: i64,
    start_ns: u64,
    end_ns: u64,
    attributes: Vec<(String, String)>,
    events: Vec<RawEvent>,
    status_code: i64,
    status_message: String,
}

#[derive(Default)]
struct RawEvent {
    time_ns: u64,
    name: String,
    attributes: Vec<(String, String)>,
}

fn cut(mut s: String) -> String {
    if s.chars().count() > MAX_TEXT {
        s = s.chars().take(MAX_TEXT - 1).collect();
        s.push('…');
    }
    s
}

fn attributes(list: Vec<(String, String)>, prefix: &str) -> BTreeMap<String, String> {
    list.into_iter().take(MAX_ATTRIBUTES).map(|(k, v)| (cut(format!("{prefix}{k}")), cut(v))).collect()
}

fn hex_id(bytes: &[u8], size: usize, what: &str) -> Result<String, DecodeError> {
    if bytes.len() != size {
        return Err(DecodeError::Malformed(format!("{what} has {} bytes, not {size}", bytes.len())));
    }
    if bytes.iter().all(|b| *b == 0) {
        return Err(DecodeError::Malformed(format!("{what} is all zeros")));
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

fn micros(ns: u64) -> i64 {
    i64::try_from(ns / 1000).unwrap_or(i64::MAX)
}

/// Checks a raw span and puts it in the hub's terms, with its resource's service and
/// attributes.
fn finish(raw: RawSpan, service: &str, resource: &[(String, String)]) -> Result<Decoded, DecodeError> {
    let trace_id = hex_id(&raw.trace_id, 16, "a trace id")?;
    let span_id = hex_id(&raw.span_id, 8, "a span id")?;
    let parent_id =
        if raw.parent_id.is_empty() { None } else { Some(hex_id(&raw.parent_id, 8, "a parent span id")?) };
    let status = match raw.status_code {
        0 => SpanStatus::Unset,
        1 => SpanStatus::Ok,
        2 => SpanStatus::Error,
        c => return Err(DecodeError::Malformed(format!("status code {c}"))),
    };
    let kind = match raw.kind {
        2 => "server",
        3 => "client",
        4 => "producer",
        5 => "consumer",
        1 => "internal",
        _ => "",
    };
    let mut attrs = attributes(raw.attributes, "");
    for (k, v) in attributes(resource.to_vec(), "resource.") {
        attrs.entry(k).or_insert(v);
    }
    let events = raw
        .events
        .into_iter()
        .take(MAX_ATTRIBUTES)
        .map(|e| types::traces::SpanEventView {
            time_us: micros(e.time_ns),
            name: cut(e.name),
            attributes: attributes(e.attributes, ""),
        })
        .collect();
    let name = if raw.name.is_empty() { "(unnamed)".to_string() } else { cut(raw.name) };
    Ok(Decoded {
        trace_id,
        span: SpanView {
            span_id,
            parent_id,
            service: cut(service.to_string()),
            name,
            start_us: micros(raw.start_ns),
            duration_us: micros(raw.end_ns.saturating_sub(raw.start_ns)),
            status,
            status_message: Some(raw.status_message).filter(|m| !m.is_empty()).map(cut),
            kind: kind.to_string(),
            attributes: attrs,
            events,
        },
    })
}

/// The resource's `service.name`, as the OpenTelemetry spec defaults it.
fn service_of(resource: &[(String, String)]) -> String {
    resource
        .iter()
        .find(|(k, _)| k == "service.name")
        .map(|(_, v)| v.clone())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "unknown_service".to_string())
}

#[cfg(test)]
mod tests;
