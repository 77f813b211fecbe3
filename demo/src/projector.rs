//! `projector`: tails the source's outbox in sequence order and applies each change to the
//! read model, with real (and, under chaos, growing) lag. It also stamps heartbeats on the
//! read side, and on request projects the next changes wrongly (drift).

use crate::db::{now_ms, Db};
use crate::instance::Shared;
use crate::metrics::Kind;
use crate::telemetry::Span;
use opentelemetry::KeyValue;
use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

const BATCH: i64 = 500;
/// How late tokio's timer may wake (it counts in whole milliseconds).
const TIMER_GRAIN: Duration = Duration::from_millis(1);
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
    let mut held = Held::default();
    let mut reported = Instant::now();
    loop {
        if stop.is_cancelled() {
            return;
        }
        let chaos = i.chaos.view();
        let delay = Duration::from_millis(chaos.slowdown_ms);
        let applied = if chaos.paused {
            0
        } else {
            match apply_batch(&i, (&source, &read), &mut last_seq, &mut held, delay).await {
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
        // Its own figures a few times a second: the loop itself stays a tight tail.
        if reported.elapsed() >= Duration::from_millis(250) {
            report_lag(&i, &source, last_seq).await;
            report_heartbeat_lag(&i, &read).await;
            reported = Instant::now();
        }
        if applied < BATCH {
            // A held change is applied the moment it is due, not at the next poll after it.
            let poll = if chaos.paused { Duration::from_millis(50) } else { Duration::from_millis(1) };
            let due = held.next_due(delay).filter(|_| !chaos.paused);
            if let Some(due) = due.filter(|due| due.saturating_duration_since(Instant::now()) < TIMER_GRAIN) {
                // The timer wakes up to a millisecond late: the last stretch is waited out
                // here, so an injected delay is what the lag shows, not a millisecond more.
                while Instant::now() < due && !stop.is_cancelled() {
                    tokio::task::yield_now().await;
                }
                continue;
            }
            let wait = due.map_or(poll, |due| {
                poll.min(due.saturating_duration_since(Instant::now()).saturating_sub(TIMER_GRAIN))
            });
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(wait) => {}
            }
        }
    }
}

/// Under `slowdown`, when the projector first saw each change not yet applied. A change is
/// applied no earlier than the delay after that, so the delay adds to whatever lag there is
/// and an injected lag is exactly measurable.
#[derive(Default)]
struct Held {
    seen: VecDeque<(i64, Instant)>,
}

impl Held {
    /// Notes the changes seen for the first time, and returns how many of `rows` are due.
    /// `asked` is when the query that returned `rows` started: each change was there by then.
    fn due(&mut self, rows: &[OutboxRow], delay: Duration, asked: Instant) -> usize {
        if delay.is_zero() {
            self.seen.clear();
            return rows.len();
        }
        let now = Instant::now();
        let newest = self.seen.back().map_or(i64::MIN, |s| s.0);
        self.seen.extend(rows.iter().filter(|r| r.0 > newest).map(|r| (r.0, asked)));
        rows.iter()
            .take_while(|r| {
                self.seen
                    .binary_search_by_key(&r.0, |s| s.0)
                    .map_or(true, |k| now.duration_since(self.seen[k].1) >= delay)
            })
            .count()
    }

    fn applied(&mut self, up_to: i64) {
        while self.seen.front().is_some_and(|s| s.0 <= up_to) {
            self.seen.pop_front();
        }
    }

    fn next_due(&self, delay: Duration) -> Option<Instant> {
        self.seen.front().map(|s| s.1 + delay)
    }
}

async fn load_position(read: &Db) -> Result<i64, sqlx::Error> {
    let sql = read.sql("SELECT last_seq FROM projector_state WHERE name = $1");
    let row: Option<(i64,)> = sqlx::query_as(&sql).bind(NAME).fetch_optional(&read.pool).await?;
    Ok(row.map_or(0, |(s,)| s))
}

type OutboxRow = (i64, String, i64, String, i64);
type OrderRow = (i64, String, String, i64, String, i64);

/// Applies the next changes that are due, in sequence order.
async fn apply_batch(
    i: &Shared,
    (source, read): (&Db, &Db),
    last_seq: &mut i64,
    held: &mut Held,
    delay: Duration,
) -> Result<i64, sqlx::Error> {
    let sql = source.sql(
        "SELECT seq, kind, ref_id, ref_key, written_ms FROM outbox WHERE seq > $1 ORDER BY seq LIMIT $2",
    );
    let asked = Instant::now();
    let mut rows: Vec<OutboxRow> =
        sqlx::query_as(&sql).bind(*last_seq).bind(BATCH).fetch_all(&source.pool).await?;
    // In order: the first change not yet due holds back the ones after it.
    rows.truncate(held.due(&rows, delay, asked));
    let Some(&(max_seq, ..)) = rows.last() else {
        return Ok(0);
    };
    // Each batch applied is a trace of its own: the batch, and its write to the read model.
    let batch = Span::root(
        "project batch",
        vec![
            KeyValue::new("outbox.rows", i64::try_from(rows.len()).unwrap_or(0)),
            KeyValue::new("outbox.last_seq", max_seq),
        ],
    );
    let write =
        batch.db("UPSERT orders_view", read.system(), "UPSERT orders_view, heartbeat_view, projector_state");
    let applied = write_batch(i, (source, read), &rows, max_seq).await;
    batch.end_with(write.end_with(applied))?;
    *last_seq = max_seq;
    held.applied(max_seq);
    Ok(i64::try_from(rows.len()).unwrap_or(i64::MAX))
}

/// Writes the rows' changes and the new position in one transaction of the read model.
async fn write_batch(
    i: &Shared,
    (source, read): (&Db, &Db),
    rows: &[OutboxRow],
    max_seq: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = read.pool.begin().await?;
    let order_sql = source
        .sql("SELECT id, customer, user_group, amount_cents, status, updated_ms FROM orders WHERE id = $1");
    let upsert_order = read.upsert(
        "orders_view",
        &["id", "customer", "user_group", "amount_cents", "status", "updated_ms", "projected_ms"],
        "id",
    );
    let upsert_heartbeat = read.upsert("heartbeat_view", &["id", "seq", "written_us", "applied_us"], "id");
    let heartbeat_sql = source.sql("SELECT seq, written_us FROM heartbeat WHERE id = $1");
    for (_, kind, ref_id, ref_key, _) in rows {
        if kind == "heartbeat" {
            // The heartbeat as the event carries it: its sequence number is the event's.
            let written: Option<(i64, i64)> =
                sqlx::query_as(&heartbeat_sql).bind(ref_key).fetch_optional(&source.pool).await?;
            if let Some((_, written_us)) = written {
                sqlx::query(&upsert_heartbeat)
                    .bind(ref_key)
                    .bind(*ref_id)
                    .bind(written_us)
                    .bind(crate::db::now_us())
                    .execute(&mut *tx)
                    .await?;
            }
            continue;
        }
        let row: Option<OrderRow> =
            sqlx::query_as(&order_sql).bind(*ref_id).fetch_optional(&source.pool).await?;
        if let Some((id, customer, group, amount, status, updated)) = row {
            // Drift: a projection bug — the next changes land with their amount off by one.
            let drifted = i
                .chaos
                .drift_requested
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok();
            let amount = if drifted {
                i.metrics.add("read_model_drifted_rows_total", vec![], 1.0);
                amount + 1
            } else {
                amount
            };
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
    tx.commit().await
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
    let sql = read.sql("SELECT written_us, applied_us FROM heartbeat_view WHERE id = $1");
    if let Ok(Some((w, a))) =
        sqlx::query_as::<_, (i64, i64)>(&sql).bind("orders").fetch_optional(&read.pool).await
    {
        i.metrics.set(
            "read_model_lag_seconds",
            vec![("read_model", "orders_view".to_string())],
            (a - w).max(0) as f64 / 1e6,
        );
    }
}
