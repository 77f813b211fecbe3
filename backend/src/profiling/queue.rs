//! The SQL of the capture queue: how a hub claims queued captures (SKIP LOCKED where the
//! engine has it), keeps them under a lease, hears of a cancel, and fails what can never
//! finish.

use crate::store::Store;

/// A queued capture this hub now runs.
#[derive(Clone, Debug, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub service: String,
    pub instance: Option<String>,
    pub kind: String,
    pub seconds: i64,
    pub dumps: i64,
}

/// How a hub takes work: the oldest queued captures (queued since `queued_since`), at most
/// `limit`, become running under `owner`'s lease. Several hubs on one PostgreSQL store never
/// take the same row (SKIP LOCKED); SQLite has one writer at a time.
pub struct Claim<'a> {
    pub owner: &'a str,
    pub now: i64,
    pub lease_until: i64,
    pub queued_since: i64,
    pub limit: i64,
}

pub async fn claim(store: &Store, c: &Claim<'_>) -> Result<Vec<Claimed>, sqlx::Error> {
    let lock = store.skip_locked();
    sqlx::query_as(&format!(
        "UPDATE captures SET state = 'running', owner = $1, lease_until_ms = $2, started_ms = $3 \
         WHERE id IN (SELECT id FROM captures WHERE state = 'queued' AND created_ms >= $4 \
         ORDER BY id LIMIT $5 {lock}) RETURNING id, service, instance, kind, seconds, dumps"
    ))
    .bind(c.owner)
    .bind(c.lease_until)
    .bind(c.now)
    .bind(c.queued_since)
    .bind(c.limit)
    .fetch_all(store.pool())
    .await
}

/// Extends the lease of `owner`'s running captures; returns those someone asked to cancel,
/// with the reason.
pub async fn renew(store: &Store, owner: &str, lease_until: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query("UPDATE captures SET lease_until_ms = $1 WHERE owner = $2 AND state = 'running'")
        .bind(lease_until)
        .bind(owner)
        .execute(store.pool())
        .await?;
    sqlx::query_as(
        "SELECT id, cancel_reason FROM captures WHERE owner = $1 AND state = 'running' \
         AND cancel_reason IS NOT NULL",
    )
    .bind(owner)
    .fetch_all(store.pool())
    .await
}

/// Asks for a capture to stop: a queued one fails at once, a running one is stopped by the
/// hub that runs it. False when it is neither.
pub async fn request_cancel(store: &Store, id: i64, reason: &str, now: i64) -> Result<bool, sqlx::Error> {
    let queued = sqlx::query(
        "UPDATE captures SET state = 'failed', error = $1, cancel_reason = $1, finished_ms = $2 \
         WHERE id = $3 AND state = 'queued'",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(store.pool())
    .await?;
    if queued.rows_affected() > 0 {
        return Ok(true);
    }
    let running = sqlx::query("UPDATE captures SET cancel_reason = $1 WHERE id = $2 AND state = 'running'")
        .bind(reason)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(running.rows_affected() > 0)
}

/// Fails what can never finish: running captures whose hub let the lease run out, queued
/// ones no hub took in time, and (at a hub's start) what that hub ran before it stopped.
pub async fn reap(
    store: &Store,
    now: i64,
    queued_before: i64,
    restarted: Option<&str>,
) -> Result<u64, sqlx::Error> {
    let mut failed = 0;
    if let Some(owner) = restarted {
        failed += sqlx::query(
            "UPDATE captures SET state = 'failed', error = 'interrupted: the hub restarted during the capture', \
             finished_ms = $1 WHERE state = 'running' AND owner = $2",
        )
        .bind(now)
        .bind(owner)
        .execute(store.pool())
        .await?
        .rows_affected();
    }
    failed += sqlx::query(
        "UPDATE captures SET state = 'failed', error = 'interrupted: the hub running it stopped', \
         finished_ms = $1 WHERE state = 'running' AND (lease_until_ms IS NULL OR lease_until_ms < $1)",
    )
    .bind(now)
    .execute(store.pool())
    .await?
    .rows_affected();
    failed += sqlx::query(
        "UPDATE captures SET state = 'failed', error = 'expired: no hub started it in time', \
         finished_ms = $1 WHERE state = 'queued' AND created_ms < $2",
    )
    .bind(now)
    .bind(queued_before)
    .execute(store.pool())
    .await?
    .rows_affected();
    Ok(failed)
}
