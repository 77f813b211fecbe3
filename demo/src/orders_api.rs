//! `orders-api`: answers order queries from the read model through a bounded worker pool.

use crate::db::Db;
use crate::instance::Shared;
use crate::metrics::{Kind, LATENCY_BUCKETS};
use crate::pool::WorkerPool;
use crate::threads::{self, Activity, State as ThreadState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Json, Router};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Serialize)]
struct Order {
    id: i64,
    customer: String,
    user_group: String,
    amount_cents: i64,
    status: String,
    updated_ms: i64,
}

type OrderRow = (i64, String, String, i64, String, i64);

fn order((id, customer, user_group, amount_cents, status, updated_ms): OrderRow) -> Order {
    Order { id, customer, user_group, amount_cents, status, updated_ms }
}

pub fn declare_metrics(i: &Shared) {
    let m = &i.metrics;
    m.declare("http_requests_total", Kind::Counter, "", "HTTP requests answered.");
    m.declare("http_request_errors_total", Kind::Counter, "", "HTTP requests that failed, by error kind.");
    m.declare_histogram(
        "http_request_duration_seconds",
        Kind::Histogram,
        "seconds",
        "Time to answer a request.",
        LATENCY_BUCKETS,
    );
}

pub fn routes(db: Db) -> Router<Shared> {
    Router::new()
        .route("/orders/{id}", get(get_order))
        .route("/orders", get(list_orders))
        .layer(Extension(db))
}

struct Request {
    route: &'static str,
    user_group: String,
    trace_id: String,
    started: Instant,
}

impl Request {
    fn new(route: &'static str, headers: &HeaderMap) -> Request {
        let user_group =
            headers.get("x-user-group").and_then(|v| v.to_str().ok()).unwrap_or("retail").to_string();
        // W3C traceparent: 00-<32 hex trace id>-<16 hex span id>-<flags>
        let trace_id = headers
            .get("traceparent")
            .and_then(|v| v.to_str().ok())
            .and_then(|t| t.split('-').nth(1))
            .filter(|t| t.len() == 32)
            .map_or_else(|| format!("{:032x}", rand::random::<u128>()), str::to_string);
        Request { route, user_group, trace_id, started: Instant::now() }
    }

    fn finish(&self, i: &Shared, status: StatusCode, error_kind: Option<&str>) {
        if let Some(sink) = i.events.get() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
            sink.push(serde_json::json!({
                "service": "orders-api",
                "instance": i.name,
                "ts_ms": now,
                "outcome": if error_kind.is_some() { "error" } else { "ok" },
                "route": self.route,
                "user_group": self.user_group,
                "error_kind": error_kind,
                "trace_id": self.trace_id,
                "duration_ms": self.started.elapsed().as_secs_f64() * 1000.0,
                "attributes": { "status": status.as_u16() },
            }));
        }
        let m = &i.metrics;
        let labels = vec![
            ("route", self.route.to_string()),
            ("method", "GET".to_string()),
            ("status", status.as_u16().to_string()),
            ("user_group", self.user_group.clone()),
        ];
        m.inc_with_exemplar("http_requests_total", labels, &self.trace_id);
        if let Some(kind) = error_kind {
            let labels = vec![
                ("route", self.route.to_string()),
                ("kind", kind.to_string()),
                ("user_group", self.user_group.clone()),
            ];
            m.inc_with_exemplar("http_request_errors_total", labels, &self.trace_id);
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        m.observe(
            "http_request_duration_seconds",
            vec![("route", self.route.to_string())],
            elapsed,
            Some(&self.trace_id),
        );
    }
}

enum Outcome<T> {
    Ok(T),
    NotFound,
    Injected,
    Db(sqlx::Error),
}

async fn answer<T: Serialize + Send + 'static>(
    i: Shared,
    req: Request,
    frames: &'static [&'static str],
    work: impl std::future::Future<Output = Result<Option<T>, sqlx::Error>> + Send + 'static,
) -> Response {
    let chaos = i.chaos.view();
    let fail = i.chaos.should_fail(req.route, &req.user_group);
    let ran = i
        .pool
        .run(frames, async move {
            // Latency is spent holding the worker, as a slow dependency would.
            if chaos.latency_ms > 0 {
                tokio::time::sleep(Duration::from_millis(chaos.latency_ms)).await;
            }
            if fail {
                return Outcome::Injected;
            }
            match work.await {
                Ok(Some(v)) => Outcome::Ok(v),
                Ok(None) => Outcome::NotFound,
                Err(e) => Outcome::Db(e),
            }
        })
        .await;
    let (status, kind, body) = match ran {
        Ok(Outcome::Ok(v)) => (StatusCode::OK, None, serde_json::to_value(v).unwrap_or_default()),
        Ok(Outcome::NotFound) => {
            (StatusCode::NOT_FOUND, Some("not_found"), serde_json::json!({"error": "no such order"}))
        }
        Ok(Outcome::Injected) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            Some("injected"),
            serde_json::json!({"error": "injected fault"}),
        ),
        Ok(Outcome::Db(e)) => {
            tracing::warn!(error = %e, "read model query failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Some("db_error"),
                serde_json::json!({"error": "read model unavailable"}),
            )
        }
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Some("pool_exhausted"),
            serde_json::json!({"error": e.to_string()}),
        ),
    };
    req.finish(&i, status, kind);
    let mut res = (status, Json(body)).into_response();
    if let Ok(v) = req.trace_id.parse() {
        res.headers_mut().insert("x-trace-id", v);
    }
    res
}

async fn get_order(
    State(i): State<Shared>,
    Extension(db): Extension<Db>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let req = Request::new("/orders/{id}", &headers);
    let Ok(id) = id.parse::<i64>() else {
        req.finish(&i, StatusCode::BAD_REQUEST, Some("bad_request"));
        return (StatusCode::BAD_REQUEST, "order ids are integers").into_response();
    };
    const FRAMES: &[&str] = &["demo::db::fetch_order", "demo::orders_api::get_order", "demo::pool::run_task"];
    answer(i, req, FRAMES, async move {
        let sql = db.sql("SELECT id, customer, user_group, amount_cents, status, updated_ms FROM orders_view WHERE id = $1");
        let row: Option<OrderRow> = sqlx::query_as(&sql).bind(id).fetch_optional(&db.pool).await?;
        Ok(row.map(order))
    })
    .await
}

#[derive(Deserialize)]
struct ListQuery {
    customer: Option<String>,
}

async fn list_orders(
    State(i): State<Shared>,
    Extension(db): Extension<Db>,
    Query(q): Query<ListQuery>,
    headers: HeaderMap,
) -> Response {
    let req = Request::new("/orders", &headers);
    const FRAMES: &[&str] =
        &["demo::db::list_orders", "demo::orders_api::list_orders", "demo::pool::run_task"];
    answer(i, req, FRAMES, async move {
        let customer = q.customer.unwrap_or_default();
        let sql = db.sql(
            "SELECT id, customer, user_group, amount_cents, status, updated_ms FROM orders_view \
             WHERE ($1 = '' OR customer = $2) ORDER BY id DESC LIMIT 20",
        );
        // Two placeholders: MySQL's `?` are positional, so one value is bound twice.
        let rows: Vec<OrderRow> =
            sqlx::query_as(&sql).bind(&customer).bind(&customer).fetch_all(&db.pool).await?;
        Ok(Some(rows.into_iter().map(order).collect::<Vec<_>>()))
    })
    .await
}

/// Holds every worker (and as many queued tasks) until `until_ms` passes or is cleared:
/// requests queue, then fail.
pub fn exhaust_pool(pool: &WorkerPool, until_ms: &Arc<AtomicI64>) {
    for _ in 0..pool.max() * 2 {
        let until = until_ms.clone();
        pool.occupy(Box::new(move || {
            threads::record(Activity {
                state: ThreadState::TimedWaiting,
                frames: vec!["std::thread::sleep", "demo::chaos::hold_worker", "demo::pool::run_task"],
                waiting_on: None,
                holding: vec![],
            });
            while crate::chaos::now_ms() < until.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }));
    }
}
