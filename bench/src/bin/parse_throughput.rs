//! Parser throughput on a ~20 MB exposition, ours beside three crates from crates.io, in
//! one run. Every parser parses every label. Prints MB/s and samples/s, and whether ours is
//! at least twice the fastest of the others (the bar).

use exposition::{Format, Limits};
use std::time::{Duration, Instant};

const TARGET_BYTES: usize = 20 * 1024 * 1024;

struct Row {
    name: &'static str,
    seconds: f64,
    samples: usize,
}

/// The median of `runs` timed runs (after one warm-up run).
fn measure(name: &'static str, runs: usize, mut f: impl FnMut() -> usize) -> Row {
    let samples = f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(f());
            t.elapsed()
        })
        .collect();
    times.sort();
    Row { name, seconds: times[runs / 2].as_secs_f64(), samples }
}

fn main() {
    let body = bench::repeated_exposition(bench::NODE_EXPORTER, TARGET_BYTES);
    let mb = body.len() as f64 / 1e6;
    let limits = Limits { max_bytes: usize::MAX, max_samples: usize::MAX, ..Limits::default() };
    println!(
        "exposition: {:.1} MB, {} lines (node_exporter repeated under distinct instance labels)",
        mb,
        body.lines().count()
    );
    let rows = vec![
        measure("switchboard exposition (ours)", 7, || {
            let e = exposition::parse(&body, Format::Text, &limits).expect("ours parses it");
            e.samples.len()
        }),
        measure("prom_text_format_parser 0.1", 3, || {
            prom_text_format_parser::Scrape::parse(&body)
                .map(|s| s.metrics.iter().map(|m| m.samples.len()).sum())
                .unwrap_or(0)
        }),
        measure("prometheus-exposition-format-rs 0.1", 3, || {
            prometheus_exposition_format_rs::parse_complete(&body)
                .map(|m| m.iter().map(|x| x.samples.len()).sum())
                .unwrap_or(0)
        }),
        measure("prometheus-parse 0.2", 3, || {
            prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string())))
                .map(|s| s.samples.len())
                .unwrap_or(0)
        }),
    ];
    println!("{:<40} {:>10} {:>14} {:>12}", "parser", "MB/s", "samples/s", "samples");
    for r in &rows {
        println!(
            "{:<40} {:>10.1} {:>14.0} {:>12}",
            r.name,
            mb / r.seconds,
            r.samples as f64 / r.seconds,
            r.samples
        );
    }
    let ours = mb / rows[0].seconds;
    let fastest = rows[1..].iter().map(|r| mb / r.seconds).fold(0.0, f64::max);
    let ratio = ours / fastest;
    println!(
        "ours is {ratio:.2}x the fastest other parser (required: at least 2x): {}",
        if ratio >= 2.0 { "PASS" } else { "FAIL" }
    );
}
