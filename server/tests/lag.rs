//! Read-model lag measured through a real projector: on SQLite (the hub's own fleet), and on
//! PostgreSQL → MariaDB with the read side behind a TCP proxy the test cuts. Known delays
//! injected in the projector show in the median; a pause is a breach within a second.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{Engine, FleetHub, TestHub, TestStore};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

const READ_MODEL: &str = common::DEMO_READ_MODEL;

/// One fleet at a time: a lag measured to the millisecond must not share two cores with
/// another fleet's processes.
static ONE_FLEET: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis()
        .try_into()
        .unwrap()
}

async fn detail(hub: &TestHub, client: &reqwest::Client, query: &str) -> Value {
    hub.get_json(client, &format!("/api/v1/lag/orders?{query}")).await
}

/// Polls the read model until `ok` holds, or fails after `within`.
async fn until(
    hub: &TestHub,
    client: &reqwest::Client,
    within: Duration,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let v = detail(hub, client, "window=5m").await;
        if ok(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "not within {within:?}: {v}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The median of the probes over the next `seconds`.
async fn median_over(hub: &TestHub, client: &reqwest::Client, seconds: u64) -> f64 {
    let since = now_ms();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let v = detail(hub, client, &format!("window=5m&since={since}")).await;
    assert!(v["probes"].as_u64().unwrap() >= seconds * 5, "{v}");
    v["p50_ms"].as_f64().unwrap()
}

async fn fault(hub: &TestHub, client: &reqwest::Client, body: Value) -> u16 {
    client.post(hub.url("/api/v1/demo/faults")).json(&body).send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_probe_measures_a_real_projector_on_sqlite_known_delays_and_a_pause() {
    let _alone = ONE_FLEET.lock().await;
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, viewer, .. } =
        FleetHub::start_with(common::fleet_with(&store, READ_MODEL)).await;

    // Every viewer reads the lag; it comes through the real projector within milliseconds.
    let v = until(&hub, &viewer, Duration::from_secs(20), |v| {
        v["state"] == "ok" && v["probes"].as_u64() > Some(20)
    })
    .await;
    assert!(v["p50_ms"].as_f64().unwrap() < 100.0, "{v}");
    assert_eq!(v["slo_ms"], 10.0);
    assert!(v["positions"]["source"].as_i64().unwrap() > 0, "{v}");
    let list = hub.get_json(&viewer, "/api/v1/lag").await;
    assert_eq!(list[0]["read_model"], "orders");
    for field in ["state", "current_ms", "p50_ms", "p95_ms", "p99_ms", "slo_ms", "compliance", "budget_left"]
    {
        assert!(list[0].get(field).is_some(), "{field}: {list}");
    }

    // Faults through the API: admins only, audited.
    let slow = json!({ "instance": "projector-1", "fault": "slowdown", "ms": 20 });
    assert_eq!(fault(&hub, &viewer, slow.clone()).await, 403);
    let base = median_over(&hub, &admin, 8).await;
    assert_eq!(fault(&hub, &admin, slow).await, 204);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let slowed = median_over(&hub, &admin, 8).await;
    assert!((slowed - base - 20.0).abs() <= 2.0, "a 20 ms delay moved the median from {base} to {slowed}");
    assert_eq!(fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "clear" })).await, 204);
    let audit = hub.get_json(&admin, "/api/v1/audit?action=demo.fault").await;
    assert!(
        audit.as_array().unwrap().iter().any(|e| e["actor"] == "view1" && e["outcome"] == "denied"),
        "{audit}"
    );
    assert!(
        audit.as_array().unwrap().iter().any(|e| e["actor"] == "admin" && e["outcome"] == "ok"),
        "{audit}"
    );

    // A pause: a breach within a second of crossing the line, and the heartbeat's age grows.
    until(&hub, &admin, Duration::from_secs(10), |v| v["state"] == "ok").await;
    assert_eq!(fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "pause" })).await, 204);
    let paused = Instant::now();
    let v = until(&hub, &admin, Duration::from_secs(3), |v| v["state"] == "breach").await;
    assert!(paused.elapsed() < Duration::from_millis(1500), "the breach showed after {:?}", paused.elapsed());
    assert_eq!(v["outstanding"], true, "{v}");
    tokio::time::sleep(Duration::from_millis(800)).await;
    let later = detail(&hub, &admin, "window=5m").await;
    assert!(later["current_ms"].is_number() && v["current_ms"].is_number(), "{v}\n{later}");
    assert!(later["current_ms"].as_f64().unwrap() > v["current_ms"].as_f64().unwrap() + 500.0, "{later}");
    assert_eq!(fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "clear" })).await, 204);
    let v = until(&hub, &admin, Duration::from_secs(10), |v| v["state"] == "ok").await;
    let breach =
        v["breaches"].as_array().unwrap().iter().find(|b| b["worst_ms"].as_f64() > Some(800.0)).cloned();
    let breach = breach.unwrap_or_else(|| panic!("the pause is kept as a breach: {v}"));
    assert!(breach["end_ms"].as_i64() > breach["start_ms"].as_i64(), "{breach}");
    hub.stop().await;
}

/// The demo fleet on server databases, as its own process (the hub runs without one).
struct Fleet {
    child: Child,
}

impl Fleet {
    fn start(dir: &std::path::Path, source: &str, read: &str) -> Fleet {
        let mut fleet = Fleet {
            child: Command::new(common::demo_binary())
                .args(["fleet", "--data-dir"])
                .arg(dir)
                .env("SWITCHBOARD_DEMO_TOKEN", "lag-test-token")
                .env("DEMO_SOURCE_URL", source)
                .env("DEMO_READ_URL", read)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .spawn()
                .unwrap(),
        };
        // Dropping `fleet` kills and reaps the process on every path, the panic's included.
        let mut lines = BufReader::new(fleet.child.stdout.take().unwrap()).lines();
        while let Some(Ok(line)) = lines.next() {
            if line.starts_with("SWITCHBOARD_FLEET ") {
                std::thread::spawn(move || for _ in lines {});
                return fleet;
            }
        }
        panic!("the fleet exited before it was ready");
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn postgres_to_mariadb_and_an_unreachable_read_side_is_unknown_until_it_is_back() {
    let _alone = ONE_FLEET.lock().await;
    let Some(dbs) = common::ServerDbs::create().await else { return };
    let (source, read, my_root) = (dbs.postgres_url(), dbs.mariadb_url(), dbs.mariadb_root());
    let name = dbs.name.clone();
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let fleet = {
        let (dir, source, read) = (store.data_dir().join("fleet"), source.clone(), read.clone());
        tokio::task::spawn_blocking(move || Fleet::start(&dir, &source, &read)).await.unwrap()
    };

    // The hub reads MariaDB through a proxy the test can cut.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let target = my_root.rsplit_once('@').map_or("127.0.0.1:3306", |(_, hp)| hp).to_string();
    let cut = CancellationToken::new();
    tokio::spawn(common::proxy(listener, target.clone(), cut.clone()));
    let proxied = format!("{}@127.0.0.1:{port}/{name}", my_root.rsplit_once('@').unwrap().0);
    let config = format!(
        "[[services]]\nname = \"projector\"\nteam = \"data\"\n\n[[connections]]\nname = \"orders-source\"\nurl = \"{source}\"\n\n\
         [[connections]]\nname = \"orders-read\"\nurl = \"{proxied}\"\n{READ_MODEL}"
    );
    let path = store.data_dir().join("hub.toml");
    std::fs::write(&path, config).unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(path);
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;

    let v = until(&hub, &admin, Duration::from_secs(30), |v| {
        v["state"] == "ok" && v["probes"].as_u64() > Some(10)
    })
    .await;
    assert!(v["read_url"].as_str().unwrap().starts_with("mysql://"), "{v}");
    assert!(v["positions"]["behind"].as_i64().is_some(), "{v}");

    cut.cancel();
    let v = until(&hub, &admin, Duration::from_secs(15), |v| v["state"] == "unknown").await;
    assert!(v["current_ms"].is_null(), "unknown is never a number: {v}");
    assert!(v["reason"].as_str().unwrap().contains("orders-read"), "{v}");

    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let restored = CancellationToken::new();
    tokio::spawn(common::proxy(listener, target, restored.clone()));
    until(&hub, &admin, Duration::from_secs(30), |v| v["state"] == "ok").await;
    hub.stop().await;
    restored.cancel();
    drop(fleet);
    dbs.drop_all().await;
}

/// The other way round, through the hub's own settings: its demo fleet on MariaDB (source)
/// and PostgreSQL (read model), and the shipped config's connections follow them.
#[tokio::test(flavor = "multi_thread")]
async fn the_shipped_config_follows_the_fleet_onto_mariadb_and_postgres() {
    let _alone = ONE_FLEET.lock().await;
    let Some(dbs) = common::ServerDbs::create().await else { return };
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let mut settings = common::settings(&store);
    settings.demo = "1".into();
    settings.demo_source_url = Some(dbs.mariadb_url());
    settings.demo_read_url = Some(dbs.postgres_url());
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;
    let v = until(&hub, &admin, Duration::from_secs(40), |v| {
        v["state"] == "ok" && v["probes"].as_u64() > Some(10)
    })
    .await;
    assert!(v["source_url"].as_str().unwrap().starts_with("mysql://"), "{v}");
    assert!(v["read_url"].as_str().unwrap().starts_with("postgres://"), "{v}");
    assert!(v["positions"]["source"].as_i64().unwrap() > 0, "{v}");
    hub.stop().await;
    dbs.drop_all().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_table_and_a_bad_positions_query_are_states_on_the_page() {
    let _alone = ONE_FLEET.lock().await;
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let model = READ_MODEL
        .replace("write = \"heartbeat\"", "write = \"no_such_table\"")
        .replace("SELECT max(seq) FROM outbox", "SELECT max(seq) FROM no_outbox");
    let FleetHub { hub, viewer, .. } = FleetHub::start_with(common::fleet_with(&store, &model)).await;
    let v = until(&hub, &viewer, Duration::from_secs(20), |v| {
        v["reason"].as_str().is_some_and(|r| r.contains("no_such_table")) && v["positions_error"].is_string()
    })
    .await;
    assert_eq!(v["state"], "unknown");
    assert!(v["positions_error"].as_str().unwrap().contains("no_outbox"), "{v}");
    let res = viewer.get(hub.url("/api/v1/lag/nope")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let res = viewer.get(hub.url("/api/v1/lag/orders?window=2w")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    hub.stop().await;
}

#[tokio::test]
async fn without_a_fleet_the_demo_faults_api_is_not_found() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let hub = TestHub::start(&store).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;
    let res = fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "pause" })).await;
    assert_eq!(res, 404);
    hub.stop().await;
}

/// Probes and breaches are kept in the store: a restarted hub shows the last run's, and a
/// breach it left open ends where its last probe was.
async fn the_history_survives_a_restart(store: &TestStore) {
    let _alone = ONE_FLEET.lock().await;
    let settings = common::fleet_with(store, READ_MODEL);
    let FleetHub { hub, admin, .. } = FleetHub::start_with(settings.clone()).await;
    until(&hub, &admin, Duration::from_secs(20), |v| v["state"] == "ok" && v["probes"].as_u64() > Some(20))
        .await;
    assert_eq!(fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "pause" })).await, 204);
    until(&hub, &admin, Duration::from_secs(5), |v| v["state"] == "breach").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let before = detail(&hub, &admin, "window=5m").await;
    hub.stop().await;

    // Restarted without the fleet: no new probe can complete and move the figures.
    let mut settings = settings;
    settings.demo = "0".into();
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;
    let after = detail(&hub, &admin, "window=5m").await;
    let probes = |v: &Value| v["probes"].as_u64().unwrap();
    assert!(
        probes(&after) >= probes(&before),
        "restored {} probes of {}: {after}",
        probes(&after),
        probes(&before)
    );
    let median = |v: &Value| v["p50_ms"].as_f64().unwrap();
    assert!((median(&after) - median(&before)).abs() < 0.001, "the same probes, the same median: {after}");
    // The breach the stopped hub left open ended, its worst lag kept (the restarted hub may
    // open one of its own, its heartbeats going nowhere).
    let kept =
        after["breaches"].as_array().unwrap().iter().find(|b| b["worst_ms"].as_f64().unwrap() > 1000.0);
    let breach = kept.unwrap_or_else(|| panic!("its worst lag is kept: {after}"));
    assert!(breach["end_ms"].as_i64().is_some(), "the breach of the stopped hub ended: {after}");
    hub.stop().await;
}
both_engines!(the_history_survives_a_restart, the_history_survives_a_restart);

/// A password written in a connection URL is masked on the read model's page, the Config
/// page, a reload's diff and the audit; the read model is a state, not an error page.
#[tokio::test]
async fn a_password_in_a_connection_url_never_reaches_the_browser() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let config = |password: &str| {
        format!(
            "[[services]]\nname = \"projector\"\nteam = \"data\"\n\n\
             [[connections]]\nname = \"orders-source\"\nurl = \"postgres://app:{password}@127.0.0.1:1/orders\"\n\n\
             [[connections]]\nname = \"orders-read\"\nurl = \"mysql://app:{password}@127.0.0.1:1/orders\"\n{READ_MODEL}"
        )
    };
    let path = store.data_dir().join("secret.toml");
    std::fs::write(&path, config("s3cret-one")).unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(path.clone());
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;

    let v =
        until(&hub, &admin, Duration::from_secs(10), |v| v["state"] == "unknown" && v["reason"].is_string())
            .await;
    assert_eq!(v["source_url"], "postgres://app:***@127.0.0.1:1/orders", "{v}");
    assert!(!v.to_string().contains("s3cret"), "{v}");
    let res = hub.call::<app::api::catalog::RunningConfig>(&admin, &[]).await;
    let page = res.text().await.unwrap();
    assert!(page.contains("app:***@127.0.0.1:1") && !page.contains("s3cret"), "{page}");

    std::fs::write(&path, config("s3cret-two")).unwrap();
    let res = hub.call::<app::api::catalog::ReloadConfig>(&admin, &[]).await;
    let outcome = res.text().await.unwrap();
    assert!(outcome.contains("\"applied\":true") && !outcome.contains("s3cret"), "{outcome}");
    let audit = hub.get_json(&admin, "/api/v1/audit").await;
    assert!(!audit.to_string().contains("s3cret"), "{audit}");
    hub.stop().await;
}
