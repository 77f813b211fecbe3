//! Runs one instance process: listens, announces its port, serves until its parent goes
//! away (stdin closes) or it is told to stop.

use crate::db::Db;
use crate::instance::{Instance, Shared};
use crate::pool::WorkerPool;
use crate::{orders_api, portfolio_bff, projector, quotes, writer, LISTENING_PREFIX};
use clap::ValueEnum;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::AsyncReadExt;
use tokio_util::sync::CancellationToken;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ServiceKind {
    OrdersApi,
    OrderWriter,
    Projector,
    Quotes,
    PortfolioBff,
}

impl ServiceKind {
    pub fn service(self) -> &'static str {
        match self {
            ServiceKind::OrdersApi => "orders-api",
            ServiceKind::OrderWriter => "order-writer",
            ServiceKind::Projector => "projector",
            ServiceKind::Quotes => "quotes",
            ServiceKind::PortfolioBff => "portfolio-bff",
        }
    }

    /// Serves HTTP requests (pushes their events, takes traffic).
    pub fn serves_requests(self) -> bool {
        matches!(self, ServiceKind::OrdersApi | ServiceKind::Quotes | ServiceKind::PortfolioBff)
    }
}

pub struct InstanceArgs {
    pub kind: ServiceKind,
    pub name: String,
    pub port: u16,
    pub token: String,
    pub source_url: String,
    pub read_url: String,
    pub rate: u32,
}

pub async fn instance(args: InstanceArgs) -> Result<(), String> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| format!("{}: cannot listen on port {}: {e}", args.name, args.port))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    jemalloc_pprof::activate_jemalloc_profiling().await;

    // Thread names of at most 15 bytes (with the worker's number): Linux keeps no more, and the
    // thread dump matches the kernel's names to the pool's.
    let (pool_name, workers): (&'static str, usize) = match args.kind {
        ServiceKind::OrdersApi => ("orders-worker", 8),
        ServiceKind::OrderWriter => ("writer-worker", 2),
        ServiceKind::Projector => ("proj-worker", 2),
        ServiceKind::Quotes => ("quotes-worker", 8),
        ServiceKind::PortfolioBff => ("bff-worker", 16),
    };
    let pool = WorkerPool::new(pool_name, workers, 64);
    let instance: Shared = Arc::new(Instance::new(args.name.clone(), args.token.clone(), pool));
    let stop = CancellationToken::new();
    let version = std::env::var("DEMO_VERSION").unwrap_or_else(|_| "1.0.0".into());
    let telemetry =
        crate::telemetry::init(args.kind.service(), &args.name, &version, !args.kind.serves_requests());
    if args.kind.serves_requests() {
        if let Some(sink) = crate::events::EventSink::from_env(stop.clone()) {
            let _ = instance.events.set(sink);
        }
    }
    let mut router = crate::instance::router(instance.clone());
    match args.kind {
        ServiceKind::OrdersApi => {
            orders_api::declare_metrics(&instance);
            let read = Db::connect(&args.read_url).await.map_err(|e| format!("read model: {e}"))?;
            router = router.merge(orders_api::routes(read));
        }
        ServiceKind::OrderWriter => {
            writer::declare_metrics(&instance);
            let source = Db::connect(&args.source_url).await.map_err(|e| format!("source: {e}"))?;
            tokio::spawn(writer::run(instance.clone(), source, args.rate, stop.clone()));
        }
        ServiceKind::Projector => {
            projector::declare_metrics(&instance);
            let source = Db::connect(&args.source_url).await.map_err(|e| format!("source: {e}"))?;
            let read = Db::connect(&args.read_url).await.map_err(|e| format!("read model: {e}"))?;
            tokio::spawn(projector::run(instance.clone(), source, read, stop.clone()));
        }
        ServiceKind::Quotes => {
            quotes::declare_metrics(&instance);
            router = router.merge(quotes::routes());
        }
        ServiceKind::PortfolioBff => {
            portfolio_bff::declare_metrics(&instance);
            router = router.merge(portfolio_bff::routes(portfolio_bff::Upstreams::from_env()?));
        }
    }
    announce(port);
    tokio::spawn(exit_with_parent(stop.clone()));
    let app = router.with_state(instance).into_make_service_with_connect_info::<SocketAddr>();
    let stopped = stop.clone();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(async move { stopped.cancelled().await })
        .await
        .map_err(|e| e.to_string());
    // The SDK's export thread blocks: its last batch is sent off the runtime's threads.
    let _ = tokio::task::spawn_blocking(move || telemetry.shutdown()).await;
    served
}

fn announce(port: u16) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{LISTENING_PREFIX}{port}");
    let _ = out.flush();
}

/// Cancels `stop` when stdin closes: the parent holds our stdin, so it closes when the
/// parent exits, even when it is killed.
pub async fn exit_with_parent_signal(stop: CancellationToken) {
    let mut stdin = tokio::io::stdin();
    let mut buf = [0u8; 64];
    loop {
        match stdin.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    stop.cancel();
}

/// Like `exit_with_parent_signal`, then exits the process after a short grace period.
pub async fn exit_with_parent(stop: CancellationToken) {
    exit_with_parent_signal(stop.clone()).await;
    // Background loops get a moment to finish, then the process goes regardless.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    std::process::exit(0);
}
