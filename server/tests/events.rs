//! Events services push (`POST /api/v1/events`) and the tokens they push with: a bad batch
//! gets a clear 4xx and stores nothing; a token bound to a service pushes that service's
//! events and does nothing else; a rule with `source = "events"` fires on a pushed batch at
//! once, with what the failing events share; and the demo fleet's orders-api pushes its own.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{now_ms, Engine, FleetHub, TestHub, TestStore, EVENTS_RULE};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// `n` events of orders-api now: every `user_group = pro` one failed when `pro_fails`.
fn batch(n: usize, pro_fails: bool) -> Value {
    let now = now_ms();
    let events: Vec<Value> = (0..n)
        .map(|i| {
            let group = if i % 4 == 0 { "pro" } else { "retail" };
            let failed = pro_fails && group == "pro";
            json!({
                "service": "orders-api",
                "instance": format!("orders-api-{}", 1 + (i % 5) % 2),
                "ts_ms": now,
                "outcome": if failed { "error" } else { "ok" },
                "route": if i % 3 == 0 { "/orders" } else { "/orders/{id}" },
                "user_group": group,
                "error_kind": if failed { Some("injected") } else { None },
                "trace_id": format!("{:032x}", i + 1),
                "attributes": { "region": "eu" },
            })
        })
        .collect();
    Value::Array(events)
}

async fn token(hub: &TestHub, client: &reqwest::Client, body: Value) -> reqwest::Response {
    client.post(hub.url("/api/v1/tokens")).json(&body).send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn pushed_events_are_validated_and_a_service_token_only_pushes_its_own() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    // No demo fleet: only this test pushes.
    let mut settings = common::fleet_with(&store, EVENTS_RULE);
    settings.demo = "0".into();
    let fh = FleetHub::start_with(settings).await;
    let hub = &fh.hub;
    let events = hub.url("/api/v1/events");

    // Tokens: only an admin binds one to a service, and only to a service the config has.
    let res = token(hub, &fh.dev, json!({ "name": "push", "service": "orders-api" })).await;
    assert_eq!(res.status(), 403);
    let res = token(hub, &fh.admin, json!({ "name": "push", "service": "billing" })).await;
    assert_eq!(res.status(), 400);
    let res = token(hub, &fh.admin, json!({ "name": "orders push", "service": "orders-api" })).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let secret = created["token"].as_str().unwrap().to_string();
    assert_eq!(created["service"], "orders-api");
    let bound = reqwest::Client::new();

    // Refused batches, each with its reason, and nothing kept.
    let anonymous = reqwest::Client::new().post(&events).json(&batch(3, false)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let viewer = fh.viewer.post(&events).json(&batch(3, false)).send().await.unwrap();
    assert_eq!(viewer.status(), 403);
    let res = bound
        .post(&events)
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body("[{")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400);
    let mut unknown = batch(3, false);
    unknown[2]["service"] = json!("billing");
    let res = bound.post(&events).bearer_auth(&secret).json(&unknown).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let why: Value = res.json().await.unwrap();
    assert!(why["message"].as_str().unwrap().contains("event 2: unknown service \"billing\""), "{why}");
    let mut other = batch(3, false);
    other[0]["service"] = json!("projector");
    let res = bound.post(&events).bearer_auth(&secret).json(&other).send().await.unwrap();
    assert_eq!(res.status(), 400, "a token bound to orders-api pushes nothing for projector");
    let res = bound.post(&events).bearer_auth(&secret).json(&batch(6000, false)).send().await.unwrap();
    assert_eq!(res.status(), 400, "too many events in one batch");
    let huge = format!(
        "[{}]",
        vec![
            r#"{"service":"orders-api","ts_ms":1,"outcome":"ok","attributes":{"x":""#.to_string()
                + &"y".repeat(200)
                + r#""}}"#;
            12_000
        ]
        .join(",")
    );
    let res = bound
        .post(&events)
        .bearer_auth(&secret)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413, "a body over the limit");
    assert!(fh.hub.get_json(&fh.viewer, "/api/v1/alerts").await.as_array().unwrap().is_empty());

    // The bound token does nothing but push.
    let res = bound.get(hub.url("/api/v1/services")).bearer_auth(&secret).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = bound.post(&events).bearer_auth(&secret).json(&batch(40, false)).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    // A batch where every pro request failed fires the events rule at once, naming pro.
    let sent = Instant::now();
    let res = bound.post(&events).bearer_auth(&secret).json(&batch(200, true)).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let accepted: Value = res.json().await.unwrap();
    assert_eq!(accepted["accepted"], 200);
    let firing = fh.hub.get_json(&fh.viewer, "/api/v1/alerts?state=firing").await;
    let alert = firing.as_array().unwrap().iter().find(|a| a["rule"] == "orders-api-event-errors").cloned();
    let alert = alert.unwrap_or_else(|| panic!("fired on the batch itself: {firing}"));
    assert!(sent.elapsed() < Duration::from_secs(1));
    let context: Vec<String> = alert["context"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| format!("{}={}", c["attribute"].as_str().unwrap(), c["value"].as_str().unwrap()))
        .collect();
    assert!(context.contains(&"user_group=pro".to_string()), "{alert}");
    assert!(
        !context
            .iter()
            .any(|c| c.starts_with("route=") || c.starts_with("instance=") || c.starts_with("region=")),
        "{alert}"
    );
    assert!(!alert["traces"].as_array().unwrap().is_empty(), "{alert}");

    // Revoked, the token pushes nothing more.
    let id = created["id"].as_i64().unwrap();
    let res = fh.admin.delete(hub.url(&format!("/api/v1/tokens/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), 204);
    let res = bound.post(&events).bearer_auth(&secret).json(&batch(3, false)).send().await.unwrap();
    assert_eq!(res.status(), 401);
    fh.stop().await;
}

/// The demo fleet's orders-api pushes its request outcomes with the token the hub gave it:
/// errors for pro fire an events rule naming pro.
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_orders_api_pushes_its_outcomes() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let rule = EVENTS_RULE.replace("window = \"1s\"\nabove = 0.15", "window = \"3s\"\nabove = 0.25");
    let fh = FleetHub::start_with(common::fleet_with(&store, &rule)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    for instance in ["orders-api-1", "orders-api-2"] {
        let fault = json!({ "instance": instance, "fault": "errors", "ratio": 1.0, "user_group": "pro" });
        let res = fh.admin.post(fh.hub.url("/api/v1/demo/faults")).json(&fault).send().await.unwrap();
        assert_eq!(res.status(), 204);
    }
    // It fires, and what the failing events share names pro (at once, or as more come in).
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let firing = fh.hub.get_json(&fh.viewer, "/api/v1/alerts?state=firing").await;
        let alert =
            firing.as_array().unwrap().iter().find(|a| a["rule"] == "orders-api-event-errors").cloned();
        if alert
            .as_ref()
            .is_some_and(|a| a["context"].as_array().unwrap().iter().any(|c| c["value"] == "pro"))
        {
            break;
        }
        assert!(Instant::now() < deadline, "orders-api's pushed events fire the rule naming pro: {alert:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let audit = fh.hub.get_json(&fh.admin, "/api/v1/audit?action=token.create").await;
    assert!(audit.to_string().contains("demo fleet: orders-api"), "the fleet's token is audited: {audit}");
    fh.stop().await;
}
