//! Any bytes as an OTLP trace export, protobuf or JSON, gzipped or not: the decoder returns
//! spans or an error, never panics or hangs, and every span it returns is well formed.
#![no_main]

use libfuzzer_sys::fuzz_target;
use otlp::{decode, gunzip, Encoding};

fuzz_target!(|data: &[u8]| {
    let inflated = gunzip(data).ok();
    for body in [Some(data), inflated.as_deref()].into_iter().flatten() {
        for encoding in [Encoding::Protobuf, Encoding::Json] {
            if let Ok(spans) = decode(body, encoding) {
                for s in spans {
                    assert_eq!(s.trace_id.len(), 32);
                    assert_eq!(s.span.span_id.len(), 16);
                    assert!(s.span.duration_us >= 0);
                }
            }
        }
    }
});
