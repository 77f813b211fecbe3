//! Standard panels from the hub's own history, which survives a restart.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::metrics::ServicePanels;
use common::{TestHub, TestStore, ADMIN_PASSWORD};
use leptos::server_fn::ServerFn;
use std::time::Duration;

async fn panels(hub: &TestHub, client: &reqwest::Client, service: &str, preset: &str) -> reqwest::Response {
    let body = [("name", service), ("range[preset]", preset)];
    client.post(hub.url(ServicePanels::PATH)).form(&body).send().await.unwrap()
}

/// A `datetime-local` value as unix ms (UTC).
fn parse(minute: &str) -> String {
    types::time::parse_utc_minute(minute).unwrap().to_string()
}

async fn history_survives_a_restart(store: &TestStore) {
    let (mut settings, _) = common::fleet_settings(store);
    let hub = TestHub::start_with(settings.clone()).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    // A few scrapes at 1 s make rates.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let list: serde_json::Value = panels(&hub, &admin, "orders-api", "15m").await.json().await.unwrap();
    let ids: Vec<&str> = list.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        ["request_rate", "error_ratio", "latency_p95", "pool_utilisation"],
        "the panels its profiles feed"
    );
    let rate = &list[0];
    assert_eq!(rate["has_data"], true, "{rate}");
    assert!(rate["chart"]["svg"].as_str().unwrap().starts_with("<svg"));
    let labels: Vec<&str> =
        rate["chart"]["series"].as_array().unwrap().iter().map(|s| s["label"].as_str().unwrap()).collect();
    assert!(labels.contains(&"orders-api-1"), "a series per instance: {labels:?}");
    let lag: serde_json::Value = panels(&hub, &admin, "projector", "15m").await.json().await.unwrap();
    assert_eq!(lag.as_array().unwrap().last().unwrap()["id"], "consumer_lag");
    hub.stop().await;

    // The restarted hub runs without the fleet: what it shows comes from the store.
    settings.demo = "0".into();
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let list: serde_json::Value = panels(&hub, &admin, "orders-api", "15m").await.json().await.unwrap();
    assert_eq!(list[0]["has_data"], true, "history came back from the store");
    // A reversed or empty custom range is refused with the reason, never replaced.
    for (from, to, why) in [
        ("2026-12-01T10:00", "2026-12-01T09:00", "ends before it starts"),
        ("2026-12-01T10:00", "2026-12-01T10:00", "empty"),
    ] {
        let body = [
            ("name", "orders-api"),
            ("range[preset]", "custom"),
            ("range[from_ms]", &parse(from)),
            ("range[to_ms]", &parse(to)),
        ];
        let res = admin.post(hub.url(ServicePanels::PATH)).form(&body).send().await.unwrap();
        assert_eq!(res.status(), 400);
        assert!(res.text().await.unwrap().contains(why));
    }
    let res = panels(&hub, &admin, "no-such-service", "1h").await;
    assert_eq!(res.status(), 404);
    assert_eq!(panels(&hub, &TestHub::client(), "orders-api", "1h").await.status(), 401);
    hub.stop().await;
}
both_engines!(history_survives_a_restart, history_survives_a_restart);
