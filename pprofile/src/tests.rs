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
    assert!(rows.len() >= 3, "the go output has rows");
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
    // fixtures/demo-heap.top.txt is `go tool pprof -top -symbolize=none` (go 1.19): without
    // -symbolize=none go re-symbolizes from the binary when it finds it, and names differ.
    assert_matches_go(&t, include_str!("../fixtures/demo-heap.top.txt"), true);
    let leak =
        t.rows.iter().find(|r| r.function == "demo::chaos::leak_memory").expect("the leak is in the profile");
    // Three seconds at 8 MiB/s: about a fifth of what the process holds.
    assert!(leak.cum_pct > 15.0, "the leak holds a large share of the heap: {leak:?}");
}

#[test]
fn unsymbolized_frames_are_named_by_their_binary_as_go_does() {
    // A heap profile whose binary had been replaced on disk: jemalloc could not symbolize it.
    let p = parse(include_bytes!("../fixtures/unsymbolized-heap.pb.gz")).expect("decodes");
    let t = top(&p, None).expect("top");
    assert_eq!(t.rows[0].function, "[switchboard-demo]");
    assert_matches_go(&t, include_str!("../fixtures/unsymbolized-heap.top.txt"), true);
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

/// A profile of named stacks (root first) with one `samples/count` value each.
fn profile_of(stacks: &[(&[&str], i64)]) -> Profile {
    let mut p = Profile {
        sample_types: vec![ValueType { kind: "samples".into(), unit: "count".into() }],
        ..Profile::default()
    };
    let mut ids = std::collections::HashMap::new();
    for (stack, value) in stacks {
        let mut location_ids = Vec::new();
        for name in stack.iter().rev() {
            let next = ids.len() as u64 + 1;
            let id = *ids.entry(*name).or_insert(next);
            if id == next {
                p.functions.push(Function { id, name: (*name).into(), ..Function::default() });
                p.locations.push(Location {
                    id,
                    lines: vec![Line { function_id: id, line: 1 }],
                    ..Location::default()
                });
            }
            location_ids.push(id);
        }
        p.samples.push(Sample { location_ids, values: vec![*value] });
    }
    p
}

fn node<'a>(g: &'a FlameGraph, name: &str) -> Vec<&'a FlameNode> {
    g.nodes.iter().filter(|n| g.names[n.name as usize] == name).collect()
}

#[test]
fn flamegraph_merges_call_paths_and_lays_them_out() {
    let p = profile_of(&[
        (&["main", "serve", "parse"], 5),
        (&["main", "serve", "parse"], 1),
        (&["main", "serve"], 2),
        (&["main", "flush"], 3),
        (&["gc"], 1),
    ]);
    let g = flame(&p, None, 0.0).expect("flame");
    assert_eq!(g.total, 12);
    assert_eq!(g.nodes[0].value, 12, "the root spans everything");
    let main = node(&g, "main")[0];
    assert_eq!((main.depth, main.x, main.value, main.own), (1, 0, 11, 0), "widest child first");
    let serve = node(&g, "serve")[0];
    assert_eq!((serve.depth, serve.x, serve.value, serve.own), (2, 0, 8, 2));
    let flush = node(&g, "flush")[0];
    assert_eq!((flush.x, flush.value), (8, 3), "after its wider sibling");
    assert_eq!(node(&g, "gc")[0].x, 11);
    // Pre-order: every node lies inside the nearest shallower node before it.
    for (i, n) in g.nodes.iter().enumerate().skip(1) {
        let parent = g.nodes[..i].iter().rev().find(|p| p.depth + 1 == n.depth).expect("a parent");
        assert!(n.x >= parent.x && n.x + n.value <= parent.x + parent.value, "{n:?} inside {parent:?}");
    }
    let pruned = flame(&p, None, 0.1).expect("flame");
    assert!(node(&pruned, "gc").is_empty(), "1/12 is under a 10% threshold");
    assert_eq!(pruned.dropped, 1);
}

#[test]
fn flamegraph_of_a_real_profile_is_widest_at_the_hot_spot() {
    let p = parse(CPU).expect("decodes");
    let g = flame(&p, None, DEFAULT_MIN_FRACTION).expect("flame");
    assert_eq!(g.total, top(&p, None).expect("top").total);
    let widest_leaf = g.nodes.iter().max_by_key(|n| n.own).expect("nodes");
    assert_eq!(g.names[widest_leaf.name as usize], "demo::chaos::hot_spot_spin");
}

#[test]
fn callers_and_callees_count_each_sample_once_per_edge() {
    let p = profile_of(&[
        (&["main", "serve", "parse"], 5),
        (&["main", "parse"], 2),
        (&["main", "parse", "parse", "alloc"], 1),
    ]);
    let n = neighbours(&p, None, "parse").expect("neighbours");
    assert_eq!((n.flat, n.cum, n.total), (7, 8, 8));
    let edge = |e: &[Edge]| e.iter().map(|e| (e.function.clone(), e.value)).collect::<Vec<_>>();
    assert_eq!(edge(&n.callers), vec![("serve".into(), 5), ("main".into(), 3), ("parse".into(), 1)]);
    assert_eq!(edge(&n.callees), vec![("alloc".into(), 1), ("parse".into(), 1)]);
    let unknown = neighbours(&p, None, "nothing").expect("neighbours");
    assert_eq!((unknown.cum, unknown.callers.len()), (0, 0));
}

#[test]
fn diffs_compare_shares_of_each_total() {
    let before = profile_of(&[(&["main", "old"], 50), (&["main", "both"], 50)]);
    let after = profile_of(&[(&["main", "new"], 150), (&["main", "both"], 50)]);
    let d = diff(&before, &after, None).expect("diff");
    assert_eq!((d.before_total, d.after_total), (100, 200));
    let row = |name: &str| d.rows.iter().find(|r| r.function == name).expect(name).clone();
    assert!((row("new").flat_delta_pct - 75.0).abs() < 1e-9);
    assert!((row("old").flat_delta_pct + 50.0).abs() < 1e-9);
    assert!((row("both").flat_delta_pct + 25.0).abs() < 1e-9);
    assert_eq!(d.rows[0].function, "new", "the largest change first");
    let g = diff_flame(&before, &after, None, 0.0).expect("diff flame");
    assert_eq!(g.before_total, Some(100));
    assert_eq!(node(&g, "both")[0].before, Some(50));
    assert_eq!(node(&g, "new")[0].before, Some(0));
    assert!(node(&g, "old").is_empty(), "widths are the after profile's");
}

#[test]
fn a_profile_without_sample_types_is_an_error_not_a_panic() {
    let p = Profile::default();
    assert!(matches!(top(&p, None), Err(ProfileError::NoSampleType(_))));
    assert!(matches!(flame(&p, None, 0.0), Err(ProfileError::NoSampleType(_))));
}

#[test]
fn inlined_frames_are_their_own_frames_in_call_order() {
    let mut p = profile_of(&[(&["main", "serve"], 4), (&["main"], 1)]);
    // serve's location also holds `parse`, inlined into serve (innermost first).
    p.functions.push(Function { id: 99, name: "parse".into(), ..Function::default() });
    let serve_id = p.functions.iter().find(|f| f.name == "serve").expect("serve").id;
    let serve = p.locations.iter_mut().find(|l| l.id == serve_id).expect("serve's location");
    serve.lines.insert(0, Line { function_id: 99, line: 7 });
    let g = flame(&p, None, 0.0).expect("flame");
    let path: Vec<(&str, u32, i64, i64)> =
        g.nodes.iter().map(|n| (g.names[n.name as usize].as_str(), n.depth, n.value, n.own)).collect();
    assert_eq!(path, [("root", 0, 5, 0), ("main", 1, 5, 1), ("serve", 2, 4, 0), ("parse", 3, 4, 4)]);
    let n = neighbours(&p, None, "parse").expect("neighbours");
    assert_eq!((n.flat, n.callers[0].function.as_str()), (4, "serve"));
}

#[test]
fn a_location_the_profile_does_not_define_adds_no_frame() {
    let mut p = profile_of(&[(&["main", "serve"], 1)]);
    let main = p.functions.iter().find(|f| f.name == "main").expect("main").id;
    p.samples.push(Sample { location_ids: vec![999, main], values: vec![2] });
    let g = flame(&p, None, 0.0).expect("flame");
    let names: Vec<&str> = g.nodes.iter().map(|n| g.names[n.name as usize].as_str()).collect();
    assert_eq!(names, ["root", "main", "serve"]);
    assert_eq!((g.nodes[1].value, g.nodes[1].own), (3, 2), "main is the leaf of the second sample");
}

#[test]
fn collapsing_the_runtimes_scaffolding_keeps_every_sample() {
    let p = parse(CPU).expect("decodes");
    let full = flame(&p, None, DEFAULT_MIN_FRACTION).expect("lays out");
    let options = FlameOptions { collapse: true, ..FlameOptions::default() };
    let collapsed = flame_with(&p, None, options).expect("lays out");
    assert_eq!(collapsed.total, full.total);
    assert!(
        full.nodes.iter().any(|n| is_scaffolding(&full.names[n.name as usize])),
        "the demo runs on tokio"
    );
    assert!(!collapsed.nodes.iter().any(|n| is_scaffolding(&collapsed.names[n.name as usize])));
    let depth = |g: &FlameGraph| g.nodes.iter().map(|n| n.depth).max().unwrap_or(0);
    assert!(depth(&collapsed) < depth(&full), "{} < {}", depth(&collapsed), depth(&full));
}
