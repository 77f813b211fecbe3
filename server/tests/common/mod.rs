//! A real hub on 127.0.0.1:0 with a fresh store per test, on SQLite or PostgreSQL.
#![allow(dead_code, reason = "each test binary uses part of the harness")]

use leptos::server_fn::ServerFn;
use reqwest::{Client, Response};
use server::config::Settings;
use server::RunningHub;
use sqlx::Connection;
use std::path::PathBuf;
use tempfile::TempDir;

pub const ADMIN_PASSWORD: &str = "test-admin-password";

/// A rule on orders-api's pushed events: fires at once on a batch with 15 % errors.
pub const EVENTS_RULE: &str = r#"
[[alerts]]
name = "orders-api-event-errors"
services = ["orders-api"]
signal = "error_ratio"
source = "events"
window = "1s"
above = 0.15
"#;

/// The wall clock in unix milliseconds, as the hub reads it.
pub fn now_ms() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A store that outlives one hub, so a test can restart the hub on it.
pub struct TestStore {
    pub url: String,
    dir: TempDir,
    schema: Option<String>,
}

fn postgres_base() -> String {
    std::env::var("SWITCHBOARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

impl TestStore {
    /// A fresh store; None when PostgreSQL is unreachable outside CI (under CI=true that
    /// is a failure, never a skip).
    pub async fn new(engine: Engine) -> Option<TestStore> {
        let dir = tempfile::tempdir().expect("temp dir");
        match engine {
            Engine::Sqlite => {
                let url = format!("sqlite://{}?mode=rwc", dir.path().join("hub.db").display());
                Some(TestStore { url, dir, schema: None })
            }
            Engine::Postgres => {
                let base = postgres_base();
                let mut conn = match sqlx::PgConnection::connect(&base).await {
                    Ok(c) => c,
                    Err(e) => {
                        let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
                        assert!(!ci, "PostgreSQL at {base} is required under CI=true: {e}");
                        eprintln!(
                            "SKIPPED: PostgreSQL at {base} unreachable ({e}); set CI=true to make this fail"
                        );
                        return None;
                    }
                };
                let schema = format!("sbtest_{:016x}", rand::random::<u64>());
                sqlx::query(&format!("CREATE SCHEMA {schema}"))
                    .execute(&mut conn)
                    .await
                    .expect("create schema");
                let sep = if base.contains('?') { '&' } else { '?' };
                let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
                Some(TestStore { url, dir, schema: Some(schema) })
            }
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub async fn drop_schema(&self) {
        if let Some(schema) = &self.schema {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&postgres_base()).await {
                let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&mut conn).await;
            }
        }
    }
}

pub fn settings(store: &TestStore) -> Settings {
    Settings {
        addr: "127.0.0.1:0".parse().expect("addr"),
        data_dir: store.data_dir(),
        database_url: Some(store.url.clone()),
        config: None,
        demo: "0".into(),
        demo_bin: Some(demo_binary()),
        demo_source_url: None,
        demo_read_url: None,
        admin_password: Some(ADMIN_PASSWORD.into()),
        site_root: store.data_dir().join("site"),
        log: "text".into(),
        command: None,
    }
}

/// The demo fleet with a 1 s scrape interval, for tests that watch it change.
pub const FLEET_CONFIG: &str = r#"
[[services]]
name = "orders-api"
team = "orders"
scrape_interval = "1s"
metric_profiles = ["http", "worker_pool"]

[[services.instances]]
name = "orders-api-1"
base_url = "demo://orders-api-1"

[[services.instances]]
name = "orders-api-2"
base_url = "demo://orders-api-2"

[[services]]
name = "order-writer"
team = "orders"
scrape_interval = "1s"
metric_profiles = ["worker_pool"]

[[services.instances]]
name = "order-writer-1"
base_url = "demo://order-writer-1"

[[services]]
name = "projector"
team = "data-platform"
scrape_interval = "1s"
metric_profiles = ["worker_pool", "consumer", "read_model"]

[[services.instances]]
name = "projector-1"
base_url = "demo://projector-1"
"#;

/// The demo fleet's `orders` read model, probed by the hub (for `fleet_with`).
pub const DEMO_READ_MODEL: &str = r#"
[[read_models]]
name = "orders"
service = "projector"
source = "orders-source"
read = "orders-read"
probe = { interval = "100ms", write = "heartbeat", read = "heartbeat_view", id = "hub" }
positions = { source = "SELECT max(seq) FROM outbox", read = "SELECT last_seq FROM projector_state" }
metric = "read_model_lag_seconds"
"#;

/// The hub's demo fleet (its SQLite files) under `FLEET_CONFIG`, its two databases as
/// connections, and `extra` (read models, checks).
pub fn fleet_with(store: &TestStore, extra: &str) -> Settings {
    let (mut settings, path) = fleet_settings(store);
    let config = format!(
        "{FLEET_CONFIG}\n[[connections]]\nname = \"orders-source\"\nurl = \"sqlite://demo/source.db\"\n\n\
         [[connections]]\nname = \"orders-read\"\nurl = \"sqlite://demo/read.db\"\n{extra}"
    );
    let path = path.with_file_name("fleet-with.toml");
    std::fs::write(&path, config).expect("write the fleet config");
    settings.config = Some(path);
    settings
}

/// Settings of a hub with the demo fleet under `FLEET_CONFIG` (written to the store's
/// directory; the path is returned so a test can change the file and reload).
pub fn fleet_settings(store: &TestStore) -> (Settings, PathBuf) {
    let path = store.data_dir().join("fleet.toml");
    std::fs::write(&path, FLEET_CONFIG).expect("write the fleet config");
    let mut settings = settings(store);
    settings.demo = "1".into();
    settings.config = Some(path.clone());
    (settings, path)
}

/// The demo fleet's binary, built by `cargo xtask test` before the tests run.
pub fn demo_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"), PathBuf::from);
    let bin = target.join("debug/switchboard-demo");
    assert!(bin.exists(), "{} is missing: run `cargo build -p demo` (cargo xtask test does)", bin.display());
    bin
}

pub struct TestHub {
    pub running: RunningHub,
    pub base: String,
}

impl TestHub {
    pub async fn start(store: &TestStore) -> TestHub {
        Self::start_with(settings(store)).await
    }

    pub async fn start_with(settings: Settings) -> TestHub {
        if std::env::var_os("RUST_LOG").is_some() {
            server::telemetry::init("text");
        }
        let running = server::start(&settings).await.expect("hub starts");
        let base = format!("http://{}", running.addr);
        TestHub { running, base }
    }

    pub async fn stop(self) {
        self.running.shutdown.cancel();
        self.running.finished.await.expect("hub stops cleanly");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A client with its own cookie jar: one browser.
    pub fn client() -> Client {
        Client::builder().cookie_store(true).build().expect("client")
    }

    pub async fn login(&self, client: &Client, username: &str, password: &str) -> Response {
        client
            .post(self.url("/api/v1/login"))
            .json(&serde_json::json!({ "username": username, "password": password }))
            .send()
            .await
            .expect("login request")
    }

    /// A logged-in client, asserting that the login worked.
    pub async fn session(&self, username: &str, password: &str) -> Client {
        let client = Self::client();
        let res = self.login(&client, username, password).await;
        assert_eq!(res.status(), 200, "login of {username}");
        client
    }

    /// Calls a server function the way the browser's forms do (URL-encoded POST).
    pub async fn call<F: ServerFn>(&self, client: &Client, form: &[(&str, &str)]) -> Response {
        client.post(self.url(F::PATH)).form(form).send().await.expect("server fn request")
    }

    /// Calls a server function that takes JSON, as the browser's scripts do.
    pub async fn call_json<F: ServerFn>(&self, client: &Client, body: &serde_json::Value) -> Response {
        client.post(self.url(F::PATH)).json(body).send().await.expect("server fn request")
    }

    /// GET a JSON document; panics on anything but JSON.
    pub async fn get_json(&self, client: &Client, path: &str) -> serde_json::Value {
        let res = client.get(self.url(path)).send().await.expect("GET");
        res.json().await.expect("a JSON answer")
    }

    /// Polls a capture until it is in one of `states` (or a minute has passed) and returns it.
    pub async fn wait_capture(&self, client: &Client, id: i64, states: &[&str]) -> serde_json::Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let v = self.get_json(client, &format!("/api/v1/captures/{id}")).await;
            if states.iter().any(|s| v["state"] == *s) || std::time::Instant::now() > deadline {
                return v;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
    }

    /// A capture once it is done or failed.
    pub async fn capture_finished(&self, client: &Client, id: i64) -> serde_json::Value {
        self.wait_capture(client, id, &["done", "failed"]).await
    }

    /// A new user with `role`, created by `admin` (password `NAME-password`), logged in.
    pub async fn user_session(&self, admin: &Client, name: &str, role: &str) -> Client {
        let password = format!("{name}-password");
        self.create_user(admin, name, &password, role).await;
        self.session(name, &password).await
    }

    pub async fn create_user(&self, admin: &Client, name: &str, password: &str, role: &str) {
        let res = self
            .call::<app::api::users::CreateUser>(
                admin,
                &[("username", name), ("password", password), ("role", role)],
            )
            .await;
        assert_eq!(res.status(), 200, "create {name}: {}", res.text().await.unwrap_or_default());
    }
}

/// A hub with the demo fleet (FLEET_CONFIG) and a logged-in session for each role that
/// tests act as: `admin`, `dev1` (developer) and `view1` (viewer).
pub struct FleetHub {
    pub hub: TestHub,
    pub admin: Client,
    pub dev: Client,
    pub viewer: Client,
}

impl FleetHub {
    pub async fn start(store: &TestStore) -> FleetHub {
        Self::start_with(fleet_settings(store).0).await
    }

    pub async fn start_with(settings: Settings) -> FleetHub {
        let hub = TestHub::start_with(settings).await;
        let admin = hub.session("admin", ADMIN_PASSWORD).await;
        let dev = hub.user_session(&admin, "dev1", "developer").await;
        let viewer = hub.user_session(&admin, "view1", "viewer").await;
        FleetHub { hub, admin, dev, viewer }
    }

    pub async fn stop(self) {
        self.hub.stop().await;
    }
}

/// The service page's upload form as a browser sends it: (content type, body).
pub fn upload_form(service: &str, kind: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----switchboard-test-boundary";
    let mut body = Vec::new();
    for (name, value) in [("service", service), ("kind", kind)] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"dump.txt\"\r\n\
             Content-Type: application/octet-stream\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Runs an async test body on both engines: `both_engines!(name, body_fn)`.
#[macro_export]
macro_rules! both_engines {
    ($name:ident, $body:path) => {
        mod $name {
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                let store = common::TestStore::new(common::Engine::Sqlite).await.expect("sqlite store");
                $body(&store).await;
            }

            #[tokio::test]
            async fn postgres() {
                let Some(store) = common::TestStore::new(common::Engine::Postgres).await else {
                    return;
                };
                $body(&store).await;
                store.drop_schema().await;
            }
        }
    };
}

/// Forwards connections from `listener` to `target` until `cut` is cancelled, which also
/// drops every open connection: a database "cut" behind it, for tests of outages.
pub async fn proxy(
    listener: tokio::net::TcpListener,
    target: String,
    cut: tokio_util::sync::CancellationToken,
) {
    loop {
        tokio::select! {
            () = cut.cancelled() => return,
            accepted = listener.accept() => {
                let Ok((mut inbound, _)) = accepted else { continue };
                let (target, cut) = (target.clone(), cut.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await else { return };
                    tokio::select! {
                        () = cut.cancelled() => {}
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    }
                });
            }
        }
    }
}

/// A schema of its own on PostgreSQL and a database of its own on MariaDB, for one test;
/// None (the test skipped) when they cannot be reached, outside CI.
pub struct ServerDbs {
    pub pg: sqlx::PgConnection,
    pub my: sqlx::MySqlConnection,
    pg_base: String,
    my_base: String,
    pub name: String,
}

impl ServerDbs {
    pub async fn create() -> Option<ServerDbs> {
        let pg_base = std::env::var("SWITCHBOARD_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
        let my_base = std::env::var("SWITCHBOARD_TEST_MYSQL_URL")
            .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306/test".into());
        let (mut pg, mut my) = match (
            sqlx::PgConnection::connect(&pg_base).await,
            sqlx::MySqlConnection::connect(&my_base).await,
        ) {
            (Ok(pg), Ok(my)) => (pg, my),
            (pg, my) => {
                let why = format!("PostgreSQL: {:?}, MariaDB: {:?}", pg.err(), my.err());
                assert!(!in_ci(), "PostgreSQL and MariaDB are required under CI=true: {why}");
                eprintln!("SKIPPED: {why}");
                return None;
            }
        };
        let name = format!("lag_{:016x}", rand::random::<u64>());
        sqlx::query(&format!("CREATE SCHEMA {name}"))
            .execute(&mut pg)
            .await
            .expect("a schema of the test's own");
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut my)
            .await
            .expect("a database of the test's own");
        Some(ServerDbs { pg, my, pg_base, my_base, name })
    }

    pub fn postgres_url(&self) -> String {
        format!("{}?options=-c%20search_path%3D{}", self.pg_base, self.name)
    }

    /// The MariaDB URL without its database.
    pub fn mariadb_root(&self) -> String {
        self.my_base.rsplit_once('/').map_or(self.my_base.as_str(), |(root, _)| root).to_string()
    }

    pub fn mariadb_url(&self) -> String {
        format!("{}/{}", self.mariadb_root(), self.name)
    }

    pub async fn drop_all(mut self) {
        let _ = sqlx::query(&format!("DROP SCHEMA {} CASCADE", self.name)).execute(&mut self.pg).await;
        let _ = sqlx::query(&format!("DROP DATABASE {}", self.name)).execute(&mut self.my).await;
    }
}

/// Under CI=true a test that cannot reach its databases fails instead of skipping.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}
