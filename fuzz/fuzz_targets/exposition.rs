//! Any bytes, in both formats: the parser returns a result, never panics or hangs, and what
//! it returns is consistent (ranges inside their vectors, families cover every sample).
#![no_main]

use exposition::{Format, Limits, parse};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let limits = Limits { max_samples: 10_000, ..Limits::default() };
    for format in [Format::Text, Format::OpenMetrics] {
        if let Ok(exp) = parse(text, format, &limits) {
            let mut covered = 0;
            for f in &exp.families {
                let samples = exp.samples_of(f);
                covered += samples.len();
                for s in samples {
                    let _ = exp.labels_of(s);
                }
            }
            assert_eq!(covered, exp.samples.len(), "every sample belongs to exactly one family");
        }
    }
});
