//! `projector`: tails the source's outbox in sequence order and applies each change to the
//! read model, with real (and, under chaos, growing) lag. It also stamps heartbeats on the
//! read side, and can drift rows of the read model on request.

use crate::db::{now_ms, Db};
use crate::instance::Shared;
use crate::metrics::Kind;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const BATCH: i64 = 500;
const NAME: &str = "orders-projector";

pub fn declare_metrics(i: &Shared) {
    let m = &i.metrics;
    m.declare("consumer_lag_messages", Kind::Gauge, "", "Changes written to the source and not yet applied.");
    m.declare("consumer_lag_seconds", Kind::Gauge, "seconds", "Age of the oldest change not yet applied.");
    m.declare(
        "read_model_lag_seconds",
        Kind::Gauge,
        "seconds",
        "Heartbeat age on the read side when applied.",
    );
    m.declare("projector_applied_total", Kind::Counter, "", "Changes applied to the read model.");
    m.declare("projector_errors_total", Kind::Counter, "", "Batches that failed to apply.");
    m.declare(
        "read_model_drifted_rows_total",
        Kind::Counter,
        "",
        "Rows changed in the read model only (chaos).",
    );
}

pub async fn run(i: Shared, source: Db, read: Db, stop: CancellationToken) {
    let mut last_seq = load_position(&read).await.unwrap_or(0);
    loop {
        if stop.is_cancelled() {
            return;
        }
        let chaos = i.chaos.view();
        drift(&i, &read).await;
        let applied = if chaos.paused {
            0
        } else {
            if chaos.slowdown_ms > 0 {
                tokio::time::sleep(Duration::from_millis(chaos.slowdown_ms)).await;
            }
            match apply_batch(&source, &read, &mut last_seq).await {
                Ok(n) => n,
                Err(e) => {
                    tracing::warn!(error = %e, "projecting a batch failed");
                    i.metrics.inc("projector_errors_total", vec![]);
                    0
                }
            }
        };
        i.metrics.add(
            "projector_applied_total",
            vec![],
            f64::from(u32::try_from(applied).unwrap_or(u32::MAX)),
        );
        report_lag(&i, &source, last_seq).await;
        report_heartbeat_lag(&i, &read).await;
        if applied < BATCH {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(Duration::from_millis(if chaos.paused { 50 } else { 2 })) => {}
            }
        }
    }
}

async fn load_position(read: &Db) -> Result<i64, sqlx::Error> {
    let sql = read.sql("SELECT last_seq FROM projector_state WHERE name = $1");
    let row: Option<(i64,)> = sqlx::query_as(&sql).bind(NAME).fetch_optional(&read.pool).await?;
    Ok(row.map_or(0, |(s,)| s))
}

type OutboxRow = (i64, String, i64, i64);
type OrderRow = (i64, String, String, i64, String, i64);

async fn apply_batch(source: &Db, read: &Db, last_seq: &mut i64) -> Result<i64, sqlx::Error> {
    let sql =
        source.sql("SELECT seq, kind, ref_id, written_ms FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2");
    let rows: Vec<OutboxRow> =
        sqlx::query_as(&sql).bind(*last_seq).bind(BATCH).fetch_all(&source.pool).await?;
    let Some(&(max_seq, ..)) = rows.last() else {
        return Ok(0);
    };
    let mut tx = read.pool.begin().await?;
    let order_sql = source
        .sql("SELECT id, customer, user_group, amount_cents, status, updated_ms FROM orders WHERE id = $1");
    let upsert_order = read.upsert(
        "orders_view",
        &["id", "customer", "user_group", "amount_cents", "status", "updated_ms", "projected_ms"],
        "id",
    );
    let upsert_heartbeat = read.upsert("heartbeat_view", &["id", "written_ms", "applied_ms"], "id");
    for (_, kind, ref_id, written_ms) in &rows {
        if kind == "heartbeat" {
            sqlx::query(&upsert_heartbeat)
                .bind("orders")
                .bind(*written_ms)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
            continue;
        }
        let row: Option<OrderRow> =
            sqlx::query_as(&order_sql).bind(*ref_id).fetch_optional(&source.pool).await?;
        if let Some((id, customer, group, amount, status, updated)) = row {
            sqlx::query(&upsert_order)
                .bind(id)
                .bind(customer)
                .bind(group)
                .bind(amount)
                .bind(status)
                .bind(updated)
                .bind(now_ms())
                .execute(&mut *tx)
                .await?;
        }
    }
    let position = read.upsert("projector_state", &["name", "last_seq", "updated_ms"], "name");
    sqlx::query(&position).bind(NAME).bind(max_seq).bind(now_ms()).execute(&mut *tx).await?;
    tx.commit().await?;
    *last_seq = max_seq;
    Ok(i64::try_from(rows.len()).unwrap_or(i64::MAX))
}

#[expect(clippy::cast_precision_loss, reason = "lag figures are far below 2^52")]
async fn report_lag(i: &Shared, source: &Db, last_seq: i64) {
    let labels = || vec![("consumer", NAME.to_string()), ("stream", "orders-outbox".to_string())];
    let max: Result<(Option<i64>,), _> =
        sqlx::query_as("SELECT MAX(seq) FROM outbox").fetch_one(&source.pool).await;
    if let Ok((Some(max),)) = max {
        i.metrics.set("consumer_lag_messages", labels(), (max - last_seq).max(0) as f64);
    }
    let sql = source.sql("SELECT written_ms FROM outbox WHERE seq > $1 ORDER BY seq LIMIT 1");
    let oldest: Result<Option<(i64,)>, _> =
        sqlx::query_as(&sql).bind(last_seq).fetch_optional(&source.pool).await;
    if let Ok(oldest) = oldest {
        let age = oldest.map_or(0, |(w,)| (now_ms() - w).max(0));
        i.metrics.set("consumer_lag_seconds", labels(), age as f64 / 1000.0);
    }
}

/// Heartbeat lag as the read side saw it when the heartbeat was applied.
#[expect(clippy::cast_precision_loss, reason = "lag figures are far below 2^52")]
pub async fn report_heartbeat_lag(i: &Shared, read: &Db) {
    let sql = read.sql("SELECT written_ms, applied_ms FROM heartbeat_view WHERE id = $1");
    if let Ok(Some((w, a))) =
        sqlx::query_as::<_, (i64, i64)>(&sql).bind("orders").fetch_optional(&read.pool).await
    {
        i.metrics.set(
            "read_model_lag_seconds",
            vec![("read_model", "orders_view".to_string())],
            (a - w).max(0) as f64 / 1000.0,
        );
    }
}

async fn drift(i: &Shared, read: &Db) {
    let rows = i.chaos.drift_requested.swap(0, Ordering::Relaxed);
    if rows == 0 {
        return;
    }
    let sql = read.sql(
        "UPDATE orders_view SET amount_cents = amount_cents + 1 WHERE id IN \
         (SELECT id FROM (SELECT id FROM orders_view ORDER BY id DESC LIMIT $1) AS recent)",
    );
    match sqlx::query(&sql).bind(i64::try_from(rows).unwrap_or(0)).execute(&read.pool).await {
        Ok(done) => {
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            i.metrics.add("read_model_drifted_rows_total", vec![], done.rows_affected() as f64);
        }
        Err(e) => tracing::warn!(error = %e, "drift failed"),
    }
}
