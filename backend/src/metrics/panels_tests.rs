use super::*;
use crate::metrics::catalog::{MetricCatalog, SHIPPED};
use crate::metrics::histogram::histogram_quantile;
use exposition::{parse, Format, Limits};
use std::time::Duration;

fn panel(h: &History, kind: PanelKind, from: i64, to: i64) -> Panel {
    let catalog = MetricCatalog::parse(SHIPPED, "shipped").expect("valid");
    compute(h, catalog.signals(), &PanelQuery { service: "svc", kind, from, to })
}

fn feed(h: &History, t: i64, body: &str) {
    let exp = parse(body, Format::Text, &Limits::default()).expect("parses");
    h.append("svc", "svc-1", &exp, t);
}

#[test]
fn quantiles_interpolate_like_prometheus() {
    let b = [(0.1, 50.0), (0.5, 90.0), (1.0, 100.0), (f64::INFINITY, 100.0)];
    let p50 = histogram_quantile(0.5, &b).expect("p50");
    assert!((p50 - 0.1).abs() < 1e-9, "{p50}");
    let p95 = histogram_quantile(0.95, &b).expect("p95");
    assert!((p95 - 0.75).abs() < 1e-9, "{p95}");
    assert_eq!(histogram_quantile(0.95, &[(0.1, 0.0), (f64::INFINITY, 0.0)]), None);
}

#[test]
fn request_rate_error_ratio_and_latency_from_counters() {
    let h = History::new(Duration::from_secs(3600));
    for i in 0..10i64 {
        let n = (i * 100) as f64;
        let body = format!(
            "http_requests_total{{route=\"/a\"}} {n}\nhttp_requests_total{{route=\"/b\"}} {n}\nhttp_request_errors_total{{route=\"/a\",kind=\"x\"}} {}\n\
             http_request_duration_seconds_bucket{{le=\"0.01\"}} {}\nhttp_request_duration_seconds_bucket{{le=\"0.1\"}} {}\nhttp_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n",
            (i * 10) as f64,
            (i * 90) as f64,
            (i * 100) as f64,
            (i * 100) as f64,
        );
        feed(&h, 1_000_000 + i * 10_000, &body);
    }
    let (from, to) = (1_000_000, 1_100_000);
    let rate = panel(&h, PanelKind::RequestRate, from, to);
    assert_eq!(rate.lines.len(), 1);
    assert!(rate.lines[0].points.iter().all(|(_, v)| (*v - 20.0).abs() < 1e-9), "{:?}", rate.lines);
    let ratio = panel(&h, PanelKind::ErrorRatio, from, to);
    assert!(ratio.lines[0].points.iter().all(|(_, v)| (*v - 5.0).abs() < 1e-9), "{:?}", ratio.lines);
    let p95 = panel(&h, PanelKind::LatencyP95, from, to);
    // 90 of 100 under 10 ms, the rest under 100 ms: p95 halfway through the second bucket.
    assert!(p95.lines[0].points.iter().all(|(_, v)| (*v - 0.055).abs() < 1e-9), "{:?}", p95.lines);
}

#[test]
fn pool_exhaustion_is_marked_and_empty_ranges_are_empty() {
    let h = History::new(Duration::from_secs(3600));
    for i in 0..6i64 {
        let (active, queued) = if (2..4).contains(&i) { (8, 5) } else { (2, 0) };
        feed(
            &h,
            i * 1000,
            &format!("worker_pool_active_workers{{pool=\"p\"}} {active}\nworker_pool_max_workers{{pool=\"p\"}} 8\nworker_pool_queued_tasks{{pool=\"p\"}} {queued}\n"),
        );
    }
    let pool = panel(&h, PanelKind::PoolUtilisation, 0, 10_000);
    assert_eq!(pool.lines[0].points[2], (2000, 100.0));
    assert_eq!(pool.alarms, [(2000, 4000)]);
    assert!(panel(&h, PanelKind::ConsumerLag, 0, 10_000).lines.is_empty());
    assert!(panel(&h, PanelKind::PoolUtilisation, 50_000, 60_000).lines.is_empty());
}
