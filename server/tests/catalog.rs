//! The service catalog: the demo fleet's instances come up, go down when stopped and up
//! again; bad instances are marked down with the reason; reloads keep a good config.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::catalog::ReloadConfig;
use app::api::demo::InjectDemoFault;
use axum::routing::get;
use common::{Engine, FleetHub, TestHub, TestStore, ADMIN_PASSWORD};
use leptos::server_fn::ServerFn;
use std::time::{Duration, Instant};

async fn services(hub: &TestHub, client: &reqwest::Client) -> serde_json::Value {
    client.get(hub.url("/api/v1/services")).send().await.unwrap().json().await.unwrap()
}

fn instance<'a>(services: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    services
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["instances"].as_array().unwrap())
        .find(|i| i["name"] == name)
        .unwrap()
}

/// Polls until `check` holds, returning how long it took.
async fn within(limit: Duration, mut check: impl AsyncFnMut() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if check().await {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

#[tokio::test]
async fn the_fleet_comes_up_and_a_stopped_instance_goes_down_and_back() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, dev, .. } = FleetHub::start(&store).await;

    let all_up = within(Duration::from_secs(30), async || {
        let s = services(&hub, &admin).await;
        s.as_array().unwrap().iter().flat_map(|s| s["instances"].as_array().unwrap()).all(|i| i["up"] == true)
    })
    .await;
    assert!(all_up.is_some(), "every demo instance is up: {}", services(&hub, &admin).await);
    let s = services(&hub, &admin).await;
    assert_eq!(s.as_array().unwrap().len(), 3);
    assert!(instance(&s, "orders-api-1")["base_url"].as_str().unwrap().starts_with("http://127.0.0.1:"));

    let stop = serde_json::json!({ "instance": "orders-api-2", "fault": { "fault": "stop" } });
    let res = admin.post(hub.url(InjectDemoFault::PATH)).json(&stop).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let down = within(Duration::from_secs(2) + Duration::from_millis(1500), async || {
        instance(&services(&hub, &admin).await, "orders-api-2")["up"] == false
    })
    .await;
    assert!(down.is_some(), "down within two scrape intervals (1 s each), with slack for the scrape itself");
    let s = services(&hub, &admin).await;
    let error = instance(&s, "orders-api-2")["error"].as_str().unwrap().to_string();
    assert!(error.contains("connection refused"), "{error}");
    assert_eq!(instance(&s, "orders-api-1")["up"], true, "the other instance is untouched");

    let start = serde_json::json!({ "instance": "orders-api-2", "fault": { "fault": "start" } });
    assert_eq!(admin.post(hub.url(InjectDemoFault::PATH)).json(&start).send().await.unwrap().status(), 200);
    let up = within(Duration::from_secs(5), async || {
        instance(&services(&hub, &admin).await, "orders-api-2")["up"] == true
    })
    .await;
    assert!(up.is_some(), "up again after it returns");

    // Only admins drive the fleet, and it is audited.
    let res = dev.post(hub.url(InjectDemoFault::PATH)).json(&stop).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let audit: serde_json::Value = hub
        .call::<app::api::audit::ListAudit>(&admin, &[("filter[action]", "demo.")])
        .await
        .json()
        .await
        .unwrap();
    let outcomes: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["target"].as_str().unwrap().to_string(), r["outcome"].as_str().unwrap().to_string()))
        .collect();
    assert!(outcomes.contains(&("orders-api-2: stop".into(), "ok".into())), "{outcomes:?}");
    assert!(outcomes.contains(&("orders-api-2: stop".into(), "denied".into())), "{outcomes:?}");
    hub.stop().await;
}

/// Instances that misbehave in every way the issue names, served by this test.
async fn bad_instances() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new()
        .route("/ok/metrics", get(|| async { "up 1\n" }))
        .route("/error/metrics", get(|| async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "boom") }))
        .route("/huge/metrics", get(|| async { "x".repeat(17 * 1024 * 1024) }))
        .route(
            "/slow/metrics",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(30)).await;
                "late"
            }),
        );
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// A server that promises a long body and hangs up halfway.
async fn mid_body_closer() -> String {
    use tokio::io::AsyncWriteExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = tokio::io::AsyncReadExt::read(&mut sock, &mut buf).await;
            let _ = sock.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\nup 1\n").await;
            drop(sock);
        }
    });
    format!("http://{addr}")
}

#[tokio::test]
async fn misbehaving_instances_are_down_with_the_reason() {
    let bad = bad_instances().await;
    let closer = mid_body_closer().await;
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let config = format!(
        r#"
[[services]]
name = "zoo"
team = "qa"
scrape_interval = "2s"
{}
"#,
        [
            ("ok", format!("{bad}/ok")),
            ("error", format!("{bad}/error")),
            ("huge", format!("{bad}/huge")),
            ("slow", format!("{bad}/slow")),
            ("midbody", closer),
            ("dead", dead)
        ]
        .iter()
        .map(|(n, u)| format!(
            "[[services.instances]]\nname = \"{n}\"\nbase_url = \"{u}\"\nmetrics_path = \"/metrics\"\n"
        ))
        .collect::<String>()
    );
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let path = store.data_dir().join("zoo.toml");
    std::fs::write(&path, config).unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(path);
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    // The slow one times out after the 2 s interval; everything is known within ~3 s.
    let known = within(Duration::from_secs(8), async || {
        let s = services(&hub, &admin).await;
        s[0]["instances"].as_array().unwrap().iter().all(|i| !i["last_scrape_ms"].is_null())
    })
    .await;
    assert!(known.is_some(), "{}", services(&hub, &admin).await);
    let s = services(&hub, &admin).await;
    let reason = |name: &str| instance(&s, name)["error"].as_str().unwrap_or("").to_string();
    assert_eq!(instance(&s, "ok")["up"], true);
    for (name, expected) in [
        ("error", "HTTP 500"),
        ("huge", "over the 16 MiB limit"),
        ("slow", "did not answer within 2.0 s"),
        ("midbody", "broke mid-body"),
        ("dead", "connection refused"),
    ] {
        assert_eq!(instance(&s, name)["up"], false, "{name}");
        assert!(reason(name).contains(expected), "{name}: {:?}", reason(name));
    }
    // The healthy instance kept its interval while the others failed.
    let first = instance(&s, "ok")["last_scrape_ms"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let later = instance(&services(&hub, &admin).await, "ok")["last_scrape_ms"].as_i64().unwrap();
    assert!(later > first, "the healthy instance is scraped on");
    hub.stop().await;
}

async fn reload_keeps_a_good_config(store: &TestStore) {
    let path = store.data_dir().join("hub.toml");
    let first = "[[services]]\nname = \"alpha\"\nteam = \"a\"\n\n[[services.instances]]\nname = \"a1\"\nbase_url = \"http://127.0.0.1:1\"\n";
    std::fs::write(&path, first).unwrap();
    let mut settings = common::settings(store);
    settings.config = Some(path.clone());
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    hub.create_user(&admin, "viewer1", "viewer1-password", "viewer").await;
    let viewer = hub.session("viewer1", "viewer1-password").await;
    assert_eq!(hub.call::<ReloadConfig>(&viewer, &[]).await.status(), 403, "only admins reload");

    std::fs::write(&path, format!("{first}bogus = 1\n")).unwrap();
    let outcome: serde_json::Value = hub.call::<ReloadConfig>(&admin, &[]).await.json().await.unwrap();
    assert_eq!(outcome["applied"], false);
    assert_eq!(outcome["line"], 8, "{outcome}");
    assert!(outcome["error"].as_str().unwrap().contains("bogus"), "{outcome}");
    let s = services(&hub, &admin).await;
    assert_eq!(s[0]["name"], "alpha", "the running config stays");

    std::fs::write(&path, first.replace("alpha", "beta")).unwrap();
    let outcome: serde_json::Value = hub.call::<ReloadConfig>(&admin, &[]).await.json().await.unwrap();
    assert_eq!(outcome["applied"], true, "{outcome}");
    let diff = outcome["diff"].as_array().unwrap();
    assert!(diff.iter().any(|l| l["op"] == "Removed" && l["text"] == "name = \"alpha\""), "{outcome}");
    assert!(diff.iter().any(|l| l["op"] == "Added" && l["text"] == "name = \"beta\""), "{outcome}");
    let s = services(&hub, &admin).await;
    assert_eq!(s[0]["name"], "beta");
    let res = admin.get(hub.url("/api/v1/services/beta")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(admin.get(hub.url("/api/v1/services/alpha")).send().await.unwrap().status(), 404);
    assert_eq!(reqwest::get(hub.url("/api/v1/services")).await.unwrap().status(), 401);

    let audit: serde_json::Value = hub
        .call::<app::api::audit::ListAudit>(&admin, &[("filter[action]", "config.reload")])
        .await
        .json()
        .await
        .unwrap();
    let outcomes: Vec<&str> =
        audit.as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, ["ok", "failed", "denied"], "{audit}");
    hub.stop().await;
}
both_engines!(reload_keeps_a_good_config, reload_keeps_a_good_config);
