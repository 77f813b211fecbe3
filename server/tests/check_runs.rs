//! A residual run is a job that survives what happens to it: 300,000 rows of PostgreSQL
//! against MariaDB (behind a TCP proxy the test cuts) in three chunks, read at 100,000 rows
//! a second. The hub stops after the first chunk; the run resumes from the chunks it had
//! saved, waits for the cut database to come back, and ends with the same result — each
//! row compared once.

mod common;

use common::{Engine, TestHub, TestStore};
use serde_json::{json, Value};
use sqlx::Connection;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

async fn until(
    hub: &TestHub,
    client: &reqwest::Client,
    url: &str,
    within: Duration,
    ok: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let v = hub.get_json(client, url).await;
        if ok(&v) {
            return v;
        }
        assert_ne!(v["state"], "failed", "{v}");
        assert!(Instant::now() < deadline, "not within {within:?}: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_resumes_after_a_restart_and_waits_for_a_cut_database() {
    let Some(mut dbs) = common::ServerDbs::create().await else { return };
    let schema = dbs.name.clone();
    for sql in [
        format!("CREATE TABLE {schema}.big (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)"),
        format!("INSERT INTO {schema}.big SELECT g, g * 7 FROM generate_series(1, 300000) g"),
    ] {
        sqlx::query(&sql).execute(&mut dbs.pg).await.unwrap();
    }
    let mut my = sqlx::MySqlConnection::connect(&dbs.mariadb_url()).await.unwrap();
    for sql in [
        "CREATE TABLE big (id BIGINT PRIMARY KEY, v BIGINT NOT NULL)",
        "INSERT INTO big SELECT seq, seq * 7 FROM seq_1_to_300000",
        "UPDATE big SET v = v + 1 WHERE id IN (5, 150000, 299999)",
        "DELETE FROM big WHERE id = 200000",
    ] {
        sqlx::query(sql).execute(&mut my).await.unwrap();
    }

    // MariaDB through a proxy the test can cut.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let root = dbs.mariadb_root();
    let (credentials, target) = root.rsplit_once('@').unwrap();
    let target = target.to_string();
    let cut = CancellationToken::new();
    tokio::spawn(common::proxy(listener, target.clone(), cut.clone()));
    let config = format!(
        "[[connections]]\nname = \"pg\"\nurl = \"{}\"\n[[connections]]\nname = \"my\"\nurl = \"{credentials}@127.0.0.1:{port}/{}\"\n\
         [[checks]]\nname = \"big\"\nsource = {{ connection = \"pg\", table = \"{schema}.big\" }}\ntarget = {{ connection = \"my\", table = \"big\" }}\n\
         key = [\"id\"]\nrate = {{ rows_per_s = 100000, queries = 1 }}\n",
        dbs.postgres_url(),
        dbs.name
    );
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let path = store.data_dir().join("hub.toml");
    std::fs::write(&path, config).unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(path);

    let hub = TestHub::start_with(settings.clone()).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;
    let res = admin
        .post(hub.url("/api/v1/checks/big/runs"))
        .json(&json!({ "mode": "residual" }))
        .send()
        .await
        .unwrap();
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let url = format!("/api/v1/checks/big/runs/{id}");
    let first =
        until(&hub, &admin, &url, Duration::from_secs(30), |v| v["chunks_done"].as_i64() >= Some(1)).await;
    assert_eq!(first["chunks_total"], 3, "{first}");
    assert!(first["chunks_done"].as_i64() < Some(3), "the rate holds the run back: {first}");
    hub.stop().await;

    // Back with the read side cut: the run resumes and waits for it.
    cut.cancel();
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;
    let resumed = until(&hub, &admin, &url, Duration::from_secs(10), |v| v["state"] == "running").await;
    let saved = resumed["chunks_done"].as_i64().unwrap();
    assert!(saved >= 1, "the chunks done before the restart are kept: {resumed}");
    tokio::time::sleep(Duration::from_secs(3)).await;
    let waiting = hub.get_json(&admin, &url).await;
    assert_eq!(
        (waiting["state"].as_str(), waiting["chunks_done"].as_i64()),
        (Some("running"), Some(saved)),
        "{waiting}"
    );
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let restored = CancellationToken::new();
    tokio::spawn(common::proxy(listener, target, restored.clone()));
    let back = Instant::now();
    let done = until(&hub, &admin, &url, Duration::from_secs(60), |v| v["state"] != "running").await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(done["counts"], json!({ "missing": 1, "extra": 0, "changed": 3 }), "{done}");
    assert_eq!(done["rows_compared"], 300_000, "each row compared once: {done}");
    let rest = 3 - saved;
    assert!(
        back.elapsed() >= Duration::from_millis(900 * u64::try_from(rest).unwrap()),
        "{rest} chunks at 100,000 rows/s took {:?}",
        back.elapsed()
    );
    let listed = hub.get_json(&admin, &format!("{url}/differences")).await;
    let keys: Vec<&str> =
        listed.as_array().unwrap().iter().map(|d| d["key"]["id"].as_str().unwrap()).collect();
    assert_eq!(keys, ["5", "150000", "200000", "299999"], "{listed}");
    hub.stop().await;
    restored.cancel();
    dbs.drop_all().await;
}

/// Two hubs on one PostgreSQL store share the queue: every run is run once, by one of them
/// (SKIP LOCKED), and every row of it compared once.
#[tokio::test(flavor = "multi_thread")]
async fn two_hubs_on_one_store_run_each_run_once() {
    let Some(store) = TestStore::new(Engine::Postgres).await else { return };
    let dir = tempfile::tempdir().unwrap();
    for (file, extra) in [("s.db", ""), ("t.db", ", (999999, 1)")] {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join(file).display());
        let mut c = sqlx::SqliteConnection::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)").execute(&mut c).await.unwrap();
        sqlx::query("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) INSERT INTO t SELECT i, i FROM n")
        .execute(&mut c)
        .await
        .unwrap();
        if !extra.is_empty() {
            sqlx::query(&format!("INSERT INTO t VALUES {}", &extra[2..])).execute(&mut c).await.unwrap();
        }
    }
    let mut config = format!(
        "[[connections]]\nname = \"s\"\nurl = \"sqlite://{0}/s.db\"\n[[connections]]\nname = \"t\"\nurl = \"sqlite://{0}/t.db\"\n",
        dir.path().display()
    );
    for c in 0..4 {
        config.push_str(&format!(
            "[[checks]]\nname = \"c{c}\"\nsource = {{ connection = \"s\", table = \"t\" }}\ntarget = {{ connection = \"t\", table = \"t\" }}\n\
             key = [\"id\"]\nrate = {{ rows_per_s = 20000, queries = 1 }}\n"
        ));
    }
    let path = store.data_dir().join("hub.toml");
    std::fs::write(&path, config).unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(path.clone());
    let one = TestHub::start_with(settings.clone()).await;
    // The second hub: its own data directory (its own hub id), the same store.
    let other_dir = tempfile::tempdir().unwrap();
    settings.data_dir = other_dir.path().to_path_buf();
    let two = TestHub::start_with(settings).await;
    let admin = one.session("admin", common::ADMIN_PASSWORD).await;

    // Four runs at once: each hub takes two at most; all four are done, each once.
    let mut ids = Vec::new();
    for c in 0..4 {
        let res =
            admin.post(one.url(&format!("/api/v1/checks/c{c}/runs"))).json(&json!({})).send().await.unwrap();
        ids.push((c, res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()));
    }
    for (c, id) in ids {
        let url = format!("/api/v1/checks/c{c}/runs/{id}");
        let v = until(&one, &admin, &url, Duration::from_secs(60), |v| v["state"] == "done").await;
        assert_eq!(
            (v["rows_compared"].as_i64(), v["counts"]["extra"].as_i64()),
            (Some(20001), Some(1)),
            "{v}"
        );
    }
    one.stop().await;
    two.stop().await;
}
