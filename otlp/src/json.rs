//! `ExportTraceServiceRequest` in OTLP's JSON (protobuf's JSON mapping, with ids in hex):
//! lowerCamelCase field names (the proto names accepted too), 64-bit numbers as strings or
//! numbers, enums as numbers or their names.

use crate::{finish, service_of, DecodeError, Decoded, RawEvent, RawSpan, MAX_SPANS};
use serde_json::Value;

/// Nesting of attribute values read at most.
const MAX_DEPTH: usize = 32;

pub fn decode(body: &[u8]) -> Result<Vec<Decoded>, DecodeError> {
    let root: Value =
        serde_json::from_slice(body).map_err(|e| DecodeError::Malformed(format!("bad JSON: {e}")))?;
    if !root.is_object() {
        return Err(DecodeError::Malformed("the body is not a JSON object".into()));
    }
    let mut out = Vec::new();
    for rs in list(&root, "resourceSpans", "resource_spans")? {
        let resource = match field(rs, "resource", "resource") {
            Some(r) => key_values(r)?,
            None => Vec::new(),
        };
        let service = service_of(&resource);
        for scope in list(rs, "scopeSpans", "scope_spans")? {
            for s in list(scope, "spans", "spans")? {
                if out.len() >= MAX_SPANS {
                    return Err(DecodeError::TooManySpans);
                }
                out.push(finish(span(s)?, &service, &resource)?);
            }
        }
    }
    Ok(out)
}

fn field<'a>(v: &'a Value, camel: &str, snake: &str) -> Option<&'a Value> {
    v.get(camel).or_else(|| v.get(snake)).filter(|x| !x.is_null())
}

fn list<'a>(v: &'a Value, camel: &str, snake: &str) -> Result<&'a [Value], DecodeError> {
    match field(v, camel, snake) {
        None => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(DecodeError::Malformed(format!("{camel} is not an array"))),
    }
}

fn text(v: &Value, camel: &str, snake: &str) -> Result<String, DecodeError> {
    match field(v, camel, snake) {
        None => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(DecodeError::Malformed(format!("{camel} is not a string"))),
    }
}

/// A 64-bit number, as a JSON number or a decimal string.
fn number(v: &Value, camel: &str, snake: &str) -> Result<u64, DecodeError> {
    match field(v, camel, snake) {
        None => Ok(0),
        Some(Value::Number(n)) => {
            n.as_u64().ok_or_else(|| DecodeError::Malformed(format!("{camel} is not a whole number")))
        }
        Some(Value::String(s)) => {
            s.parse().map_err(|_| DecodeError::Malformed(format!("{camel} {s:?} is not a number")))
        }
        Some(_) => Err(DecodeError::Malformed(format!("{camel} is not a number"))),
    }
}

/// An enum as its number or its name (`SPAN_KIND_SERVER`, `STATUS_CODE_ERROR`).
fn enumeration(v: &Value, camel: &str, names: &[&str]) -> Result<i64, DecodeError> {
    match v.get(camel) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::Number(n)) => {
            n.as_i64().ok_or_else(|| DecodeError::Malformed(format!("{camel} is not a whole number")))
        }
        Some(Value::String(s)) => names
            .iter()
            .position(|n| n == s)
            .and_then(|p| i64::try_from(p).ok())
            .ok_or_else(|| DecodeError::Malformed(format!("{camel} {s:?} is not one of {names:?}"))),
        Some(_) => Err(DecodeError::Malformed(format!("{camel} is not a number"))),
    }
}

fn hex(v: &Value, camel: &str, snake: &str) -> Result<Vec<u8>, DecodeError> {
    let s = text(v, camel, snake)?;
    if s.len() % 2 != 0 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(DecodeError::Malformed(format!("{camel} {s:?} is not hex")));
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16)
                .map_err(|_| DecodeError::Malformed(format!("{camel} is not hex")))
        })
        .collect()
}

const KINDS: [&str; 6] = [
    "SPAN_KIND_UNSPECIFIED",
    "SPAN_KIND_INTERNAL",
    "SPAN_KIND_SERVER",
    "SPAN_KIND_CLIENT",
    "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER",
];
const STATUS: [&str; 3] = ["STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"];

fn span(s: &Value) -> Result<RawSpan, DecodeError> {
    let mut raw = RawSpan {
        trace_id: hex(s, "traceId", "trace_id")?,
        span_id: hex(s, "spanId", "span_id")?,
        parent_id: hex(s, "parentSpanId", "parent_span_id")?,
        name: text(s, "name", "name")?,
        kind: enumeration(s, "kind", &KINDS)?,
        start_ns: number(s, "startTimeUnixNano", "start_time_unix_nano")?,
        end_ns: number(s, "endTimeUnixNano", "end_time_unix_nano")?,
        attributes: key_values(s)?,
        ..RawSpan::default()
    };
    for e in list(s, "events", "events")? {
        raw.events.push(RawEvent {
            time_ns: number(e, "timeUnixNano", "time_unix_nano")?,
            name: text(e, "name", "name")?,
            attributes: key_values(e)?,
        });
    }
    if let Some(status) = s.get("status").filter(|v| !v.is_null()) {
        raw.status_code = enumeration(status, "code", &STATUS)?;
        raw.status_message = text(status, "message", "message")?;
    }
    Ok(raw)
}

/// `attributes: [{"key", "value": AnyValue}]` of an object.
fn key_values(v: &Value) -> Result<Vec<(String, String)>, DecodeError> {
    list(v, "attributes", "attributes")?
        .iter()
        .map(|kv| {
            Ok((text(kv, "key", "key")?, kv.get("value").map_or(Ok(String::new()), |v| any_value(v, 0))?))
        })
        .collect()
}

fn any_value(v: &Value, depth: usize) -> Result<String, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::Malformed("attribute values nest too deep".into()));
    }
    let Some(obj) = v.as_object() else {
        return Err(DecodeError::Malformed("an attribute value is not an AnyValue object".into()));
    };
    let Some((kind, inner)) = obj.iter().next() else {
        return Ok(String::new());
    };
    Ok(match (kind.as_str(), inner) {
        ("stringValue" | "string_value", Value::String(s)) => s.clone(),
        ("boolValue" | "bool_value", Value::Bool(b)) => b.to_string(),
        ("intValue" | "int_value", Value::String(s)) => s.clone(),
        ("intValue" | "int_value" | "doubleValue" | "double_value", Value::Number(n)) => n.to_string(),
        ("arrayValue" | "array_value", a) => {
            let items: Result<Vec<String>, _> =
                list(a, "values", "values")?.iter().map(|x| any_value(x, depth + 1)).collect();
            format!("[{}]", items?.join(", "))
        }
        ("kvlistValue" | "kvlist_value", kv) => {
            let items: Result<Vec<String>, DecodeError> = list(kv, "values", "values")?
                .iter()
                .map(|x| {
                    Ok(format!(
                        "{}: {}",
                        text(x, "key", "key")?,
                        x.get("value").map_or(Ok(String::new()), |v| any_value(v, depth + 1))?
                    ))
                })
                .collect();
            format!("{{{}}}", items?.join(", "))
        }
        ("bytesValue" | "bytes_value", Value::String(s)) => s.clone(),
        (k, _) => return Err(DecodeError::Malformed(format!("an attribute value of kind {k:?}"))),
    })
}
