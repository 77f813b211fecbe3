//! The panels read from a real Prometheus (Debian's package) that scrapes the demo fleet,
//! when the config names it as the remote history backend. Under CI=true Prometheus must
//! be installed (`cargo xtask test` installs it); elsewhere the test says it skipped.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::catalog::ReloadConfig;
use app::api::metrics::ServicePanels;
use common::{Engine, TestHub, TestStore, ADMIN_PASSWORD};
use leptos::server_fn::ServerFn;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Prometheus(Child);

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn prometheus_binary() -> Option<String> {
    let bin = std::env::var("SWITCHBOARD_TEST_PROMETHEUS").unwrap_or_else(|_| "/usr/bin/prometheus".into());
    if std::path::Path::new(&bin).exists() {
        return Some(bin);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "Prometheus ({bin}) is required under CI=true; cargo xtask test installs Debian's package");
    eprintln!("SKIPPED: no Prometheus at {bin}");
    None
}

/// A Prometheus config that scrapes every instance every second, as job=service and
/// instance=the instance's name.
fn scrape_config(services: &serde_json::Value) -> String {
    let mut out =
        String::from("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n");
    for s in services.as_array().unwrap() {
        out.push_str(&format!("  - job_name: \"{}\"\n    static_configs:\n", s["name"].as_str().unwrap()));
        for i in s["instances"].as_array().unwrap() {
            let host = i["base_url"].as_str().unwrap().trim_start_matches("http://");
            out.push_str(&format!(
                "      - targets: [\"{host}\"]\n        labels:\n          instance: \"{}\"\n",
                i["name"].as_str().unwrap()
            ));
        }
    }
    out
}

async fn panels(hub: &TestHub, client: &reqwest::Client) -> reqwest::Response {
    let body = [("name", "orders-api"), ("range[preset]", "15m")];
    client.post(hub.url(ServicePanels::PATH)).form(&body).send().await.unwrap()
}

#[tokio::test]
async fn panels_read_from_a_real_prometheus() {
    let Some(bin) = prometheus_binary() else { return };
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let (settings, config_path) = common::fleet_settings(&store);
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let services: serde_json::Value =
        admin.get(hub.url("/api/v1/services")).send().await.unwrap().json().await.unwrap();

    let dir = store.data_dir().join("prometheus");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("prometheus.yml"), scrape_config(&services)).unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let prometheus = Prometheus(
        Command::new(bin)
            .arg(format!("--config.file={}", dir.join("prometheus.yml").display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let prom = format!("http://127.0.0.1:{port}");
    let plain = reqwest::Client::new();
    // Ready, and with a few scrapes of every target (rates need two).
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let q = plain
            .get(format!("{prom}/api/v1/query"))
            .query(&[("query", "count(count_over_time(up{job=\"orders-api\"}[1m]) >= 4)")])
            .send()
            .await;
        let ready = match q {
            Ok(r) => {
                r.json::<serde_json::Value>().await.is_ok_and(|v| v["data"]["result"][0]["value"][1] == "2")
            }
            Err(_) => false,
        };
        if ready {
            break;
        }
        assert!(Instant::now() < deadline, "Prometheus did not scrape the fleet within 60 s");
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let with_remote = format!("[metrics.remote]\nurl = \"{prom}\"\n{}", common::FLEET_CONFIG);
    std::fs::write(&config_path, with_remote).unwrap();
    let outcome: serde_json::Value = hub.call::<ReloadConfig>(&admin, &[]).await.json().await.unwrap();
    assert_eq!(outcome["applied"], true, "{outcome}");

    let list: serde_json::Value = panels(&hub, &admin).await.json().await.unwrap();
    let rate = &list[0];
    assert_eq!(rate["id"], "request_rate");
    assert_eq!(rate["has_data"], true, "request rate from Prometheus: {list}");
    let labels = rate["chart"]["series"].to_string();
    assert!(
        labels.contains("orders-api-1") && labels.contains("orders-api-2"),
        "a line per instance: {labels}"
    );
    let pool = list.as_array().unwrap().iter().find(|p| p["id"] == "pool_utilisation").unwrap();
    assert_eq!(pool["has_data"], true, "{pool}");

    drop(prometheus);
    let res = panels(&hub, &admin).await;
    assert_eq!(res.status(), 503, "a dead backend is 'unavailable'");
    let body: serde_json::Value = res.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains(&format!("the metrics backend at {prom} did not answer")),
        "{body}"
    );
    hub.stop().await;
}
