//! The hub's process: wires config, store, services, router and jobs, and shuts them down
//! in order. `main.rs` only parses flags and calls `serve`.

mod api_alerts;
mod api_audit;
pub mod api_captures;
mod api_changes;
mod api_checks;
mod api_events;
mod api_incidents;
mod api_lag;
mod api_traces;
pub mod api_v1;
pub mod cli;
pub mod config;
mod demo_fleet;
mod error;
pub mod http_metrics;
mod identify;
mod jobs;
pub mod router;
mod same_origin;
mod state;
pub mod telemetry;
mod upload_form;

use backend::catalog::DemoControls;
use backend::config::ConfigError;
use backend::store::{Store, StoreError};
use backend::{Hub, HubSetup};
use config::Settings;
use leptos::config::Env;
use leptos::prelude::LeptosOptions;
use state::AppState;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("could not create the data directory {0}: {1}")]
    DataDir(String, std::io::Error),
    #[error("could not listen on {0}: {1}")]
    Listen(SocketAddr, std::io::Error),
    #[error("could not create the initial admin: {0}")]
    Admin(backend::BackendError),
    #[error("could not read or write the hub's id {0}: {1}")]
    HubId(String, std::io::Error),
}

/// This hub's id among hubs sharing a store: kept in the data directory, so that the hub
/// knows its own unfinished captures again after a restart.
fn hub_id(data_dir: &std::path::Path) -> Result<String, StartError> {
    let path = data_dir.join("hub-id");
    let fail = |e| StartError::HubId(path.display().to_string(), e);
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => Ok(id.trim().to_string()),
        // Missing, or left empty by a crash while it was written: a new id.
        Ok(_) => new_hub_id(&path).map_err(fail),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => new_hub_id(&path).map_err(fail),
        Err(e) => Err(fail(e)),
    }
}

fn new_hub_id(path: &std::path::Path) -> Result<String, std::io::Error> {
    let id = format!("hub-{:016x}", rand::random::<u64>());
    std::fs::write(path, &id)?;
    Ok(id)
}

/// A hub that is serving; cancel `shutdown` and await `finished` to stop it.
pub struct RunningHub {
    pub addr: SocketAddr,
    pub shutdown: CancellationToken,
    pub finished: JoinHandle<()>,
    pub generated_admin_password: Option<String>,
}

/// The hub's services on its store and config, before anything serves or runs: the server
/// starts from it, the command line works with it. `role` tells the command line's hub id
/// from the server's.
pub async fn open_hub(settings: &Settings, role: Option<&str>) -> Result<(Hub, Store), StartError> {
    let config_file = settings.config_file();
    let (config, config_text) = config_file.load()?;
    let metric_catalog = backend::metrics::catalog::load(&config, &config_file)?;
    std::fs::create_dir_all(&settings.data_dir)
        .map_err(|e| StartError::DataDir(settings.data_dir.display().to_string(), e))?;
    let store = Store::open(&settings.database_url(), Duration::from_secs(5)).await?;
    let id = hub_id(&settings.data_dir)?;
    let setup = HubSetup {
        config_file,
        config,
        config_text,
        metric_catalog,
        demo_enabled: settings.demo_enabled(),
        artifacts_dir: settings.data_dir.join("artifacts"),
        hub_id: role.map_or_else(|| id.clone(), |r| format!("{id}-{r}-{}", std::process::id())),
        connections: backend::connections::Connections {
            data_dir: settings.data_dir.clone(),
            vars: settings.connection_vars(),
        },
    };
    Ok((Hub::new(store.clone(), setup), store))
}

pub async fn start(settings: &Settings) -> Result<RunningHub, StartError> {
    let (hub, store) = open_hub(settings, None).await?;
    let config = hub.catalog.config();
    let secure_cookies = config.secure_cookies();
    let session_idle = Duration::from_secs(u64::from(config.hub.session_idle_minutes) * 60);
    match hub.captures.recover().await {
        Ok(n) if n > 0 => {
            tracing::warn!(captures = n, "captures interrupted by the last shutdown were marked failed")
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not check for interrupted captures"),
    }
    match backend::metrics::history::restore(hub.metrics.history(), &store, backend::now_ms()).await {
        Ok(n) => tracing::info!(series = n, "metric history restored"),
        Err(e) => tracing::warn!(error = %e, "could not restore metric history; starting empty"),
    }
    let generated_admin_password =
        hub.accounts.ensure_admin(settings.admin_password.clone()).await.map_err(StartError::Admin)?;
    let listener =
        TcpListener::bind(settings.addr).await.map_err(|e| StartError::Listen(settings.addr, e))?;
    let addr = listener.local_addr().map_err(|e| StartError::Listen(settings.addr, e))?;
    let state = AppState {
        leptos: leptos_options(addr, &settings.site_root),
        hub: hub.clone(),
        metrics: Default::default(),
    };
    let options = router::RouterOptions { secure_cookies, session_idle };
    let app = router::build(state, &options);

    let fleet = if settings.demo_enabled() { start_demo(settings, &hub, addr).await } else { None };
    let shutdown = CancellationToken::new();
    jobs::start(&hub);
    let stop = shutdown.clone();
    let runner = hub.runner.clone();
    let finished = tokio::spawn(async move {
        let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
            .with_graceful_shutdown(async move { stop.cancelled().await })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "the server stopped with an error");
        }
        // Every job stops (running captures fail with the reason), the history is saved.
        runner.shut_down().await;
        if let Some(fleet) = fleet {
            fleet.stop().await;
        }
        store.close().await;
        tracing::info!("stopped");
    });
    Ok(RunningHub { addr, shutdown, finished, generated_admin_password })
}

/// Starts the demo fleet and points the catalog at it; without it the hub runs on and the
/// demo instances show why they are down.
async fn start_demo(settings: &Settings, hub: &Hub, addr: SocketAddr) -> Option<demo_fleet::DemoFleet> {
    let binary = demo_fleet::binary(settings.demo_bin.as_deref());
    let databases = demo_fleet::FleetDatabases {
        source_url: settings.demo_source_url.as_deref(),
        read_url: settings.demo_read_url.as_deref(),
    };
    // Every demo service sends its spans (and the HTTP ones their request outcomes) to this
    // hub, each with a token bound to it.
    let mut tokens = Vec::new();
    for service in demo_fleet::SERVICES {
        match hub.accounts.demo_service_token(service).await {
            Ok(token) => tokens.push((service.to_string(), token)),
            Err(e) => {
                tracing::warn!(service, error = %e, "no token for a demo service; it will not send spans or events")
            }
        }
    }
    let telemetry = demo_fleet::FleetTelemetry { hub_url: format!("http://{addr}"), tokens };
    match demo_fleet::launch(&binary, &settings.data_dir.join("demo"), &databases, &telemetry).await {
        Ok(fleet) => {
            tracing::info!(instances = fleet.manifest.instances.len(), "demo fleet started");
            let controls =
                DemoControls::new(fleet.manifest.control_url.clone(), fleet.token.clone(), hub.audit.clone())
                    .recording_changes(hub.changes.log().clone(), &fleet.manifest);
            let _ = hub.demo.set(controls);
            hub.catalog.set_fleet(fleet.manifest.clone());
            Some(fleet)
        }
        Err(e) => {
            tracing::error!(error = %e, "the demo fleet did not start; the hub runs without it");
            None
        }
    }
}

fn leptos_options(addr: SocketAddr, site_root: &std::path::Path) -> LeptosOptions {
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("PROD" | "prod" | "production") => Env::PROD,
        _ => Env::DEV,
    };
    LeptosOptions::builder()
        .output_name("switchboard")
        .site_root(site_root.display().to_string())
        .site_pkg_dir(std::env::var("LEPTOS_SITE_PKG_DIR").unwrap_or_else(|_| "pkg".into()))
        .site_addr(addr)
        .env(env)
        .build()
}

/// Serves until SIGTERM or Ctrl-C, then stops accepting, finishes in-flight requests,
/// cancels the jobs and closes the store.
pub async fn serve(settings: Settings) -> Result<(), StartError> {
    let hub = start(&settings).await?;
    println!("Switchboard is serving on http://{}", hub.addr);
    match &hub.generated_admin_password {
        Some(pw) => println!("Log in as admin with the generated password: {pw}  (shown once; set SWITCHBOARD_ADMIN_PASSWORD to choose it)"),
        None => println!("Log in with an existing user (the first start created `admin`)."),
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    hub.shutdown.cancel();
    let _ = hub.finished.await;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
