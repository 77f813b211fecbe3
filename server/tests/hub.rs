//! The hub's own health, metrics, audit trail, restarts and start-up errors.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::audit::ListAudit;
use common::{TestHub, TestStore, ADMIN_PASSWORD};

async fn health_ready_and_metrics(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let client = TestHub::client();
    let health = client.get(hub.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert!(health.headers().get("x-request-id").is_some(), "every response carries its request id");
    let ready = client.get(hub.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(client.get(hub.url("/api/v1/me")).send().await.unwrap().status(), 401);
    let metrics = client.get(hub.url("/metrics")).send().await.unwrap();
    assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = metrics.text().await.unwrap();
    assert!(text.contains(r#"http_requests_total{route="/healthz",method="GET",status="200"} 1"#), "{text}");
    assert!(text.contains(r#"http_request_errors_total{route="/api/v1/me",kind="client"} 1"#), "{text}");
    assert!(text.contains("# TYPE http_request_duration_seconds histogram"), "{text}");
    assert!(
        text.contains(r#"http_request_duration_seconds_count{route="/readyz",method="GET"} 1"#),
        "{text}"
    );
    hub.stop().await;
}
both_engines!(health_ready_and_metrics, health_ready_and_metrics);

async fn audit_rows_are_written(store: &TestStore) {
    let hub = TestHub::start(store).await;
    assert_eq!(hub.login(&TestHub::client(), "admin", "wrong password").await.status(), 401);
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    hub.create_user(&admin, "newbie", "newbie-password", "viewer").await;
    let rows: serde_json::Value = hub.call::<ListAudit>(&admin, &[]).await.json().await.unwrap();
    let rows = rows.as_array().unwrap();
    let has = |action: &str, target: &str, outcome: &str| {
        rows.iter().any(|r| r["action"] == action && r["target"] == target && r["outcome"] == outcome)
    };
    assert!(has("user.create", "admin", "ok"), "{rows:?}");
    assert!(has("login", "admin", "failed"), "{rows:?}");
    assert!(has("login", "admin", "ok"), "{rows:?}");
    assert!(has("user.create", "newbie as viewer", "ok"), "{rows:?}");
    let login = rows.iter().find(|r| r["action"] == "login").unwrap();
    assert_eq!(login["source"], "127.0.0.1");

    let filtered: serde_json::Value =
        hub.call::<ListAudit>(&admin, &[("filter[outcome]", "failed")]).await.json().await.unwrap();
    let filtered = filtered.as_array().unwrap();
    assert_eq!(filtered.len(), 1, "{filtered:?}");
    hub.stop().await;
}
both_engines!(audit_rows_are_written, audit_rows_are_written);

async fn session_survives_a_restart(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let client = hub.session("admin", ADMIN_PASSWORD).await;
    hub.stop().await;
    // Cookies ignore the port, so the same browser talks to the restarted hub.
    let hub = TestHub::start(store).await;
    let res = client.get(hub.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    hub.stop().await;
}
both_engines!(session_survives_a_restart, session_survives_a_restart);

#[tokio::test]
async fn an_unreachable_store_stops_the_start_with_a_clear_message() {
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let mut settings = common::settings(&store);
    settings.database_url = Some("postgres://nobody:secret@127.0.0.1:1/none".into());
    let err = server::start(&settings).await.err().expect("the start fails");
    let msg = err.to_string();
    assert!(
        msg.contains("could not connect to the postgres store at postgres://nobody:***@127.0.0.1:1/none"),
        "{msg}"
    );
    assert!(!msg.contains("secret"), "the password stays out of messages: {msg}");
}

#[tokio::test]
async fn a_bad_config_file_names_line_and_field() {
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let path = store.data_dir().join("bad.toml");
    std::fs::write(&path, "[hub]\npublic_url = \"http://x\"\nsession_idle = 3\n").unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(path);
    let msg = server::start(&settings).await.err().expect("the start fails").to_string();
    assert!(msg.contains("bad.toml line 3"), "{msg}");
    assert!(msg.contains("session_idle"), "{msg}");
}

#[tokio::test]
async fn built_assets_are_served_precompressed() {
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let pkg = store.data_dir().join("site/pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("switchboard.js"), "console.log('plain')").unwrap();
    std::fs::write(pkg.join("switchboard.js.br"), b"brotli bytes").unwrap();
    std::fs::write(pkg.join("switchboard.js.gz"), b"gzip bytes").unwrap();
    let hub = TestHub::start(&store).await;
    let raw = reqwest::Client::builder().no_gzip().no_brotli().build().unwrap();
    let get =
        |enc: &'static str| raw.get(hub.url("/pkg/switchboard.js")).header("accept-encoding", enc).send();
    let br = get("gzip, br").await.unwrap();
    assert_eq!(br.headers()["content-encoding"], "br");
    assert_eq!(br.bytes().await.unwrap().as_ref(), b"brotli bytes");
    let gz = get("gzip").await.unwrap();
    assert_eq!(gz.headers()["content-encoding"], "gzip");
    let plain = get("identity").await.unwrap();
    assert!(plain.headers().get("content-encoding").is_none());
    assert_eq!(plain.text().await.unwrap(), "console.log('plain')");
    let missing = raw.get(hub.url("/no/such/page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("Not found"));
    hub.stop().await;
}
