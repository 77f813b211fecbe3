//! Changes (`POST|GET /api/v1/changes`): who may record one (developers and up, a token bound
//! to the service for that service only), what is refused with its reason (nothing kept),
//! what the hub records by itself (a config reload, as a change of each service it touched),
//! and an alert's detail listing the changes of the hour before its onset.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::catalog::ReloadConfig;
use common::{now_ms, FleetHub, TestStore, EVENTS_RULE};
use serde_json::{json, Value};

/// Events of orders-api now, every one failed.
fn failing(n: usize) -> Value {
    let now = now_ms();
    (0..n)
        .map(|i| json!({ "service": "orders-api", "ts_ms": now, "outcome": "error", "trace_id": format!("{:032x}", i + 1) }))
        .collect()
}

async fn changes_are_recorded_listed_and_shown_on_alerts(store: &TestStore) {
    let mut settings = common::fleet_with(store, EVENTS_RULE);
    settings.demo = "0".into();
    let config_path = settings.config.clone().unwrap();
    let fh = FleetHub::start_with(settings).await;
    let hub = &fh.hub;
    let changes = hub.url("/api/v1/changes");

    // A developer records a deploy; an older one comes from a pipeline after the fact.
    let deploy = json!({ "service": "orders-api", "kind": "deploy", "version": "1.4.2", "author": "ci", "url": "https://ci.example/builds/42" });
    let res = fh.dev.post(&changes).json(&deploy).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let kept: Value = res.json().await.unwrap();
    assert_eq!(
        (kept["summary"].as_str(), kept["recorded_by"].as_str()),
        (Some("deploy 1.4.2"), Some("dev1"))
    );
    let earlier = json!({ "service": "orders-api", "kind": "migration", "summary": "orders: add index on customer", "ts_ms": now_ms() - 600_000 });
    assert_eq!(fh.dev.post(&changes).json(&earlier).send().await.unwrap().status(), 201);

    // A token bound to orders-api records orders-api's changes only, and reads nothing.
    let res = fh
        .admin
        .post(hub.url("/api/v1/tokens"))
        .json(&json!({ "name": "orders ci", "service": "orders-api" }))
        .send()
        .await
        .unwrap();
    let secret = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let bound = reqwest::Client::new();
    let flag = json!({ "service": "orders-api", "kind": "flag", "summary": "new pricing on" });
    let res = bound.post(&changes).bearer_auth(&secret).json(&flag).send().await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let other = json!({ "service": "projector", "kind": "deploy", "version": "2" });
    let res = bound.post(&changes).bearer_auth(&secret).json(&other).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let why: Value = res.json().await.unwrap();
    assert!(why["message"].as_str().unwrap().contains("orders-api only"), "{why}");
    assert_eq!(bound.get(&changes).bearer_auth(&secret).send().await.unwrap().status(), 403);

    // Refused, each with a clear status, and nothing kept.
    assert_eq!(reqwest::Client::new().post(&changes).json(&deploy).send().await.unwrap().status(), 401);
    assert_eq!(fh.viewer.post(&changes).json(&deploy).send().await.unwrap().status(), 403);
    let bad = [
        json!({ "service": "billing", "kind": "deploy", "version": "1" }),
        json!({ "service": "orders-api", "kind": "rollout", "version": "1" }),
        json!({ "service": "orders-api", "kind": "deploy" }),
        json!({ "service": "orders-api", "kind": "deploy", "version": "1", "url": "javascript:alert(1)" }),
    ];
    for body in bad {
        let res = fh.dev.post(&changes).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 400, "{body}");
        let why: Value = res.json().await.unwrap();
        assert!(why["message"].as_str().unwrap().starts_with("the change was not kept"), "{why}");
    }
    let res =
        fh.dev.post(&changes).header("content-type", "application/json").body("{").send().await.unwrap();
    assert_eq!(res.status(), 400);
    let huge = json!({ "service": "orders-api", "kind": "deploy", "summary": "x".repeat(20_000) });
    assert_eq!(fh.dev.post(&changes).json(&huge).send().await.unwrap().status(), 413);

    // Listed newest first, by service and time.
    let list = hub.get_json(&fh.viewer, "/api/v1/changes?service=orders-api").await;
    let kinds: Vec<&str> = list.as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["flag", "deploy", "migration"], "{list}");
    let since = now_ms() - 300_000;
    let recent = hub.get_json(&fh.viewer, &format!("/api/v1/changes?service=orders-api&since={since}")).await;
    assert_eq!(recent.as_array().unwrap().len(), 2, "{recent}");
    assert!(hub
        .get_json(&fh.viewer, "/api/v1/changes?service=projector")
        .await
        .as_array()
        .unwrap()
        .is_empty());

    // A reload that adds a service is recorded as that service's config change, by the hub.
    let text = std::fs::read_to_string(&config_path).unwrap();
    std::fs::write(&config_path, format!("{text}\n[[services]]\nname = \"billing\"\nteam = \"payments\"\n"))
        .unwrap();
    let res = hub.call::<ReloadConfig>(&fh.admin, &[]).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let billing = hub.get_json(&fh.viewer, "/api/v1/changes?service=billing").await;
    let c = &billing[0];
    assert_eq!(
        (c["kind"].as_str(), c["recorded_by"].as_str(), c["author"].as_str()),
        (Some("config"), Some("hub"), Some("admin")),
        "{billing}"
    );
    assert!(c["summary"].as_str().unwrap().contains("added to the config"), "{billing}");

    // An alert that fires now lists the changes of the hour before its onset, newest first.
    let res =
        bound.post(hub.url("/api/v1/events")).bearer_auth(&secret).json(&failing(50)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let firing = hub.get_json(&fh.viewer, "/api/v1/alerts?state=firing").await;
    let id = firing[0]["id"].as_i64().unwrap_or_else(|| panic!("the events rule fired: {firing}"));
    let detail = hub.get_json(&fh.viewer, &format!("/api/v1/alerts/{id}")).await;
    let before: Vec<&str> =
        detail["changes"].as_array().unwrap().iter().map(|c| c["kind"].as_str().unwrap()).collect();
    assert_eq!(before, ["flag", "deploy", "migration"], "{detail}");
    fh.stop().await;
}

both_engines!(changes, changes_are_recorded_listed_and_shown_on_alerts);
