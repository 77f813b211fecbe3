//! `fleet`: starts one OS process per demo instance on free loopback ports, drives traffic
//! at the orders API, stops and restarts instances on request (same port), and takes every
//! instance down with it when its own parent goes away.

use crate::db::Db;
use crate::run::ServiceKind;
use crate::{LISTENING_PREFIX, MANIFEST_PREFIX};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

pub struct FleetArgs {
    pub data_dir: PathBuf,
    pub source_url: Option<String>,
    pub read_url: Option<String>,
    pub token: String,
    pub rate: u32,
    pub traffic_per_second: u32,
}

/// In start order: the BFF last, once the services it calls listen.
const MEMBERS: [(ServiceKind, &str); 6] = [
    (ServiceKind::OrdersApi, "orders-api-1"),
    (ServiceKind::OrdersApi, "orders-api-2"),
    (ServiceKind::OrderWriter, "order-writer-1"),
    (ServiceKind::Projector, "projector-1"),
    (ServiceKind::Quotes, "quotes-1"),
    (ServiceKind::PortfolioBff, "portfolio-bff-1"),
];

/// Tokens bound to each service, for its spans and events: `SWITCHBOARD_SERVICE_TOKENS`
/// is `service=token,…` (from the hub, in the environment).
fn service_tokens() -> std::collections::HashMap<String, String> {
    std::env::var("SWITCHBOARD_SERVICE_TOKENS")
        .unwrap_or_default()
        .split(',')
        .filter_map(|pair| pair.split_once('='))
        .map(|(s, t)| (s.trim().to_string(), t.trim().to_string()))
        .collect()
}

pub(crate) struct Member {
    pub(crate) kind: ServiceKind,
    pub(crate) name: &'static str,
    pub(crate) port: u16,
    pub(crate) process: Option<(Child, ChildStdin)>,
    /// The version it runs; a deploy restarts it with a new one.
    pub(crate) version: String,
}

/// The version every member starts with.
pub(crate) const FIRST_VERSION: &str = "1.0.0";

pub(crate) struct Fleet {
    pub(crate) members: Mutex<Vec<Member>>,
    pub(crate) token: String,
    source_url: String,
    read_url: String,
    rate: u32,
    pub(crate) client: reqwest::Client,
    /// The hub instances send spans and events to, and each service's token for it.
    hub_url: Option<String>,
    service_tokens: std::collections::HashMap<String, String>,
    /// The port each member listens on once started (read without the members' lock, which
    /// `start` runs under).
    ports: std::sync::Mutex<std::collections::BTreeMap<&'static str, (ServiceKind, u16)>>,
    /// What the demo's alert receiver was sent, newest last (`POST /alerts`).
    pub(crate) received: std::sync::Mutex<std::collections::VecDeque<serde_json::Value>>,
}

#[derive(Serialize)]
pub struct ManifestInstance {
    pub service: String,
    pub name: String,
    pub base_url: String,
}

#[derive(Serialize)]
pub struct Manifest {
    pub control_url: String,
    pub instances: Vec<ManifestInstance>,
}

pub async fn fleet(args: FleetArgs) -> Result<(), String> {
    std::fs::create_dir_all(&args.data_dir).map_err(|e| format!("{}: {e}", args.data_dir.display()))?;
    let sqlite = |file: &str| format!("sqlite://{}?mode=rwc", args.data_dir.join(file).display());
    let source_url = args.source_url.clone().unwrap_or_else(|| sqlite("source.db"));
    let read_url = args.read_url.clone().unwrap_or_else(|| sqlite("read.db"));
    let source = Db::connect(&source_url).await.map_err(|e| format!("source database: {e}"))?;
    source.create_source_schema().await.map_err(|e| format!("source schema: {e}"))?;
    let read = Db::connect(&read_url).await.map_err(|e| format!("read-model database: {e}"))?;
    read.create_read_schema().await.map_err(|e| format!("read-model schema: {e}"))?;

    let fleet = Arc::new(Fleet {
        members: Mutex::new(
            MEMBERS
                .iter()
                .map(|(kind, name)| Member {
                    kind: *kind,
                    name,
                    port: 0,
                    process: None,
                    version: FIRST_VERSION.into(),
                })
                .collect(),
        ),
        token: args.token.clone(),
        source_url,
        read_url,
        rate: args.rate,
        client: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| e.to_string())?,
        received: std::sync::Mutex::default(),
        hub_url: std::env::var("SWITCHBOARD_HUB_URL").ok().filter(|u| !u.is_empty()),
        service_tokens: service_tokens(),
        ports: std::sync::Mutex::default(),
    });
    {
        let mut members = fleet.members.lock().await;
        for m in members.iter_mut() {
            fleet.start(m).await?;
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
    let control = listener.local_addr().map_err(|e| e.to_string())?;
    print_manifest(&fleet, control).await;

    let stop = CancellationToken::new();
    tokio::spawn(drive_traffic(fleet.clone(), source, args.traffic_per_second, stop.clone()));
    tokio::spawn(parent_watch(stop.clone()));
    let app = Router::new()
        .route("/fleet", get(crate::control::fleet_view))
        .route("/chaos", post(crate::control::chaos))
        .route("/deploy", post(crate::control::deploy))
        .route("/alerts", post(crate::control::alert_received).get(crate::control::alerts_received))
        .with_state(fleet.clone())
        .into_make_service_with_connect_info::<SocketAddr>();
    let stopped = stop.clone();
    let served =
        axum::serve(listener, app).with_graceful_shutdown(async move { stopped.cancelled().await }).await;
    fleet.stop_all().await;
    served.map_err(|e| e.to_string())
}

async fn parent_watch(stop: CancellationToken) {
    let inner = CancellationToken::new();
    tokio::spawn(crate::run::exit_with_parent_signal(inner.clone()));
    inner.cancelled().await;
    stop.cancel();
}

async fn print_manifest(fleet: &Fleet, control: SocketAddr) {
    let members = fleet.members.lock().await;
    let manifest = Manifest {
        control_url: format!("http://{control}"),
        instances: members
            .iter()
            .map(|m| ManifestInstance {
                service: m.kind.service().to_string(),
                name: m.name.to_string(),
                base_url: format!("http://127.0.0.1:{}", m.port),
            })
            .collect(),
    };
    println!("{MANIFEST_PREFIX}{}", serde_json::to_string(&manifest).unwrap_or_default());
}

impl Fleet {
    /// Starts a member's process (on its old port when it had one) and waits for it to listen.
    pub(crate) async fn start(&self, m: &mut Member) -> Result<(), String> {
        if m.process.is_some() {
            return Ok(());
        }
        let exe = std::env::current_exe().map_err(|e| e.to_string())?;
        let kind = m.kind.service();
        let mut command = Command::new(exe);
        command.env_remove("SWITCHBOARD_SERVICE_TOKENS");
        match (&self.hub_url, self.service_tokens.get(kind)) {
            (Some(hub), Some(token)) => {
                command.env("SWITCHBOARD_HUB_URL", hub).env("SWITCHBOARD_SERVICE_TOKEN", token)
            }
            _ => command.env_remove("SWITCHBOARD_HUB_URL").env_remove("SWITCHBOARD_SERVICE_TOKEN"),
        };
        if m.kind == ServiceKind::PortfolioBff {
            command.env("DEMO_ORDERS_URLS", self.base_urls(ServiceKind::OrdersApi));
            command.env("DEMO_QUOTES_URLS", self.base_urls(ServiceKind::Quotes));
        }
        let mut child = command
            .args(["instance", "--kind", kind, "--name", m.name, "--port", &m.port.to_string()])
            .args(["--rate", &self.rate.to_string()])
            .env("SWITCHBOARD_DEMO_TOKEN", &self.token)
            .env("DEMO_VERSION", &m.version)
            .env("DEMO_SOURCE_URL", &self.source_url)
            .env("DEMO_READ_URL", &self.read_url)
            // jemalloc's sampling heap profiler, read by jemalloc before the first allocation.
            .env("_RJEM_MALLOC_CONF", "prof:true,prof_active:true,lg_prof_sample:17")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("{}: could not start: {e}", m.name))?;
        let stdin = child.stdin.take().ok_or("no stdin")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let announced = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if let Some(port) = line.strip_prefix(LISTENING_PREFIX) {
                    return port.trim().parse::<u16>().ok();
                }
            }
            None
        })
        .await;
        let Ok(Some(port)) = announced else {
            let _ = child.start_kill();
            return Err(format!("{} did not start listening within 30 s", m.name));
        };
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        m.port = port;
        m.process = Some((child, stdin));
        self.ports.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(m.name, (m.kind, port));
        tracing::info!(instance = m.name, port, "started");
        Ok(())
    }

    /// The base URLs of a kind's members, comma-separated (for the BFF's dependencies).
    fn base_urls(&self, kind: ServiceKind) -> String {
        let ports = self.ports.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        ports
            .values()
            .filter(|(k, _)| *k == kind)
            .map(|(_, port)| format!("http://127.0.0.1:{port}"))
            .collect::<Vec<_>>()
            .join(",")
    }

    pub(crate) async fn stop(m: &mut Member) {
        if let Some((mut child, stdin)) = m.process.take() {
            drop(stdin);
            let _ = child.start_kill();
            let _ = child.wait().await;
            tracing::info!(instance = m.name, "stopped");
        }
    }

    async fn stop_all(&self) {
        let mut members = self.members.lock().await;
        for m in members.iter_mut() {
            Self::stop(m).await;
        }
    }
}

/// Steady, varied traffic: two requests in three at the orders API, one at the portfolio BFF
/// (which calls orders-api and quotes), so rates, latencies and errors move.
async fn drive_traffic(fleet: Arc<Fleet>, source: Db, per_second: u32, stop: CancellationToken) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))));
    let mut max_id = 1i64;
    let mut n: u64 = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        n += 1;
        if n % 100 == 1 {
            if let Ok((Some(m),)) = sqlx::query_as::<_, (Option<i64>,)>("SELECT MAX(id) FROM orders")
                .fetch_one(&source.pool)
                .await
            {
                max_id = m.max(1);
            }
        }
        let kind = if n.is_multiple_of(3) { ServiceKind::PortfolioBff } else { ServiceKind::OrdersApi };
        let ports: Vec<u16> = {
            let members = fleet.members.lock().await;
            members.iter().filter(|m| m.kind == kind && m.process.is_some()).map(|m| m.port).collect()
        };
        let Some(port) = ports.get(usize::try_from(n / 3).unwrap_or(0) % ports.len().max(1)).copied() else {
            continue;
        };
        let customer = format!("c{:04}", rand::random::<u16>() % 500);
        let path = if kind == ServiceKind::PortfolioBff {
            format!("/portfolio/{customer}")
        } else if n.is_multiple_of(10) {
            format!("/orders?customer={customer}")
        } else {
            // A few ids past the newest: the read model lags, so some are not there yet.
            format!("/orders/{}", 1 + rand::random::<i64>().rem_euclid(max_id + 5))
        };
        // No traceparent: the generator stands for browsers, which start the traces.
        let req = fleet
            .client
            .get(format!("http://127.0.0.1:{port}{path}"))
            .header("x-user-group", crate::writer::pick_group());
        tokio::spawn(async move {
            let _ = req.send().await;
        });
    }
}
