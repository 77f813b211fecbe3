//! `orders-api`: answers order queries from the read model through a bounded worker pool.

use crate::db::Db;
use crate::instance::Shared;
use crate::pool::WorkerPool;
use crate::serve::{self, Failure, Request};
use crate::threads::{self, Activity, State as ThreadState};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

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
    serve::declare_http_metrics(i);
}

pub fn routes(db: Db) -> Router<Shared> {
    Router::new()
        .route("/orders/{id}", get(get_order))
        .route("/orders", get(list_orders))
        .layer(Extension(db))
}

const SERVICE: &str = "orders-api";
const SELECT: &str = "SELECT id, customer, user_group, amount_cents, status, updated_ms FROM orders_view";

async fn get_order(
    State(i): State<Shared>,
    Extension(db): Extension<Db>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let req = Request::new(SERVICE, "/orders/{id}", &headers);
    let Ok(id) = id.parse::<i64>() else {
        return serve::refuse(
            &i,
            &req,
            Failure::new(StatusCode::BAD_REQUEST, "bad_request", "order ids are integers"),
        );
    };
    const FRAMES: &[&str] = &["demo::db::fetch_order", "demo::orders_api::get_order", "demo::pool::run_task"];
    let span = req.span.clone();
    serve::answer(i, req, FRAMES, async move {
        let sql = db.sql(&format!("{SELECT} WHERE id = $1"));
        let query = span.db("SELECT orders_view", db.system(), &sql);
        let row: Option<OrderRow> = query
            .end_with(sqlx::query_as(&sql).bind(id).fetch_optional(&db.pool).await)
            .map_err(|e| Failure::database(&e))?;
        row.map(order).ok_or_else(|| Failure::not_found("no such order"))
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
    let req = Request::new(SERVICE, "/orders", &headers);
    const FRAMES: &[&str] =
        &["demo::db::list_orders", "demo::orders_api::list_orders", "demo::pool::run_task"];
    let span = req.span.clone();
    serve::answer(i, req, FRAMES, async move {
        let customer = q.customer.unwrap_or_default();
        let sql = db.sql(&format!("{SELECT} WHERE ($1 = '' OR customer = $2) ORDER BY id DESC LIMIT 20"));
        let query = span.db("SELECT orders_view", db.system(), &sql);
        // Two placeholders: MySQL's `?` are positional, so one value is bound twice.
        let rows: Vec<OrderRow> = query
            .end_with(sqlx::query_as(&sql).bind(&customer).bind(&customer).fetch_all(&db.pool).await)
            .map_err(|e| Failure::database(&e))?;
        Ok(rows.into_iter().map(order).collect::<Vec<_>>())
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
