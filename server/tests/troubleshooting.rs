//! The troubleshooting flow on the demo fleet's integration layer, every part real: the
//! portfolio BFF calls orders-api and quotes with W3C trace context, every service exports
//! its spans with the OpenTelemetry SDK (OTLP/HTTP) to the hub. Errors injected into quotes
//! fire the BFF's alert; its traces name quotes as the first failing service; the alert's
//! thread dump is of quotes; the incident lists quotes' deploy. Quotes slower than the BFF's
//! timeout gives partial answers, marked as such in the answer, the metrics and the spans.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{FleetHub, TestStore};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The fleet (1 s scrapes) with the BFF and quotes, and the BFF's alert with a thread dump.
fn config() -> String {
    format!(
        r#"{fleet}
[[services]]
name = "quotes"
team = "market-data"
scrape_interval = "1s"
metric_profiles = ["http", "worker_pool"]

[[services.instances]]
name = "quotes-1"
base_url = "demo://quotes-1"

[[services]]
name = "portfolio-bff"
team = "web"
scrape_interval = "1s"
metric_profiles = ["http", "worker_pool"]

[[services.instances]]
name = "portfolio-bff-1"
base_url = "demo://portfolio-bff-1"

[[alerts]]
name = "portfolio-bff-error-ratio"
services = ["portfolio-bff"]
signal = "error_ratio"
window = "5s"
above = 0.2
capture = "threads"
"#,
        fleet = common::FLEET_CONFIG
    )
}

async fn start(store: &TestStore) -> FleetHub {
    let (mut settings, path) = common::fleet_settings(store);
    let path = path.with_file_name("troubleshooting.toml");
    std::fs::write(&path, config()).unwrap();
    settings.config = Some(path);
    FleetHub::start_with(settings).await
}

async fn fault(fh: &FleetHub, fault: Value) {
    let res = fh.admin.post(fh.hub.url("/api/v1/demo/faults")).json(&fault).send().await.unwrap();
    assert_eq!(res.status(), 204, "{}", res.text().await.unwrap());
}

/// Polls GET `path` as the viewer until `done` holds of its answer (or fails after `limit`).
async fn until(
    fh: &FleetHub,
    what: &str,
    limit: Duration,
    path: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let v = fh.hub.get_json(&fh.viewer, path).await;
        if done(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "waited {limit:?} for {what}; last: {v}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn services_of(trace: &Value) -> Vec<&str> {
    trace["spans"].as_array().unwrap().iter().map(|s| s["service"].as_str().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn quotes_errors_fire_the_bffs_alert_whose_traces_incident_and_dump_point_at_quotes() {
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let fh = start(&store).await;
    let (hub, viewer) = (&fh.hub, &fh.viewer);

    // Before any fault: a BFF trace crosses three services, the parent ids carried by
    // traceparent, and orders-api's database call is a span of its own.
    let found = until(
        &fh,
        "a whole portfolio trace",
        Duration::from_secs(60),
        "/api/v1/traces?service=portfolio-bff&limit=50",
        |v| v.as_array().is_some_and(|l| l.iter().any(|t| t["services"].as_array().unwrap().len() == 3)),
    )
    .await;
    let id = found.as_array().unwrap().iter().find(|t| t["services"].as_array().unwrap().len() == 3).unwrap()
        ["trace_id"]
        .as_str()
        .unwrap()
        .to_string();
    let trace = hub.get_json(viewer, &format!("/api/v1/traces/{id}")).await;
    let spans = trace["spans"].as_array().unwrap();
    let by_id = |sid: &Value| spans.iter().find(|s| s["span_id"] == *sid);
    let quotes_server = spans.iter().find(|s| s["service"] == "quotes").unwrap();
    let caller = by_id(&quotes_server["parent_id"]).expect("quotes' parent is in the trace");
    assert_eq!(caller["service"], "portfolio-bff", "{trace}");
    assert_eq!(caller["name"], "GET quotes");
    let db = spans.iter().find(|s| s["attributes"]["db.system.name"] == "sqlite").expect("a database span");
    assert_eq!(by_id(&db["parent_id"]).unwrap()["service"], "orders-api");
    assert!(db["attributes"]["db.query.text"].as_str().unwrap().contains("orders_view"));
    assert!(trace["first_failing_service"].is_null(), "{trace}");

    // Quotes is deployed, then fails every request.
    let deploy = [("service", "quotes"), ("version", "2.4.0")];
    let res = hub.call::<app::api::demo::DeployDemoService>(&fh.admin, &deploy).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    fault(&fh, json!({ "instance": "quotes-1", "fault": "errors", "ratio": 1.0 })).await;

    let firing = until(&fh, "the BFF's alert", Duration::from_secs(60), "/api/v1/alerts?state=firing", |v| {
        v.as_array().is_some_and(|l| l.iter().any(|a| a["rule"] == "portfolio-bff-error-ratio"))
    })
    .await;
    let alert = firing.as_array().unwrap().iter().find(|a| a["rule"] == "portfolio-bff-error-ratio").unwrap();
    let alert_id = alert["id"].as_i64().unwrap();
    assert_eq!(alert["service"], "portfolio-bff");
    assert!(
        alert["context"].as_array().unwrap().iter().any(|c| c["value"] == "upstream_quotes"),
        "the failures share the kind upstream_quotes: {alert}"
    );

    // Its thread dump is of quotes, where the traces say the errors start (taken once the
    // spans of its example traces have arrived: a second or two after it fired).
    let path = format!("/api/v1/alerts/{alert_id}");
    let with_capture = until(&fh, "the alert's capture", Duration::from_secs(15), &path, |v| {
        v["alert"]["capture_id"].is_i64() || v["capture_id"].is_i64()
    })
    .await;
    let capture_id =
        with_capture["alert"]["capture_id"].as_i64().or(with_capture["capture_id"].as_i64()).unwrap();
    let capture = hub.capture_finished(viewer, capture_id).await;
    assert_eq!((capture["service"].as_str(), capture["kind"].as_str()), (Some("quotes"), Some("threads")));
    assert_eq!(capture["state"], "done", "{capture}");

    // One of its example traces: the BFF failed because quotes did.
    let example = alert["traces"].as_array().unwrap()[0].as_str().unwrap().to_string();
    let trace =
        until(&fh, "the example trace", Duration::from_secs(10), &format!("/api/v1/traces/{example}"), |v| {
            v["spans"].is_array()
        })
        .await;
    assert_eq!(trace["first_failing_service"], "quotes", "{trace}");
    assert!(services_of(&trace).contains(&"portfolio-bff"));

    // The incident holds it all: quotes first failing, both involved, quotes' deploy.
    let incident = until(
        &fh,
        "the incident naming quotes",
        Duration::from_secs(10),
        &format!("/api/v1/incidents/{alert_id}"),
        |v| v["first_failing"][0]["service"] == "quotes",
    )
    .await;
    let involved: Vec<&str> =
        incident["involved"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    assert!(involved.contains(&"portfolio-bff") && involved.contains(&"quotes"), "{incident}");
    assert!(
        incident["changes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["service"] == "quotes" && c["kind"] == "deploy" && c["version"] == "2.4.0"),
        "{incident}"
    );
    assert_eq!(incident["capture_target"], json!(["quotes", "quotes-1"]));
    assert_eq!(incident["alert"]["capture_id"], capture_id);

    fault(&fh, json!({ "instance": "quotes-1", "fault": "clear" })).await;
    fh.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn quotes_slower_than_the_bffs_timeout_gives_partial_answers_marked_as_such() {
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let fh = start(&store).await;
    let (hub, viewer) = (&fh.hub, &fh.viewer);
    let services = hub.get_json(viewer, "/api/v1/services").await;
    let bff = services.as_array().unwrap().iter().find(|s| s["name"] == "portfolio-bff").unwrap()
        ["instances"][0]["base_url"]
        .as_str()
        .unwrap()
        .to_string();
    let http = reqwest::Client::new();
    let whole: Value = http.get(format!("{bff}/portfolio/c0001")).send().await.unwrap().json().await.unwrap();
    assert_eq!(whole["partial"], false, "{whole}");
    assert_eq!(whole["quotes"].as_array().unwrap().len(), 3, "{whole}");

    // 600 ms: twice the BFF's 300 ms timeout, and quotes' eight workers still keep up.
    fault(&fh, json!({ "instance": "quotes-1", "fault": "latency", "ms": 600 })).await;
    let started = Instant::now();
    let res = http.get(format!("{bff}/portfolio/c0001")).send().await.unwrap();
    let took = started.elapsed();
    assert_eq!(res.status(), 200);
    let trace_id = res.headers()["x-trace-id"].to_str().unwrap().to_string();
    let partial: Value = res.json().await.unwrap();
    assert_eq!(partial["partial"], true, "{partial}");
    assert_eq!(partial["missing"], json!(["quotes"]));
    assert!(partial["quotes"].is_null());
    assert!(partial["orders"].is_array(), "the orders are there: {partial}");
    assert!(partial["reason"].as_str().unwrap().contains("300 ms"), "{partial}");
    assert!(took < Duration::from_millis(590), "answered at the timeout, not after quotes: {took:?}");

    // The BFF counts it, and its trace says so, with the quotes call failed by the timeout.
    let metrics = http.get(format!("{bff}/metrics")).send().await.unwrap().text().await.unwrap();
    assert!(
        metrics.lines().any(|l| l.starts_with("portfolio_partial_responses_total{")
            && l.contains("missing=\"quotes\"")
            && l.contains("reason=\"timeout\"")),
        "{metrics}"
    );
    let trace = until(
        &fh,
        "the partial answer's trace",
        Duration::from_secs(15),
        &format!("/api/v1/traces/{trace_id}"),
        |v| v["spans"].as_array().is_some_and(|s| s.iter().any(|s| s["name"] == "GET quotes")),
    )
    .await;
    let spans = trace["spans"].as_array().unwrap();
    let root = spans.iter().find(|s| s["parent_id"].is_null()).unwrap();
    assert_eq!(root["attributes"]["portfolio.partial"], "true", "{trace}");
    assert_eq!(root["status"], "ok");
    let call = spans.iter().find(|s| s["name"] == "GET quotes").unwrap();
    assert_eq!(call["status"], "error");
    // The search finds partial answers by their attribute.
    let found = until(
        &fh,
        "partial answers by attribute",
        Duration::from_secs(10),
        "/api/v1/traces?service=portfolio-bff&attribute=portfolio.partial=true",
        |v| v.as_array().is_some_and(|l| !l.is_empty()),
    )
    .await;
    assert!(found.as_array().unwrap().iter().all(|t| t["root_service"] == "portfolio-bff"), "{found}");
    fault(&fh, json!({ "instance": "quotes-1", "fault": "clear" })).await;
    fh.stop().await;
}
