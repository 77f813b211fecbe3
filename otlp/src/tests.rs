use super::*;

use crate::encode::{bytes_field, fixed64_field, varint_field};

fn string_attr(k: &str, v: &str) -> Vec<u8> {
    let mut any = Vec::new();
    bytes_field(1, v.as_bytes(), &mut any);
    let mut kv = Vec::new();
    bytes_field(1, k.as_bytes(), &mut kv);
    bytes_field(2, &any, &mut kv);
    kv
}

fn int_attr(k: &str, v: i64) -> Vec<u8> {
    let mut any = Vec::new();
    varint_field(3, v as u64, &mut any);
    let mut kv = Vec::new();
    bytes_field(1, k.as_bytes(), &mut kv);
    bytes_field(2, &any, &mut kv);
    kv
}

fn span(trace: u8, id: u8, parent: Option<u8>, name: &str, start_ms: u64, ms: u64, error: bool) -> Vec<u8> {
    let mut s = Vec::new();
    bytes_field(1, &[trace; 16], &mut s);
    bytes_field(2, &[id; 8], &mut s);
    if let Some(p) = parent {
        bytes_field(4, &[p; 8], &mut s);
    }
    bytes_field(5, name.as_bytes(), &mut s);
    varint_field(6, 2, &mut s);
    fixed64_field(7, start_ms * 1_000_000, &mut s);
    fixed64_field(8, (start_ms + ms) * 1_000_000, &mut s);
    bytes_field(9, &string_attr("http.route", "/quotes"), &mut s);
    bytes_field(9, &int_attr("http.status_code", if error { 500 } else { 200 }), &mut s);
    if error {
        let mut status = Vec::new();
        bytes_field(2, b"upstream timed out", &mut status);
        varint_field(3, 2, &mut status);
        bytes_field(15, &status, &mut s);
        let mut event = Vec::new();
        fixed64_field(1, (start_ms + 1) * 1_000_000, &mut event);
        bytes_field(2, b"exception", &mut event);
        bytes_field(3, &string_attr("exception.type", "Timeout"), &mut event);
        bytes_field(11, &event, &mut s);
    }
    s
}

fn export(service: &str, spans: &[Vec<u8>]) -> Vec<u8> {
    let mut resource = Vec::new();
    bytes_field(1, &string_attr("service.name", service), &mut resource);
    bytes_field(1, &string_attr("service.version", "1.4.2"), &mut resource);
    let mut scope = Vec::new();
    for s in spans {
        bytes_field(2, s, &mut scope);
    }
    let mut rs = Vec::new();
    bytes_field(1, &resource, &mut rs);
    bytes_field(2, &scope, &mut rs);
    let mut req = Vec::new();
    bytes_field(1, &rs, &mut req);
    req
}

#[test]
fn decodes_a_protobuf_export() {
    let body = export(
        "quotes",
        &[span(7, 1, None, "GET /quotes", 1_000, 30, true), span(7, 2, Some(1), "SELECT", 1_005, 20, false)],
    );
    let spans = decode(&body, Encoding::Protobuf).unwrap();
    assert_eq!(spans.len(), 2);
    let root = &spans[0];
    assert_eq!(root.trace_id, "07".repeat(16));
    assert_eq!(root.span.span_id, "01".repeat(8));
    assert_eq!(root.span.parent_id, None);
    assert_eq!(root.span.service, "quotes");
    assert_eq!((root.span.start_us, root.span.duration_us), (1_000_000, 30_000));
    assert_eq!(root.span.status, SpanStatus::Error);
    assert_eq!(root.span.status_message.as_deref(), Some("upstream timed out"));
    assert_eq!(root.span.kind, "server");
    assert_eq!(root.span.attributes["http.status_code"], "500");
    assert_eq!(root.span.attributes["resource.service.version"], "1.4.2");
    assert_eq!(root.span.events[0].name, "exception");
    assert_eq!(root.span.events[0].attributes["exception.type"], "Timeout");
    assert_eq!(spans[1].span.parent_id.as_deref(), Some("0101010101010101"));
    assert_eq!(spans[1].span.status, SpanStatus::Unset);
}

#[test]
fn refuses_truncated_and_malformed_bodies() {
    let body = export("quotes", &[span(7, 1, None, "GET /quotes", 1_000, 30, true)]);
    for cut in [1, 5, body.len() / 2, body.len() - 1] {
        assert!(decode(&body[..cut], Encoding::Protobuf).is_err(), "cut at {cut}");
    }
    let zero_trace = export("quotes", &[span(0, 1, None, "x", 1, 1, false)]);
    let e = decode(&zero_trace, Encoding::Protobuf).unwrap_err();
    assert!(e.to_string().contains("all zeros"), "{e}");
    assert!(decode(b"{", Encoding::Json).is_err());
    assert!(decode(b"[]", Encoding::Json).is_err());
    assert!(decode(br#"{"resourceSpans": 3}"#, Encoding::Json).is_err());
    assert_eq!(decode(b"", Encoding::Protobuf).unwrap(), vec![]);
}

#[test]
fn decodes_otlp_json_as_the_sdks_send_it() {
    // As OTLP/HTTP's JSON encoding writes it: hex ids, numbers as strings, enums as numbers.
    let body = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"portfolio-bff"}}]},
      "scopeSpans":[{"scope":{"name":"manual"},"spans":[
        {"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","parentSpanId":"",
         "name":"GET /portfolio/{customer}","kind":2,"startTimeUnixNano":"1544712660000000000",
         "endTimeUnixNano":"1544712661000000000",
         "attributes":[{"key":"customer.tier","value":{"stringValue":"pro"}},{"key":"retries","value":{"intValue":"2"}},
                       {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"boolValue":true}]}}}],
         "status":{"code":"STATUS_CODE_ERROR","message":"quotes failed"}}]}]}]}"#;
    let spans = decode(body.as_bytes(), Encoding::Json).unwrap();
    let s = &spans[0].span;
    assert_eq!(spans[0].trace_id, "5b8efff798038103d269b633813fc60c");
    assert_eq!((s.service.as_str(), s.parent_id.as_deref()), ("portfolio-bff", None));
    assert_eq!((s.start_us, s.duration_us), (1_544_712_660_000_000, 1_000_000));
    assert_eq!(s.status, SpanStatus::Error);
    assert_eq!(s.attributes["retries"], "2");
    assert_eq!(s.attributes["tags"], "[a, true]");
}

#[test]
fn gunzip_refuses_garbage() {
    assert!(gunzip(b"not gzip").is_err());
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, b"hello").unwrap();
    assert_eq!(gunzip(&z.finish().unwrap()).unwrap(), b"hello");
}

#[test]
fn what_it_encodes_decodes_the_same() {
    let body = export(
        "quotes",
        &[span(7, 1, None, "GET /quotes", 1_000, 30, true), span(7, 2, Some(1), "SELECT", 1_005, 20, false)],
    );
    let spans = decode(&body, Encoding::Protobuf).unwrap();
    let again = decode(&encode::export(&spans), Encoding::Protobuf).unwrap();
    assert_eq!(spans, again);
}
