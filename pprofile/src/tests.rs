use super::*;

const CPU: &[u8] = include_bytes!("../fixtures/demo-cpu.pb.gz");
const HEAP: &[u8] = include_bytes!("../fixtures/demo-heap.pb.gz");

/// The rows of `go tool pprof -top` output: (function, flat%, cum%).
fn go_rows(text: &str) -> Vec<(String, f64, f64)> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            let pct = |s: &str| s.trim_end_matches('%').parse::<f64>().ok();
            Some((parts.get(5..)?.join(" "), pct(parts.get(1)?)?, pct(parts.get(4)?)?))
        })
        .collect()
}

fn assert_matches_go(top: &Top, go_output: &str, compare_cum: bool) {
    let rows = go_rows(go_output);
    assert!(rows.len() > 3, "the go output has rows");
    for (function, flat_pct, cum_pct) in rows {
        // go prints two decimals ("98.76%", "0%", "100%"); a name may stand for several
        // nodes, so some row of ours with that name must match.
        let close = |a: f64, b: f64| (a - b).abs() < 0.006;
        let found = top.rows.iter().any(|r| {
            r.function == function
                && close(r.flat_pct, flat_pct)
                && (!compare_cum || close(r.cum_pct, cum_pct))
        });
        assert!(
            found,
            "{function}: go has flat {flat_pct}% cum {cum_pct}%; ours: {:?}",
            top.rows.iter().filter(|r| r.function == function).collect::<Vec<_>>()
        );
    }
}

#[test]
fn cpu_top_matches_go_tool_pprof() {
    let p = parse(CPU).expect("decodes");
    let t = top(&p, None).expect("top");
    assert_eq!((t.sample.as_str(), t.unit.as_str()), ("cpu", "nanoseconds"));
    assert_eq!(t.rows[0].function, "demo::chaos::hot_spot_spin", "the hot spot is first");
    assert_matches_go(&t, include_str!("../fixtures/demo-cpu.top.txt"), true);
}

#[test]
fn heap_top_matches_go_tool_pprof() {
    let p = parse(HEAP).expect("decodes");
    let t = top(&p, Some("inuse_space")).expect("top");
    assert_eq!(t.unit, "bytes");
    // Not yet compared with go (fixtures/demo-heap.top.txt): go simplifies the raw Rust symbol
    // names that jemalloc's profile carries, so its rows are named differently.
    assert!(!go_rows(include_str!("../fixtures/demo-heap.top.txt")).is_empty());
    let leak =
        t.rows.iter().find(|r| r.function == "demo::chaos::leak_memory").expect("the leak is in the profile");
    // Three seconds at 8 MiB/s: about a fifth of what the process holds.
    assert!(leak.cum_pct > 15.0, "the leak holds a large share of the heap: {leak:?}");
}

#[test]
fn damaged_profiles_are_errors() {
    assert!(matches!(parse(b""), Err(ProfileError::NotAProfile(_))));
    assert!(matches!(parse(&CPU[..CPU.len() / 2]), Err(ProfileError::NotAProfile(_))));
    let p = parse(CPU).expect("decodes");
    assert!(matches!(top(&p, Some("alloc_space")), Err(ProfileError::NoSampleType(_))));
    // Every truncation of the raw protobuf fails cleanly or parses a prefix.
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(CPU), &mut raw).expect("gunzips");
    for cut in (0..raw.len()).step_by(13) {
        let _ = parse(&raw[..cut]);
    }
}
