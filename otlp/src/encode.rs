//! The other way: spans as an OTLP protobuf export, for the benchmark and the tests that
//! play an exporter (the real SDKs are tested against the hub too).

use crate::Decoded;
use std::collections::BTreeMap;
use types::traces::SpanStatus;

pub(crate) fn varint(mut v: u64, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push(u8::try_from(v & 0x7f).unwrap_or(0) | 0x80);
        v >>= 7;
    }
    out.push(u8::try_from(v).unwrap_or(0));
}

pub(crate) fn bytes_field(n: u32, b: &[u8], out: &mut Vec<u8>) {
    varint(u64::from(n) << 3 | 2, out);
    varint(b.len() as u64, out);
    out.extend_from_slice(b);
}

pub(crate) fn fixed64_field(n: u32, v: u64, out: &mut Vec<u8>) {
    varint(u64::from(n) << 3 | 1, out);
    out.extend_from_slice(&v.to_le_bytes());
}

pub(crate) fn varint_field(n: u32, v: u64, out: &mut Vec<u8>) {
    varint(u64::from(n) << 3, out);
    varint(v, out);
}

fn attr(k: &str, v: &str) -> Vec<u8> {
    let mut any = Vec::new();
    bytes_field(1, v.as_bytes(), &mut any);
    let mut kv = Vec::new();
    bytes_field(1, k.as_bytes(), &mut kv);
    bytes_field(2, &any, &mut kv);
    kv
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2).filter_map(|i| u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()).collect()
}

fn nanos(us: i64) -> u64 {
    u64::try_from(us).unwrap_or(0).saturating_mul(1000)
}

fn span(d: &Decoded) -> Vec<u8> {
    let s = &d.span;
    let mut out = Vec::new();
    bytes_field(1, &unhex(&d.trace_id), &mut out);
    bytes_field(2, &unhex(&s.span_id), &mut out);
    if let Some(p) = &s.parent_id {
        bytes_field(4, &unhex(p), &mut out);
    }
    bytes_field(5, s.name.as_bytes(), &mut out);
    let kind = match s.kind.as_str() {
        "internal" => 1,
        "server" => 2,
        "client" => 3,
        "producer" => 4,
        "consumer" => 5,
        _ => 0,
    };
    varint_field(6, kind, &mut out);
    fixed64_field(7, nanos(s.start_us), &mut out);
    fixed64_field(8, nanos(s.start_us + s.duration_us), &mut out);
    for (k, v) in s.attributes.iter().filter(|(k, _)| !k.starts_with("resource.")) {
        bytes_field(9, &attr(k, v), &mut out);
    }
    for e in &s.events {
        let mut ev = Vec::new();
        fixed64_field(1, nanos(e.time_us), &mut ev);
        bytes_field(2, e.name.as_bytes(), &mut ev);
        for (k, v) in &e.attributes {
            bytes_field(3, &attr(k, v), &mut ev);
        }
        bytes_field(11, &ev, &mut out);
    }
    let code = match s.status {
        SpanStatus::Unset => 0,
        SpanStatus::Ok => 1,
        SpanStatus::Error => 2,
    };
    if code != 0 {
        let mut st = Vec::new();
        if let Some(m) = &s.status_message {
            bytes_field(2, m.as_bytes(), &mut st);
        }
        varint_field(3, code, &mut st);
        bytes_field(15, &st, &mut out);
    }
    out
}

/// An `ExportTraceServiceRequest` with one `ResourceSpans` per service, in the order the
/// services first appear.
pub fn export(spans: &[Decoded]) -> Vec<u8> {
    let mut by_service: Vec<(&str, Vec<&Decoded>)> = Vec::new();
    for d in spans {
        match by_service.iter_mut().find(|(s, _)| *s == d.span.service) {
            Some((_, list)) => list.push(d),
            None => by_service.push((&d.span.service, vec![d])),
        }
    }
    let mut req = Vec::new();
    for (service, list) in by_service {
        let mut resource = Vec::new();
        let mut attrs: BTreeMap<&str, &str> = BTreeMap::from([("service.name", service)]);
        for (k, v) in list.iter().flat_map(|d| d.span.attributes.iter()) {
            if let Some(k) = k.strip_prefix("resource.") {
                attrs.entry(k).or_insert(v);
            }
        }
        for (k, v) in attrs {
            bytes_field(1, &attr(k, v), &mut resource);
        }
        let mut scope = Vec::new();
        for d in list {
            bytes_field(2, &span(d), &mut scope);
        }
        let mut rs = Vec::new();
        bytes_field(1, &resource, &mut rs);
        bytes_field(2, &scope, &mut rs);
        bytes_field(1, &rs, &mut req);
    }
    req
}
