//! Any bytes, gzipped or not, as a pprof profile: the decoder and every view of a profile
//! (top, flamegraph, callers and callees, diff) return, never panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(p) = pprofile::parse(data) else { return };
    for sample in [None, Some("cpu"), Some("inuse_space")] {
        if let Ok(top) = pprofile::top(&p, sample) {
            if let Some(row) = top.rows.first() {
                let _ = pprofile::neighbours(&p, sample, &row.function);
            }
        }
        if let Ok(g) = pprofile::flame(&p, sample, 0.0) {
            assert!(g.nodes.iter().all(|n| (n.name as usize) < g.names.len()));
        }
        let _ = pprofile::diff(&p, &p, sample);
        let _ = pprofile::diff_flame(&p, &p, sample, 0.01);
    }
});
