//! What every demo instance serves: /metrics (Prometheus text or OpenMetrics by Accept),
//! /debug/pprof/profile, /debug/pprof/heap, /debug/threads, POST /chaos and /healthz.

use crate::chaos::{Chaos, Fault};
use crate::metrics::{Kind, Registry};
use crate::pool::WorkerPool;
use crate::{process, profiling, threads};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::net::SocketAddr;
use std::sync::Arc;

pub struct Instance {
    pub name: String,
    pub metrics: Registry,
    pub chaos: Chaos,
    pub pool: Arc<WorkerPool>,
    token: String,
    /// Kind-specific gauges, refreshed before each scrape.
    pub refresh: Box<dyn Fn(&Instance) + Send + Sync>,
    /// Where orders-api pushes its request outcomes, when the hub gave it an address.
    pub events: std::sync::OnceLock<crate::events::EventSink>,
}

pub type Shared = Arc<Instance>;

impl Instance {
    pub fn new(name: String, token: String, pool: Arc<WorkerPool>) -> Instance {
        let metrics = Registry::default();
        metrics.declare(
            "process_cpu_seconds_total",
            Kind::Counter,
            "seconds",
            "CPU time used by the process.",
        );
        metrics.declare(
            "process_resident_memory_bytes",
            Kind::Gauge,
            "bytes",
            "Resident memory of the process.",
        );
        metrics.declare("worker_pool_active_workers", Kind::Gauge, "", "Workers of the pool running a task.");
        metrics.declare("worker_pool_max_workers", Kind::Gauge, "", "Workers the pool has at most.");
        metrics.declare("worker_pool_queued_tasks", Kind::Gauge, "", "Tasks waiting for a worker.");
        Instance {
            name,
            metrics,
            chaos: Chaos::default(),
            pool,
            token,
            refresh: Box::new(|_| {}),
            events: std::sync::OnceLock::new(),
        }
    }

    fn refresh_common(&self) {
        let m = &self.metrics;
        m.set("process_cpu_seconds_total", vec![], process::cpu_seconds());
        m.set("process_resident_memory_bytes", vec![], process::resident_bytes());
        let pool = || {
            vec![("pool", format!("{}-workers", self.name.rsplit_once('-').map_or(&*self.name, |(k, _)| k)))]
        };
        #[expect(clippy::cast_precision_loss, reason = "pool sizes are small")]
        {
            m.set("worker_pool_active_workers", pool(), self.pool.active() as f64);
            m.set("worker_pool_max_workers", pool(), self.pool.max() as f64);
            m.set("worker_pool_queued_tasks", pool(), self.pool.queued() as f64);
        }
        (self.refresh)(self);
    }
}

pub fn router(instance: Shared) -> Router<Shared> {
    let _ = instance;
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(metrics))
        .route("/debug/pprof/profile", get(profiling::cpu))
        .route("/debug/pprof/heap", get(profiling::heap))
        .route("/debug/threads", get(thread_dump))
        .route("/chaos", post(chaos).get(chaos_view))
}

async fn metrics(State(i): State<Shared>, headers: HeaderMap) -> Response {
    i.refresh_common();
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let openmetrics = accept.contains("application/openmetrics-text");
    let content_type = if openmetrics {
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    } else {
        "text/plain; version=0.0.4; charset=utf-8"
    };
    let mut body = i.metrics.render(openmetrics);
    if let Some(bad) = i.chaos.view().bad_metrics {
        body = bad.apply(&body);
    }
    ([(header::CONTENT_TYPE, content_type)], body).into_response()
}

async fn thread_dump(State(i): State<Shared>) -> Response {
    ([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], threads::dump(&i.name)).into_response()
}

/// The bearer token of a request, if it has one.
pub(crate) fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "))
}

/// Only from this machine, and only with the fleet's token.
fn authorised(i: &Instance, from: SocketAddr, headers: &HeaderMap) -> Result<(), (StatusCode, &'static str)> {
    if !from.ip().is_loopback() {
        return Err((StatusCode::FORBIDDEN, "chaos is only accepted from loopback"));
    }
    if bearer(headers) != Some(i.token.as_str()) {
        return Err((StatusCode::UNAUTHORIZED, "chaos needs the fleet's token"));
    }
    Ok(())
}

async fn chaos(
    State(i): State<Shared>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(fault): Json<Fault>,
) -> Response {
    if let Err(refused) = authorised(&i, from, &headers) {
        return refused.into_response();
    }
    tracing::info!(instance = %i.name, ?fault, "chaos");
    i.chaos.apply(&fault);
    if let Fault::PoolExhaustion { .. } = fault {
        crate::orders_api::exhaust_pool(&i.pool, &i.chaos.pool_held_until_ms);
    }
    Json(i.chaos.view()).into_response()
}

async fn chaos_view(
    State(i): State<Shared>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    if let Err(refused) = authorised(&i, from, &headers) {
        return refused.into_response();
    }
    Json(i.chaos.view()).into_response()
}
