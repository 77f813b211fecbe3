//! Onset → webhook, side by side in one run: the hub (its real scrape, evaluation and
//! delivery jobs) and Prometheus + Alertmanager (Debian's, tuned to a 1 s scrape and
//! evaluation and `group_wait: 0s`) watching the same target, which serves 100 requests a
//! second and turns to 50 % errors at the onset, at a random phase of the scrape; every
//! rule fires above a 5 % error ratio. The hub is
//! measured three ways: metrics at a 1 s scrape (5 s window), events the target pushes every
//! 100 ms (1 s window), and metrics at the default 15 s scrape. Prints p50 / p95 / max.
//!
//! Needs `prometheus` and `prometheus-alertmanager` (Debian's packages; `cargo xtask test`
//! installs them). `alert_delay [TRIALS]`, default 20 (5 at the 15 s scrape).

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use backend::alerts::events::PushedEvent;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn now_ms() -> i64 {
    backend::now_ms()
}

/// The target: counters that move 100 times a second, failing half the time while `failing`.
#[derive(Default)]
struct Target {
    requests: AtomicU64,
    errors: AtomicU64,
    failing: AtomicBool,
    /// Outcomes not yet pushed to the hub as events: (ts_ms, failed).
    unpushed: Mutex<Vec<(i64, bool)>>,
}

async fn metrics(State(t): State<Arc<Target>>) -> String {
    format!(
        "# TYPE http_requests_total counter\nhttp_requests_total{{route=\"/r\"}} {}\n\
         # TYPE http_request_errors_total counter\nhttp_request_errors_total{{route=\"/r\",kind=\"bench\"}} {}\n",
        t.requests.load(Ordering::SeqCst),
        t.errors.load(Ordering::SeqCst)
    )
}

/// What the webhooks got: (receiver, arrival ms, status).
type Inbox = Arc<Mutex<Vec<(String, i64, String)>>>;

async fn hook(
    State(inbox): State<Inbox>,
    axum::extract::Path(name): axum::extract::Path<String>,
    Json(v): Json<serde_json::Value>,
) {
    let status = v["status"].as_str().unwrap_or_default().to_string();
    inbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((name, now_ms(), status));
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).unwrap_or(0)
}

fn percentiles(name: &str, mut v: Vec<i64>) {
    if v.is_empty() {
        println!("{name:<44} no alert arrived");
        return;
    }
    v.sort_unstable();
    let at = |q: f64| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "an index"
        )]
        let i = ((v.len() as f64 * q).ceil() as usize).clamp(1, v.len()) - 1;
        v[i]
    };
    println!(
        "{name:<44} p50 {:>5} ms   p95 {:>5} ms   max {:>5} ms   ({} trials)",
        at(0.5),
        at(0.95),
        v[v.len() - 1],
        v.len()
    );
}

fn hub_config(target: u16, hooks: u16) -> String {
    format!(
        r#"
[[services]]
name = "bench"
team = "bench"
scrape_interval = "1s"
metric_profiles = ["http"]
[[services.instances]]
name = "bench-1"
base_url = "http://127.0.0.1:{target}"

[[services]]
name = "bench-slow"
team = "bench"
scrape_interval = "15s"
metric_profiles = ["http"]
[[services.instances]]
name = "bench-slow-1"
base_url = "http://127.0.0.1:{target}/slow"

[[alerts]]
name = "bench-metrics"
services = ["bench"]
signal = "error_ratio"
window = "5s"
above = 0.05
receivers = ["hub-metrics"]

[[alerts]]
name = "bench-events"
services = ["bench"]
signal = "error_ratio"
source = "events"
window = "1s"
above = 0.05
receivers = ["hub-events"]

[[alerts]]
name = "bench-slow"
services = ["bench-slow"]
signal = "error_ratio"
window = "5s"
above = 0.05
receivers = ["hub-slow"]

[[receivers]]
name = "hub-metrics"
webhook = {{ url = "http://127.0.0.1:{hooks}/hub-metrics", format = "alertmanager" }}
[[receivers]]
name = "hub-events"
webhook = {{ url = "http://127.0.0.1:{hooks}/hub-events", format = "alertmanager" }}
[[receivers]]
name = "hub-slow"
webhook = {{ url = "http://127.0.0.1:{hooks}/hub-slow", format = "alertmanager" }}
"#
    )
}

fn start_prometheus(dir: &std::path::Path, target: u16, am: u16, hooks: u16) -> (Kill, Kill) {
    std::fs::create_dir_all(dir).expect("a directory");
    std::fs::write(
        dir.join("alertmanager.yml"),
        format!(
            "route:\n  receiver: hook\n  group_by: ['alertname']\n  group_wait: 0s\n  group_interval: 1s\n  repeat_interval: 1h\n\
             receivers:\n  - name: hook\n    webhook_configs:\n      - url: http://127.0.0.1:{hooks}/prometheus\n"
        ),
    )
    .expect("write");
    std::fs::write(
        dir.join("rules.yml"),
        "groups:\n  - name: bench\n    interval: 1s\n    rules:\n      - alert: bench-error-ratio\n        \
         expr: sum(rate(http_request_errors_total[5s])) / sum(rate(http_requests_total[5s])) > 0.05\n        for: 0s\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("prometheus.yml"),
        format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nrule_files: [\"{}\"]\n\
             alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"127.0.0.1:{am}\"]\n\
             scrape_configs:\n  - job_name: bench\n    static_configs:\n      - targets: [\"127.0.0.1:{target}\"]\n",
            dir.join("rules.yml").display()
        ),
    )
    .expect("write");
    let bin = |var: &str, default: &str| std::env::var(var).unwrap_or_else(|_| default.to_string());
    let am_child = Command::new(bin("SWITCHBOARD_TEST_ALERTMANAGER", "/usr/bin/prometheus-alertmanager"))
        .arg(format!("--config.file={}", dir.join("alertmanager.yml").display()))
        .arg(format!("--storage.path={}", dir.join("am-data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{am}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-alertmanager (apt install prometheus-alertmanager)");
    let prom_child = Command::new(bin("SWITCHBOARD_TEST_PROMETHEUS", "/usr/bin/prometheus"))
        .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
        .arg(format!("--storage.tsdb.path={}", dir.join("prom-data").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{}", free_port()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus (apt install prometheus)");
    (Kill(am_child), Kill(prom_child))
}

/// The first firing notice `receiver` got after `since`.
fn fired_after(inbox: &Inbox, receiver: &str, since: i64) -> Option<i64> {
    let got = inbox.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    got.iter().find(|(r, t, s)| r == receiver && *t >= since && s == "firing").map(|(_, t, _)| *t)
}

#[tokio::main]
async fn main() {
    let trials: usize = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(20);
    let target = Arc::new(Target::default());
    let (target_port, hooks_port) = (free_port(), free_port());
    let inbox: Inbox = Arc::default();
    let app = Router::new()
        .route("/metrics", get(metrics))
        .route("/slow/metrics", get(metrics))
        .with_state(target.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", target_port)).await.expect("bind");
    tokio::spawn(async move { axum::serve(listener, app).await });
    let hooks = Router::new().route("/{name}", post(hook)).with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", hooks_port)).await.expect("bind");
    tokio::spawn(async move { axum::serve(listener, hooks).await });

    // 100 requests a second.
    let t = target.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(10));
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            n += 1;
            let failed = t.failing.load(Ordering::SeqCst) && n.is_multiple_of(2);
            t.requests.fetch_add(1, Ordering::SeqCst);
            if failed {
                t.errors.fetch_add(1, Ordering::SeqCst);
            }
            t.unpushed.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push((now_ms(), failed));
        }
    });

    let text = hub_config(target_port, hooks_port);
    let hub_dir = std::env::temp_dir().join(format!("switchboard-alert-delay-hub-{}", std::process::id()));
    let hub = bench::hub_in(&hub_dir, text).await.expect("a hub");
    hub.start_jobs();

    // The target pushes its outcomes to the hub every 100 ms, as a service would.
    let (t, alerts) = (target.clone(), hub.alerts.clone());
    tokio::spawn(async move {
        let me = backend::Principal {
            user_id: 0,
            username: "bench".into(),
            role: types::Role::Developer,
            via_token: false,
            service: None,
        };
        let mut tick = tokio::time::interval(Duration::from_millis(100));
        loop {
            tick.tick().await;
            let batch: Vec<(i64, bool)> =
                std::mem::take(&mut *t.unpushed.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
            if batch.is_empty() {
                continue;
            }
            let events = batch
                .into_iter()
                .map(|(ts_ms, failed)| PushedEvent {
                    service: "bench".into(),
                    instance: Some("bench-1".into()),
                    ts_ms,
                    outcome: if failed { "error" } else { "ok" }.into(),
                    route: Some("/r".into()),
                    user_group: None,
                    error_kind: None,
                    trace_id: None,
                    duration_ms: None,
                    attributes: std::collections::BTreeMap::new(),
                })
                .collect();
            let _ = alerts.push_events(&me, events).await;
        }
    });

    let dir = std::env::temp_dir().join(format!("switchboard-alert-delay-{}", std::process::id()));
    let am_port = free_port();
    let _stack = start_prometheus(&dir, target_port, am_port, hooks_port);
    println!("warming up (history, Prometheus, Alertmanager)…");
    tokio::time::sleep(Duration::from_secs(12)).await;

    let (mut metrics, mut events, mut prometheus) = (Vec::new(), Vec::new(), Vec::new());
    for trial in 0..trials {
        // A random phase of the 1 s scrape.
        tokio::time::sleep(Duration::from_millis(u64::from(rand_u16() % 1000))).await;
        let onset = now_ms();
        target.failing.store(true, Ordering::SeqCst);
        let deadline = onset + 30_000;
        while now_ms() < deadline {
            let all = ["hub-metrics", "hub-events", "prometheus"]
                .iter()
                .all(|r| fired_after(&inbox, r, onset).is_some());
            if all {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        for (r, list) in
            [("hub-metrics", &mut metrics), ("hub-events", &mut events), ("prometheus", &mut prometheus)]
        {
            if let Some(t) = fired_after(&inbox, r, onset) {
                list.push(t - onset);
            }
        }
        println!(
            "trial {:>2}: hub {:?} ms, hub events {:?} ms, Prometheus + Alertmanager {:?} ms",
            trial + 1,
            fired_after(&inbox, "hub-metrics", onset).map(|t| t - onset),
            fired_after(&inbox, "hub-events", onset).map(|t| t - onset),
            fired_after(&inbox, "prometheus", onset).map(|t| t - onset)
        );
        target.failing.store(false, Ordering::SeqCst);
        // Every stack back to quiet: the 5 s windows empty, the alerts resolved.
        tokio::time::sleep(Duration::from_secs(12)).await;
    }
    println!();
    percentiles("hub, metrics, 1 s scrape, 5 s window", metrics);
    percentiles("hub, pushed events, 1 s window", events);
    percentiles("Prometheus + Alertmanager, 1 s scrape", prometheus);

    // The default 15 s scrape: fewer trials, each waits out two scrapes to resolve.
    let mut slow = Vec::new();
    for _ in 0..trials.div_ceil(4) {
        tokio::time::sleep(Duration::from_millis(u64::from(rand_u16() % 15_000))).await;
        let onset = now_ms();
        target.failing.store(true, Ordering::SeqCst);
        while now_ms() < onset + 45_000 && fired_after(&inbox, "hub-slow", onset).is_none() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        if let Some(t) = fired_after(&inbox, "hub-slow", onset) {
            println!("15 s scrape: {} ms", t - onset);
            slow.push(t - onset);
        }
        target.failing.store(false, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs(35)).await;
    }
    percentiles("hub, metrics, 15 s scrape", slow);
    let _ = std::fs::remove_dir_all(&dir);
}

fn rand_u16() -> u16 {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    u16::try_from((nanos / 1000) % 65_536).unwrap_or(0)
}
