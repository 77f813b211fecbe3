//! What evaluating alert rules on every scrape costs the hub: 1,000 targets (one instance
//! each, the shared format's request, error, latency and pool families) with two minutes of
//! 1 s scrapes in the embedded history, and 10 rules watching every one of them. Prints the
//! CPU of one scrape round (every rule of every target evaluated once), per rule evaluation,
//! and the share of one core that is at a 1 s scrape.

use backend::alerts::Source;
use std::fmt::Write as _;
use std::time::Instant;

const TARGETS: usize = 1000;
const SCRAPES: i64 = 120;
const ROUNDS: usize = 21;

const RULES: &str = r#"
[[alerts]]
name = "errors-30s"
signal = "error_ratio"
window = "30s"
above = 0.05
[[alerts]]
name = "errors-1m"
signal = "error_ratio"
window = "1m"
above = 0.02
for = "30s"
[[alerts]]
name = "errors-anomaly"
signal = "error_ratio"
window = "10s"
anomaly = { baseline = "1m", factor = 3, floor = 0.01 }
[[alerts]]
name = "p95-30s"
signal = "latency_p95"
window = "30s"
above = 0.5
[[alerts]]
name = "p95-1m"
signal = "latency_p95"
window = "1m"
above = 0.25
[[alerts]]
name = "pool-full"
signal = "pool_utilisation"
window = "5s"
above = 0.95
[[alerts]]
name = "pool-busy"
signal = "pool_utilisation"
window = "5s"
above = 0.8
for = "1m"
[[alerts]]
name = "requests-rate"
signal = "metric"
window = "30s"
above = 10000
metric = { family = "http_requests_total", mode = "rate" }
[[alerts]]
name = "active-workers"
signal = "metric"
above = 64
metric = { family = "worker_pool_active_workers", mode = "value" }
[[alerts]]
name = "errors-5s"
signal = "error_ratio"
window = "5s"
above = 0.5
"#;

fn config() -> String {
    let mut out = String::new();
    for t in 0..TARGETS {
        let _ = write!(
            out,
            "[[services]]\nname = \"svc-{t:04}\"\nteam = \"bench\"\nscrape_interval = \"1s\"\nmetric_profiles = [\"http\", \"worker_pool\"]\n\
             [[services.instances]]\nname = \"svc-{t:04}-1\"\nbase_url = \"http://127.0.0.1:9/t/{t}\"\n"
        );
    }
    out + RULES
}

/// One scrape of a target at second `s`: requests and errors on four routes, a latency
/// histogram, a pool.
fn body(t: usize, s: i64) -> String {
    let mut out = String::from("# TYPE http_requests_total counter\n");
    let n = |k: i64| s * (10 + k) + i64::try_from(t % 7).unwrap_or(0);
    for r in 0..4 {
        let _ = writeln!(
            out,
            "http_requests_total{{route=\"/r{r}\",status=\"200\",user_group=\"g{}\"}} {}",
            r % 2,
            n(r)
        );
    }
    out.push_str("# TYPE http_request_errors_total counter\n");
    for r in 0..2 {
        let _ = writeln!(
            out,
            "http_request_errors_total{{route=\"/r{r}\",kind=\"db\",user_group=\"g{r}\"}} {}",
            s / 4 + r
        );
    }
    out.push_str("# TYPE http_request_duration_seconds histogram\n");
    let mut cumulative = 0;
    for (i, le) in ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "+Inf"].iter().enumerate() {
        cumulative += s * (9 - i64::try_from(i).unwrap_or(0)).max(1);
        let _ =
            writeln!(out, "http_request_duration_seconds_bucket{{route=\"/r0\",le=\"{le}\"}} {cumulative}");
    }
    let _ = writeln!(out, "http_request_duration_seconds_sum{{route=\"/r0\"}} {}\nhttp_request_duration_seconds_count{{route=\"/r0\"}} {cumulative}", s * 3);
    let _ = writeln!(
        out,
        "# TYPE worker_pool_active_workers gauge\nworker_pool_active_workers{{pool=\"p\"}} {}\n\
         # TYPE worker_pool_max_workers gauge\nworker_pool_max_workers{{pool=\"p\"}} 8",
        (s + i64::try_from(t).unwrap_or(0)) % 9
    );
    out
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc (Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let text = config();
    let dir = std::env::temp_dir().join(format!("switchboard-alert-eval-{}", std::process::id()));
    let hub = bench::hub_in(&dir, text).await.expect("a hub");
    let now = backend::now_ms();
    let start = now - SCRAPES * 1000;
    println!(
        "{TARGETS} targets, {SCRAPES} scrapes each at 1 s, 10 rules on every target; filling the history…"
    );
    for s in 0..SCRAPES {
        for t in 0..TARGETS {
            let b = body(t, s);
            let exp = exposition::parse(&b, exposition::Format::Text, &exposition::Limits::default())
                .expect("parses");
            hub.metrics.history().append(
                &format!("svc-{t:04}"),
                &format!("svc-{t:04}-1"),
                &exp,
                start + s * 1000,
            );
        }
    }
    // Each round is one more second: every target scraped (not timed), then every rule of
    // every target evaluated as that scrape would set off (timed). Open episodes write their
    // value and context every 5 s, so rounds differ: the mean is what a second costs.
    let mut rounds = Vec::new();
    for r in 0..ROUNDS {
        let at = now + i64::try_from(r).unwrap_or(0) * 1000;
        for t in 0..TARGETS {
            let b = body(t, SCRAPES + i64::try_from(r).unwrap_or(0));
            let exp = exposition::parse(&b, exposition::Format::Text, &exposition::Limits::default())
                .expect("parses");
            hub.metrics.history().append(&format!("svc-{t:04}"), &format!("svc-{t:04}-1"), &exp, at);
        }
        let (cpu, wall) = (cpu_seconds(), Instant::now());
        for t in 0..TARGETS {
            hub.alerts.evaluate(&format!("svc-{t:04}"), at, Source::Scrape).await;
        }
        rounds.push((cpu_seconds() - cpu, wall.elapsed().as_secs_f64()));
    }
    if std::env::var_os("ROUNDS_VERBOSE").is_some() {
        println!("{rounds:?}");
    }
    // The first round opens the episodes (inserts, fires, contexts): shown apart.
    let (first_cpu, first_wall) = rounds[0];
    let steady = &rounds[1..];
    #[expect(clippy::cast_precision_loss, reason = "counts")]
    let n = steady.len() as f64;
    let cpu = steady.iter().map(|r| r.0).sum::<f64>() / n;
    let wall = steady.iter().map(|r| r.1).sum::<f64>() / n;
    let worst = steady.iter().map(|r| r.1).fold(0.0, f64::max);
    #[expect(clippy::cast_precision_loss, reason = "counts")]
    let per_rule_us = wall * 1e6 / (TARGETS * 10) as f64;
    let firing = hub
        .alerts
        .list(&bench_principal(), types::alerts::AlertFilter::All)
        .await
        .map(|l| l.len())
        .unwrap_or(0);
    println!(
        "first round (opens the episodes): {:.0} ms wall, {:.0} ms CPU",
        first_wall * 1000.0,
        first_cpu * 1000.0
    );
    println!(
        "one scrape round (1,000 targets x 10 rules), mean of the next {}: {:.0} ms wall (worst {:.0} ms), {:.0} ms CPU",
        steady.len(),
        wall * 1000.0,
        worst * 1000.0,
        cpu * 1000.0
    );
    println!("per rule evaluation: {per_rule_us:.1} µs; at a 1 s scrape: {:.1} % of one core", wall * 100.0);
    println!("(episodes opened during the benchmark: {firing})");
}

fn bench_principal() -> backend::Principal {
    backend::Principal {
        user_id: 0,
        username: "bench".into(),
        role: types::Role::Admin,
        via_token: false,
        service: None,
    }
}
