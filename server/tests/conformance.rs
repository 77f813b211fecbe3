//! The shared metric format against the real fleet: every demo service conforms, a broken
//! instance turns its service red within a scrape interval, and the hub's own /metrics
//! passes its own catalog.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::demo::InjectDemoFault;
use backend::metrics::{catalog::SHIPPED, conformance, MetricCatalog};
use common::{Engine, FleetHub, TestHub, TestStore};
use leptos::server_fn::ServerFn;
use std::time::{Duration, Instant};

async fn get(client: &reqwest::Client, url: String) -> serde_json::Value {
    client.get(url).send().await.unwrap().json().await.unwrap()
}

fn rule<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["rules"].as_array().unwrap().iter().find(|r| r["rule"] == name).unwrap()
}

#[tokio::test]
async fn the_fleet_conforms_until_an_instance_breaks_the_format() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, .. } = FleetHub::start(&store).await;

    let deadline = Instant::now() + Duration::from_secs(30);
    let mut matrix = serde_json::Value::Null;
    while Instant::now() < deadline {
        matrix = get(&admin, hub.url("/api/v1/conformance")).await;
        let rows = matrix["services"].as_array().unwrap();
        if rows.iter().all(|r| r["statuses"].as_array().unwrap().iter().all(|s| s == "pass")) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rows = matrix["services"].as_array().unwrap();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r["fail"] == 0 && r["warn"] == 0), "every demo service conforms: {matrix}");
    assert_eq!(matrix["rules"].as_array().unwrap().len(), 10);

    let report = get(&admin, hub.url("/api/v1/services/orders-api/conformance")).await;
    assert_eq!(report["service"], "orders-api");
    let scrape = &report["instances"][0]["scrape"];
    assert_eq!(report["instances"][0]["instance"], "orders-api-1");
    assert_eq!(scrape["ok"], true);
    assert_eq!(scrape["format"], "openmetrics", "the hub asks for OpenMetrics first");
    assert!(scrape["families"].as_u64().unwrap() >= 8, "{scrape}");
    assert!(scrape["samples"].as_u64().unwrap() > 0, "{scrape}");
    assert!(scrape["bytes"].as_u64().unwrap() > 0 && scrape["error"].is_null());
    for key in ["ok", "error", "format", "families", "samples", "bytes", "duration_ms"] {
        assert!(scrape.get(key).is_some(), "{key} in {scrape}");
    }

    let fault = serde_json::json!({ "instance": "orders-api-1", "fault": { "fault": "bad_metrics", "mode": "wrong_type" } });
    assert_eq!(admin.post(hub.url(InjectDemoFault::PATH)).json(&fault).send().await.unwrap().status(), 200);
    let started = Instant::now();
    let mut report = serde_json::Value::Null;
    while started.elapsed() < Duration::from_secs(3) {
        report = get(&admin, hub.url("/api/v1/services/orders-api/conformance")).await;
        if rule(&report, "type_matches")["status"] == "fail" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(rule(&report, "type_matches")["status"], "fail", "red within a scrape interval: {report}");
    let examples = rule(&report, "type_matches")["examples"].as_array().unwrap();
    assert!(
        examples.iter().any(|e| e.as_str().unwrap().starts_with("orders-api-1: process_cpu_seconds_total")),
        "{examples:?}"
    );

    let fault = serde_json::json!({ "instance": "projector-1", "fault": { "fault": "bad_metrics", "mode": "drop_label" } });
    assert_eq!(admin.post(hub.url(InjectDemoFault::PATH)).json(&fault).send().await.unwrap().status(), 200);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        report = get(&admin, hub.url("/api/v1/services/projector/conformance")).await;
        if rule(&report, "required_labels")["status"] == "fail" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let required = rule(&report, "required_labels");
    assert_eq!(required["status"], "fail", "{report}");
    assert!(required["examples"][0].as_str().unwrap().contains("has no pool label"), "{required}");
    let matrix = get(&admin, hub.url("/api/v1/conformance")).await;
    let worst =
        matrix["services"].as_array().unwrap().iter().filter(|r| r["fail"].as_u64().unwrap() > 0).count();
    assert_eq!(worst, 2, "{matrix}");
    assert_eq!(reqwest::get(hub.url("/api/v1/conformance")).await.unwrap().status(), 401);
    hub.stop().await;
}

#[tokio::test]
async fn the_hubs_own_metrics_pass_its_own_catalog() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let hub = TestHub::start(&store).await;
    let client = TestHub::client();
    for path in ["/healthz", "/readyz", "/api/v1/me"] {
        client.get(hub.url(path)).send().await.unwrap();
    }
    let body = client.get(hub.url("/metrics")).send().await.unwrap().text().await.unwrap();
    let exp = exposition::parse(&body, exposition::Format::Text, &exposition::Limits::default()).unwrap();
    let catalog = MetricCatalog::parse(SHIPPED, "shipped").unwrap();
    for r in conformance::check(&exp, exposition::Format::Text, &catalog, &["http".to_string()]) {
        assert_eq!(r.status, types::RuleStatus::Pass, "{r:?}\n{body}");
    }
    hub.stop().await;
}
