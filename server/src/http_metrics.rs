//! The hub's own HTTP metrics, served at /metrics in the Prometheus text format.

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use backend::prom::{escape, Histogram};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0];

#[derive(Default)]
struct Inner {
    requests: BTreeMap<(String, String, u16), u64>,
    errors: BTreeMap<(String, &'static str), u64>,
    latency: BTreeMap<(String, String), Histogram>,
}

#[derive(Clone, Default)]
pub struct HttpMetrics {
    inner: Arc<Mutex<Inner>>,
}

impl HttpMetrics {
    pub fn observe(&self, route: &str, method: &str, status: u16, seconds: f64) {
        let mut m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        *m.requests.entry((route.to_string(), method.to_string(), status)).or_default() += 1;
        let kind = match status {
            500..=599 => Some("server"),
            400..=499 => Some("client"),
            _ => None,
        };
        if let Some(kind) = kind {
            *m.errors.entry((route.to_string(), kind)).or_default() += 1;
        }
        m.latency
            .entry((route.to_string(), method.to_string()))
            .or_insert_with(|| Histogram::new(BUCKETS))
            .observe(seconds);
    }

    pub fn render(&self) -> String {
        let m = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::with_capacity(4096);
        let (cpu, rss) = process_usage();
        out.push_str("# HELP process_cpu_seconds_total CPU time (user and system) the hub has used.\n");
        out.push_str("# TYPE process_cpu_seconds_total counter\n");
        let _ = writeln!(out, "process_cpu_seconds_total {cpu}");
        out.push_str("# HELP process_resident_memory_bytes Resident memory of the hub.\n");
        out.push_str("# TYPE process_resident_memory_bytes gauge\n");
        let _ = writeln!(out, "process_resident_memory_bytes {rss}");
        out.push_str("# HELP http_requests_total HTTP requests served by the hub.\n");
        out.push_str("# TYPE http_requests_total counter\n");
        for ((route, method, status), n) in &m.requests {
            let _ = writeln!(
                out,
                "http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
        out.push_str("# HELP http_request_errors_total HTTP requests that ended in a 4xx (client) or 5xx (server) status.\n");
        out.push_str("# TYPE http_request_errors_total counter\n");
        for ((route, kind), n) in &m.errors {
            let _ =
                writeln!(out, "http_request_errors_total{{route=\"{}\",kind=\"{kind}\"}} {n}", escape(route));
        }
        out.push_str("# HELP http_request_duration_seconds Time to serve an HTTP request.\n");
        out.push_str("# TYPE http_request_duration_seconds histogram\n");
        for ((route, method), h) in &m.latency {
            let labels = format!("route=\"{}\",method=\"{method}\"", escape(route));
            h.write(&mut out, "http_request_duration_seconds", &labels);
        }
        out
    }
}

/// CPU seconds and resident bytes of this process, from /proc (zero where there is none).
fn process_usage() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, r)| r.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok()).unwrap_or(0.0);
    // utime and stime, in clock ticks of 1/100 s on Linux.
    let cpu = (ticks(11) + ticks(12)) / 100.0;
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages = statm.split_whitespace().nth(1).and_then(|p| p.parse::<f64>().ok()).unwrap_or(0.0);
    (cpu, pages * 4096.0)
}

/// Records every request under its route pattern (never the raw path: bounded cardinality).
pub async fn record(State(metrics): State<HttpMetrics>, req: Request, next: Next) -> Response {
    let route = req.extensions().get::<MatchedPath>().map_or_else(
        || if req.uri().path().starts_with("/pkg/") { "/pkg/*" } else { "unmatched" }.to_string(),
        |p| p.as_str().to_string(),
    );
    let method = req.method().as_str().to_string();
    let started = Instant::now();
    let response = next.run(req).await;
    metrics.observe(&route, &method, response.status().as_u16(), started.elapsed().as_secs_f64());
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counters_and_cumulative_buckets() {
        let m = HttpMetrics::default();
        m.observe("/healthz", "GET", 200, 0.003);
        m.observe("/healthz", "GET", 200, 0.2);
        m.observe("/api/v1/me", "GET", 401, 0.001);
        let text = m.render();
        assert!(text.contains("http_requests_total{route=\"/healthz\",method=\"GET\",status=\"200\"} 2"));
        assert!(text.contains("http_request_errors_total{route=\"/api/v1/me\",kind=\"client\"} 1"));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "http_request_duration_seconds_bucket{route=\"/healthz\",method=\"GET\",le=\"0.25\"} 2"
        ));
        assert!(text.contains("http_request_duration_seconds_count{route=\"/healthz\",method=\"GET\"} 2"));
    }
}
