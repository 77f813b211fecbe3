//! A replaced metric catalog (`[metrics] catalog = …`) that renames families moves the local
//! panels and the capture triggers with it: nothing reads a family name written in the code.
//! The instance is a real HTTP server on 127.0.0.1 speaking the renamed format.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::metrics::ServicePanels;
use axum::routing::get;
use common::{Engine, TestHub, TestStore, ADMIN_PASSWORD};
use leptos::server_fn::ServerFn;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const JSTACK: &str = include_str!("../../threaddump/fixtures/deadlock.jstack");

/// The shipped catalog with the request counter and the pool gauges renamed.
fn renamed_catalog() -> String {
    backend::metrics::catalog::SHIPPED
        .replace("name = \"http_requests_total\"", "name = \"http_server_requests_total\"")
        .replace("name = \"worker_pool_active_workers\"", "name = \"executor_busy_threads\"")
        .replace("name = \"worker_pool_max_workers\"", "name = \"executor_max_threads\"")
}

/// An instance in the renamed format: requests count up on every scrape, 6 of 8 threads busy.
async fn serve_renamed() -> String {
    let scrapes = Arc::new(AtomicU64::new(0));
    let app = axum::Router::new()
        .route(
            "/metrics",
            get(move || {
                let n = scrapes.fetch_add(1, Ordering::SeqCst) * 10;
                async move {
                    format!(
                        "# TYPE http_server_requests_total counter\n\
                         http_server_requests_total{{route=\"/a\",method=\"GET\",status=\"200\"}} {n}\n\
                         # TYPE executor_busy_threads gauge\nexecutor_busy_threads{{pool=\"p\"}} 6\n\
                         # TYPE executor_max_threads gauge\nexecutor_max_threads{{pool=\"p\"}} 8\n\
                         # TYPE worker_pool_queued_tasks gauge\nworker_pool_queued_tasks{{pool=\"p\"}} 0\n"
                    )
                }
            }),
        )
        .route("/debug/threads", get(|| async { JSTACK }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn a_renamed_family_moves_panels_and_triggers_together() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let dir = store.data_dir();
    std::fs::write(dir.join("renamed.toml"), renamed_catalog()).unwrap();
    let base = serve_renamed().await;
    let config = format!(
        "[metrics]\ncatalog = \"renamed.toml\"\n\n[[services]]\nname = \"svc\"\nteam = \"t\"\n\
         scrape_interval = \"1s\"\nmetric_profiles = [\"http\", \"worker_pool\"]\n\n\
         [[services.instances]]\nname = \"svc-1\"\nbase_url = \"{base}\"\n\n\
         [[services.capture_triggers]]\nmetric = \"pool_utilisation\"\nabove = 0.5\nkind = \"threads\"\n"
    );
    std::fs::write(dir.join("hub.toml"), config).unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(dir.join("hub.toml"));
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;

    // The trigger reads pool utilisation (6/8 = 75 %) from the renamed gauges.
    let deadline = Instant::now() + Duration::from_secs(20);
    let triggered = loop {
        let list = hub.get_json(&admin, "/api/v1/captures?service=svc").await;
        if let Some(c) = list.as_array().unwrap().first() {
            break c.clone();
        }
        assert!(Instant::now() < deadline, "no capture was triggered");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert!(
        triggered["requested_by"].as_str().unwrap().starts_with("trigger: pool_utilisation 75%"),
        "{triggered}"
    );
    assert_eq!(hub.capture_finished(&admin, triggered["id"].as_i64().unwrap()).await["state"], "done");

    // The local panels read the renamed counter and gauges.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let body = [("name", "svc"), ("range[preset]", "15m")];
    let res = admin.post(hub.url(ServicePanels::PATH)).form(&body).send().await.unwrap();
    let panels: serde_json::Value = res.json().await.unwrap();
    let has_data =
        |id: &str| panels.as_array().unwrap().iter().find(|p| p["id"] == id).map(|p| p["has_data"].clone());
    assert_eq!(has_data("request_rate"), Some(serde_json::Value::Bool(true)), "{panels}");
    assert_eq!(has_data("pool_utilisation"), Some(serde_json::Value::Bool(true)), "{panels}");

    // And conformance asks for the renamed families, not the shipped ones.
    let conformance = hub.get_json(&admin, "/api/v1/services/svc/conformance").await;
    let present =
        conformance["rules"].as_array().unwrap().iter().find(|r| r["rule"] == "family_present").unwrap();
    let missing = present["examples"].to_string();
    assert!(
        !missing.contains("http_server_requests_total") && !missing.contains("executor_busy_threads"),
        "{present}"
    );
    hub.stop().await;
}
