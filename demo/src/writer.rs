//! `order-writer`: writes orders and their state changes into the source of truth at a
//! steady rate, each change with its outbox row in one transaction, plus a heartbeat.

use crate::db::{now_ms, Db};
use crate::instance::Shared;
use crate::metrics::Kind;
use crate::telemetry::Span;
use opentelemetry::KeyValue;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const STATUSES: [&str; 4] = ["new", "accepted", "filled", "settled"];
const GROUPS: [(&str, f64); 3] = [("retail", 0.6), ("pro", 0.3), ("institutional", 0.1)];

pub fn declare_metrics(i: &Shared) {
    i.metrics.declare("orders_written_total", Kind::Counter, "", "Changes written to the source of truth.");
    i.metrics.declare("source_write_errors_total", Kind::Counter, "", "Writes the source of truth refused.");
}

pub fn pick_group() -> &'static str {
    let mut x = rand::random::<f64>();
    for (g, p) in GROUPS {
        if x < p {
            return g;
        }
        x -= p;
    }
    "retail"
}

pub async fn run(i: Shared, db: Db, per_second: u32, stop: CancellationToken) {
    let (max,): (Option<i64>,) =
        sqlx::query_as("SELECT MAX(id) FROM orders").fetch_one(&db.pool).await.unwrap_or((None,));
    let mut next_id = max.unwrap_or(0) + 1;
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / f64::from(per_second.max(1))));
    let mut heartbeat = tokio::time::interval(Duration::from_millis(250));
    loop {
        let result = tokio::select! {
            () = stop.cancelled() => return,
            _ = heartbeat.tick() => write_heartbeat(&db).await.map(|()| "heartbeat"),
            _ = tick.tick() => {
                if next_id == 1 || rand::random::<f64>() < 0.7 {
                    next_id += 1;
                    write_order(&db, next_id - 1, None).await.map(|()| "insert")
                } else {
                    let id = 1 + rand::random::<i64>().rem_euclid(next_id - 1);
                    let status = STATUSES[rand::random::<usize>() % STATUSES.len()];
                    write_order(&db, id, Some(status)).await.map(|()| "update")
                }
            }
        };
        match result {
            Ok(kind) => i.metrics.inc("orders_written_total", vec![("kind", kind.to_string())]),
            Err(e) => {
                tracing::warn!(error = %e, "write to the source failed");
                i.metrics.inc("source_write_errors_total", vec![]);
            }
        }
    }
}

/// One change and its outbox row in one transaction; a trace of its own.
async fn write_order(db: &Db, id: i64, status: Option<&str>) -> Result<(), sqlx::Error> {
    let span = Span::root(
        if status.is_none() { "insert order" } else { "update order" },
        vec![KeyValue::new("order.id", id)],
    );
    span.end_with(write_order_in(db, &span, id, status).await)
}

async fn write_order_in(db: &Db, span: &Span, id: i64, status: Option<&str>) -> Result<(), sqlx::Error> {
    let now = now_ms();
    let mut tx = db.pool.begin().await?;
    match status {
        None => {
            let customer = format!("c{:04}", rand::random::<u16>() % 500);
            let amount = 100 + rand::random::<i64>().rem_euclid(1_000_000);
            let sql = db.upsert(
                "orders",
                &["id", "customer", "user_group", "amount_cents", "status", "updated_ms"],
                "id",
            );
            let query = span.db("UPSERT orders", db.system(), &sql);
            query.end_with(
                sqlx::query(&sql)
                    .bind(id)
                    .bind(customer)
                    .bind(pick_group())
                    .bind(amount)
                    .bind("new")
                    .bind(now)
                    .execute(&mut *tx)
                    .await,
            )?;
        }
        Some(status) => {
            let sql = db.sql("UPDATE orders SET status = $1, updated_ms = $2 WHERE id = $3");
            let query = span.db("UPDATE orders", db.system(), &sql);
            query.end_with(sqlx::query(&sql).bind(status).bind(now).bind(id).execute(&mut *tx).await)?;
        }
    }
    let sql = db.sql("INSERT INTO outbox (kind, ref_id, written_ms) VALUES ('order', $1, $2)");
    let query = span.db("INSERT outbox", db.system(), &sql);
    query.end_with(sqlx::query(&sql).bind(id).bind(now).execute(&mut *tx).await)?;
    let commit = span.db("COMMIT", db.system(), "COMMIT");
    commit.end_with(tx.commit().await)
}

/// One clock writes the heartbeat here and the projector stamps it on the read side (the
/// source's trigger writes its outbox event).
async fn write_heartbeat(db: &Db) -> Result<(), sqlx::Error> {
    let now = crate::db::now_us();
    let sql = db.upsert("heartbeat", &["id", "seq", "written_us"], "id");
    sqlx::query(&sql).bind("orders").bind(now).bind(now).execute(&db.pool).await?;
    Ok(())
}
