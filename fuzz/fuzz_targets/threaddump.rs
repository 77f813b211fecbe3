//! Any text, as each dump format: the parsers and the analysis return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use threaddump::{DumpKind, analyse, detect, diff, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = detect(text);
    for kind in [DumpKind::Jvm, DumpKind::Goroutine, DumpKind::Fleet] {
        if let Ok(threads) = parse(text, kind) {
            let a = analyse(&threads);
            assert_eq!(a.threads, threads.len());
            let d = diff(&threads, &threads);
            assert!(d.newly_stuck.is_empty(), "a dump against itself has nothing newly stuck");
        }
    }
});
