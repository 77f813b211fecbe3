//! The SQL of read-model lag (portable): probes of the last day, minute histograms for the
//! SLO window, breaches.

use super::histogram::LagHistogram;
use super::live::Probe;
use crate::store::Store;
use types::lag::LagBreach;

#[expect(clippy::cast_possible_truncation, reason = "µs of a lag fit an i64")]
fn us(ms: f64) -> i64 {
    (ms * 1000.0).round() as i64
}

#[expect(clippy::cast_precision_loss, reason = "µs of a lag fit an f64")]
fn ms(us: i64) -> f64 {
    us as f64 / 1000.0
}

pub async fn save_probes(store: &Store, read_model: &str, probes: &[Probe]) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    for (at, lag) in probes {
        sqlx::query("INSERT INTO lag_probes (read_model, at_ms, lag_us) VALUES ($1, $2, $3)")
            .bind(read_model)
            .bind(*at)
            .bind(us(*lag))
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// The probes since `since_ms`, oldest first.
pub async fn probes_since(store: &Store, read_model: &str, since_ms: i64) -> Result<Vec<Probe>, sqlx::Error> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT at_ms, lag_us FROM lag_probes WHERE read_model = $1 AND at_ms >= $2 ORDER BY at_ms",
    )
    .bind(read_model)
    .bind(since_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(at, lag)| (at, ms(lag))).collect())
}

/// One minute of probes, kept for the SLO window.
pub struct Minute {
    pub minute_ms: i64,
    pub probes: i64,
    pub good: i64,
    pub unknown_ms: i64,
    pub histogram: LagHistogram,
}

pub async fn save_minute(store: &Store, read_model: &str, m: &Minute) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO lag_minutes (read_model, minute_ms, probes, good, unknown_ms, histogram) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (read_model, minute_ms) DO UPDATE SET \
         probes = excluded.probes, good = excluded.good, unknown_ms = excluded.unknown_ms, histogram = excluded.histogram",
    )
    .bind(read_model)
    .bind(m.minute_ms)
    .bind(m.probes)
    .bind(m.good)
    .bind(m.unknown_ms)
    .bind(m.histogram.to_bytes())
    .execute(store.pool())
    .await?;
    Ok(())
}

type MinuteRow = (i64, i64, i64, i64, Vec<u8>);

pub async fn minutes_since(
    store: &Store,
    read_model: &str,
    since_ms: i64,
) -> Result<Vec<Minute>, sqlx::Error> {
    let rows: Vec<MinuteRow> = sqlx::query_as(
        "SELECT minute_ms, probes, good, unknown_ms, histogram FROM lag_minutes \
         WHERE read_model = $1 AND minute_ms >= $2 ORDER BY minute_ms",
    )
    .bind(read_model)
    .bind(since_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(minute_ms, probes, good, unknown_ms, h)| Minute {
            minute_ms,
            probes,
            good,
            unknown_ms,
            histogram: LagHistogram::from_bytes(&h),
        })
        .collect())
}

/// A breach that started: its id for later updates.
pub async fn open_breach(store: &Store, read_model: &str, b: &LagBreach) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO lag_breaches (read_model, start_ms, end_ms, worst_us) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(read_model)
    .bind(b.start_ms)
    .bind(b.end_ms)
    .bind(us(b.worst_ms))
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

pub async fn update_breach(store: &Store, id: i64, b: &LagBreach) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE lag_breaches SET end_ms = $1, worst_us = $2 WHERE id = $3")
        .bind(b.end_ms)
        .bind(us(b.worst_ms))
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Breaches that started since `since_ms` (or are still open), newest first.
pub async fn breaches_since(
    store: &Store,
    read_model: &str,
    since_ms: i64,
) -> Result<Vec<LagBreach>, sqlx::Error> {
    let rows: Vec<(i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT start_ms, end_ms, worst_us FROM lag_breaches WHERE read_model = $1 \
         AND (start_ms >= $2 OR end_ms IS NULL OR end_ms >= $2) ORDER BY start_ms DESC LIMIT 500",
    )
    .bind(read_model)
    .bind(since_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(start_ms, end_ms, worst)| LagBreach { start_ms, end_ms, worst_ms: ms(worst) })
        .collect())
}

/// At start: breaches a stopped hub left open end when it last saw them — their worst lag
/// past the SLO after they started (an outstanding heartbeat's age grows with the breach), or
/// the last probe when that is later.
pub async fn close_open_breaches(
    store: &Store,
    read_model: &str,
    last_probe_ms: i64,
    slo_ms: f64,
) -> Result<(), sqlx::Error> {
    let open: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT id, start_ms, worst_us FROM lag_breaches WHERE read_model = $1 AND end_ms IS NULL",
    )
    .bind(read_model)
    .fetch_all(store.pool())
    .await?;
    for (id, start_ms, worst_us) in open {
        #[expect(clippy::cast_possible_truncation, reason = "ms of a lag")]
        let over = (ms(worst_us) - slo_ms).max(0.0) as i64;
        sqlx::query("UPDATE lag_breaches SET end_ms = $1 WHERE id = $2")
            .bind((start_ms + over).max(last_probe_ms).max(start_ms))
            .bind(id)
            .execute(store.pool())
            .await?;
    }
    Ok(())
}

/// Forgets probes past a day and minutes past the longest SLO window.
pub async fn prune(store: &Store, probes_before: i64, minutes_before: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM lag_probes WHERE at_ms < $1").bind(probes_before).execute(store.pool()).await?;
    sqlx::query("DELETE FROM lag_minutes WHERE minute_ms < $1")
        .bind(minutes_before)
        .execute(store.pool())
        .await?;
    sqlx::query("DELETE FROM lag_breaches WHERE end_ms IS NOT NULL AND end_ms < $1")
        .bind(minutes_before)
        .execute(store.pool())
        .await?;
    Ok(())
}
