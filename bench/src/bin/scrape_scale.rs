//! The hub's scraper at scale: 1,000 targets × 1,000 series every 15 s, the targets served
//! by one other local process. Prints the hub side's CPU (share of one core) and peak
//! memory; the bars are under 25 % of one core and under 1 GiB.
//!
//! `scrape_scale serve PORT` is the target process; without arguments the benchmark starts
//! it, runs the hub's real scrape job (parse, conformance, history) for a few intervals,
//! and measures itself.

use axum::extract::Path;
use axum::routing::get;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const TARGETS: usize = 1000;
const SERIES: usize = 1000;
const INTERVAL_S: u64 = 15;
const MEASURED_INTERVALS: u64 = 6;

fn body(target: usize, tick: u64) -> String {
    // 1,000 series: 10 families × 100 label sets, values that move a little every scrape.
    let mut out = String::with_capacity(SERIES * 70);
    for f in 0..10 {
        out.push_str(&format!("# HELP bench_family_{f}_total A counter of the benchmark.\n# TYPE bench_family_{f}_total counter\n"));
        for s in 0..SERIES / 10 {
            let v = (target * 7 + s * 13 + f) as u64 + tick * (s as u64 % 5);
            out.push_str(&format!("bench_family_{f}_total{{shard=\"s{s:03}\",zone=\"z{}\"}} {v}\n", s % 4));
        }
    }
    out
}

async fn serve(port: u16) {
    let started = Instant::now();
    let app = axum::Router::new().route(
        "/t/{target}/metrics",
        get(move |Path(target): Path<usize>| async move {
            body(target, started.elapsed().as_secs() / INTERVAL_S)
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.expect("bind");
    axum::serve(listener, app).await.expect("serve");
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn config(port: u16) -> String {
    let mut c =
        format!("[[services]]\nname = \"scale\"\nteam = \"bench\"\nscrape_interval = \"{INTERVAL_S}s\"\n");
    for t in 0..TARGETS {
        c.push_str(&format!(
            "\n[[services.instances]]\nname = \"t{t:04}\"\nbase_url = \"http://127.0.0.1:{port}/t/{t}\"\n"
        ));
    }
    c
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("serve") {
        serve(args.get(2).and_then(|p| p.parse().ok()).unwrap_or(0)).await;
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a port");
    let mut targets = Command::new(std::env::current_exe().expect("exe"))
        .args(["serve", &port.to_string()])
        .stdout(Stdio::null())
        .spawn()
        .expect("the target process starts");
    tokio::time::sleep(Duration::from_millis(500)).await;

    let text = config(port);
    let dir = std::env::temp_dir().join(format!("switchboard-scale-{}", std::process::id()));
    let hub = bench::hub_in(&dir, text).await.expect("a hub");
    let stop = CancellationToken::new();
    let scraper = Arc::new(backend::metrics::scrape::Scraper::new(Arc::clone(&hub.metrics)));
    let job = tokio::spawn(scraper.run(stop.clone()));

    // One interval to warm up (every series created), then measure.
    println!("{TARGETS} targets x {SERIES} series every {INTERVAL_S} s; warming up for one interval…");
    tokio::time::sleep(Duration::from_secs(INTERVAL_S)).await;
    let (cpu0, t0) = (bench::cpu_seconds(), Instant::now());
    tokio::time::sleep(Duration::from_secs(INTERVAL_S * MEASURED_INTERVALS)).await;
    let cpu = (bench::cpu_seconds() - cpu0) / t0.elapsed().as_secs_f64() * 100.0;
    let rss = peak_rss_mib();
    let services = hub.catalog.services_unchecked();
    let up = services.iter().flat_map(|s| &s.instances).filter(|i| i.up).count();
    println!(
        "up: {up}/{TARGETS} targets; history: {} series, {:.1} MB encoded",
        hub.metrics.history().series_count(),
        hub.metrics.history().encoded_bytes() as f64 / 1e6
    );
    println!(
        "hub CPU: {cpu:.1} % of one core (required: under 25 %): {}",
        if cpu < 25.0 { "PASS" } else { "FAIL" }
    );
    println!(
        "hub peak memory: {rss:.0} MiB (required: under 1024 MiB): {}",
        if rss < 1024.0 { "PASS" } else { "FAIL" }
    );
    stop.cancel();
    let _ = job.await;
    let _ = targets.kill();
    let _ = targets.wait();
}
