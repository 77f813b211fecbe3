//! `ExportTraceServiceRequest` in protobuf (opentelemetry/proto/trace/v1/trace.proto and
//! common.proto): only the fields the hub keeps are read, every other is skipped.

use crate::wire::{Reader, Value, MAX_DEPTH};
use crate::{finish, service_of, DecodeError, Decoded, RawEvent, RawSpan, MAX_SPANS};

pub fn decode(body: &[u8]) -> Result<Vec<Decoded>, DecodeError> {
    let mut out = Vec::new();
    let mut r = Reader::new(body);
    while let Some((n, v)) = r.field()? {
        if n == 1 {
            resource_spans(v.bytes("resource_spans")?, &mut out)?;
        }
    }
    Ok(out)
}

fn resource_spans(buf: &[u8], out: &mut Vec<Decoded>) -> Result<(), DecodeError> {
    let mut resource = Vec::new();
    let mut scopes = Vec::new();
    let mut r = Reader::new(buf);
    while let Some((n, v)) = r.field()? {
        match n {
            1 => {
                let mut rr = Reader::new(v.bytes("resource")?);
                while let Some((n, v)) = rr.field()? {
                    if n == 1 {
                        resource.push(key_value(v.bytes("attribute")?)?);
                    }
                }
            }
            2 => scopes.push(v.bytes("scope_spans")?),
            _ => {}
        }
    }
    let service = service_of(&resource);
    for scope in scopes {
        let mut r = Reader::new(scope);
        while let Some((n, v)) = r.field()? {
            if n == 2 {
                if out.len() >= MAX_SPANS {
                    return Err(DecodeError::TooManySpans);
                }
                out.push(finish(span(v.bytes("span")?)?, &service, &resource)?);
            }
        }
    }
    Ok(())
}

fn span(buf: &[u8]) -> Result<RawSpan, DecodeError> {
    let mut s = RawSpan::default();
    let mut r = Reader::new(buf);
    while let Some((n, v)) = r.field()? {
        match n {
            1 => s.trace_id = v.bytes("trace_id")?.to_vec(),
            2 => s.span_id = v.bytes("span_id")?.to_vec(),
            4 => s.parent_id = v.bytes("parent_span_id")?.to_vec(),
            5 => s.name = v.text("name")?,
            6 => s.kind = i64::try_from(v.u64("kind")?).unwrap_or(0),
            7 => s.start_ns = v.u64("start_time_unix_nano")?,
            8 => s.end_ns = v.u64("end_time_unix_nano")?,
            9 => s.attributes.push(key_value(v.bytes("attribute")?)?),
            11 => s.events.push(event(v.bytes("event")?)?),
            15 => {
                let mut sr = Reader::new(v.bytes("status")?);
                while let Some((n, v)) = sr.field()? {
                    match n {
                        2 => s.status_message = v.text("status message")?,
                        3 => s.status_code = i64::try_from(v.u64("status code")?).unwrap_or(-1),
                        _ => {}
                    }
                }
            }
            _ => {}
        }
    }
    Ok(s)
}

fn event(buf: &[u8]) -> Result<RawEvent, DecodeError> {
    let mut e = RawEvent::default();
    let mut r = Reader::new(buf);
    while let Some((n, v)) = r.field()? {
        match n {
            1 => e.time_ns = v.u64("event time")?,
            2 => e.name = v.text("event name")?,
            3 => e.attributes.push(key_value(v.bytes("event attribute")?)?),
            _ => {}
        }
    }
    Ok(e)
}

fn key_value(buf: &[u8]) -> Result<(String, String), DecodeError> {
    key_value_at(buf, 0)
}

/// An `AnyValue` as text: arrays as `[a, b]`, maps as `{k: v}`, bytes as hex.
fn any_value(buf: &[u8], depth: usize) -> Result<String, DecodeError> {
    if depth > MAX_DEPTH {
        return Err(DecodeError::Malformed("attribute values nest too deep".into()));
    }
    let mut out = String::new();
    let mut r = Reader::new(buf);
    while let Some((n, v)) = r.field()? {
        out = match (n, &v) {
            (1, _) => v.text("string value")?,
            (2, Value::Varint(b)) => (*b != 0).to_string(),
            #[expect(clippy::cast_possible_wrap, reason = "int64 travels as its two's complement")]
            (3, Value::Varint(i)) => (*i as i64).to_string(),
            (4, Value::Fixed64(bits)) => f64::from_bits(*bits).to_string(),
            (5, _) => {
                let mut items = Vec::new();
                let mut ar = Reader::new(v.bytes("array value")?);
                while let Some((n, v)) = ar.field()? {
                    if n == 1 {
                        items.push(any_value(v.bytes("array item")?, depth + 1)?);
                    }
                }
                format!("[{}]", items.join(", "))
            }
            (6, _) => {
                let mut items = Vec::new();
                let mut kr = Reader::new(v.bytes("kvlist value")?);
                while let Some((n, v)) = kr.field()? {
                    if n == 1 {
                        let (k, val) = key_value_at(v.bytes("kvlist item")?, depth + 1)?;
                        items.push(format!("{k}: {val}"));
                    }
                }
                format!("{{{}}}", items.join(", "))
            }
            (7, _) => v.bytes("bytes value")?.iter().map(|b| format!("{b:02x}")).collect(),
            _ => continue,
        };
    }
    Ok(out)
}

fn key_value_at(buf: &[u8], depth: usize) -> Result<(String, String), DecodeError> {
    let (mut key, mut value) = (String::new(), String::new());
    let mut r = Reader::new(buf);
    while let Some((n, v)) = r.field()? {
        match n {
            1 => key = v.text("attribute key")?,
            2 => value = any_value(v.bytes("attribute value")?, depth)?,
            _ => {}
        }
    }
    Ok((key, value))
}
