//! The SQL of check runs (portable): a run is a job row — queued → running (owned by one
//! hub, under a lease it renews) → done, failed or cancelled — whose chunks are saved one
//! by one with what they found, so that a run resumes where it was and never reports a
//! chunk twice.

use crate::store::Store;
use types::checks::{DiffCounts, RunMode, RunState, RunView};

const COLUMNS: &str = "id, check_name, mode, state, requested_by, created_ms, started_ms, finished_ms, plan, \
    chunks_total, chunks_done, rows_compared, missing, extra, changed, error, signed_off_by, signed_off_ms, signed_off_open";

#[derive(sqlx::FromRow)]
pub struct RunRow {
    pub id: i64,
    pub check_name: String,
    pub mode: String,
    pub state: String,
    pub requested_by: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub plan: Option<String>,
    pub chunks_total: i64,
    pub chunks_done: i64,
    pub rows_compared: i64,
    pub missing: i64,
    pub extra: i64,
    pub changed: i64,
    pub error: Option<String>,
    pub signed_off_by: Option<String>,
    pub signed_off_ms: Option<i64>,
    pub signed_off_open: Option<i64>,
}

impl RunRow {
    pub fn view(&self, now: i64) -> RunView {
        let state = RunState::parse(&self.state);
        #[expect(clippy::cast_precision_loss, reason = "a share of chunks")]
        let progress = if state == RunState::Done {
            1.0
        } else if self.chunks_total > 0 {
            self.chunks_done as f64 / self.chunks_total as f64
        } else {
            0.0
        };
        let end = self.finished_ms.unwrap_or(now);
        let duration_ms = self.started_ms.map(|s| (end - s).max(0));
        #[expect(clippy::cast_precision_loss, reason = "rates")]
        let rows_per_s =
            duration_ms.filter(|d| *d > 0).map(|d| self.rows_compared as f64 * 1000.0 / d as f64);
        #[expect(clippy::cast_possible_truncation, reason = "ms")]
        let eta_ms = (state == RunState::Running && progress > 0.0)
            .then(|| duration_ms.map(|d| (d as f64 * (1.0 - progress) / progress) as i64))
            .flatten();
        RunView {
            id: self.id,
            check: self.check_name.clone(),
            mode: RunMode::stored(&self.mode),
            state,
            progress,
            rows_compared: self.rows_compared,
            counts: DiffCounts { missing: self.missing, extra: self.extra, changed: self.changed },
            duration_ms,
            error: self.error.clone(),
            requested_by: self.requested_by.clone(),
            created_ms: self.created_ms,
            started_ms: self.started_ms,
            finished_ms: self.finished_ms,
            chunks_done: self.chunks_done,
            chunks_total: self.chunks_total,
            rows_per_s,
            eta_ms,
            signed_off_by: self.signed_off_by.clone(),
            signed_off_ms: self.signed_off_ms,
            signed_off_open: self.signed_off_open,
        }
    }
}

pub async fn insert(
    store: &Store,
    check: &str,
    mode: RunMode,
    by: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO check_runs (check_name, mode, state, requested_by, created_ms) VALUES ($1, $2, 'queued', $3, $4) RETURNING id",
    )
    .bind(check)
    .bind(mode.as_str())
    .bind(by)
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<RunRow>, sqlx::Error> {
    sqlx::query_as(&format!("SELECT {COLUMNS} FROM check_runs WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await
}

/// A check's newest runs, newest first.
pub async fn of_check(store: &Store, check: &str, limit: i64) -> Result<Vec<RunRow>, sqlx::Error> {
    sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM check_runs WHERE check_name = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(check)
    .bind(limit)
    .fetch_all(store.pool())
    .await
}

/// Whether the check has a run queued or running.
pub async fn busy(store: &Store, check: &str, mode: RunMode) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "SELECT id FROM check_runs WHERE check_name = $1 AND mode = $2 AND state IN ('queued', 'running') LIMIT 1",
    )
    .bind(check)
    .bind(mode.as_str())
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(id,)| id))
}

/// The oldest queued runs become running under `owner`'s lease (SKIP LOCKED on PostgreSQL:
/// two hubs never take the same run).
pub async fn claim(
    store: &Store,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    let lock = store.skip_locked();
    sqlx::query_as(&format!(
        "UPDATE check_runs SET state = 'running', owner = $1, lease_until_ms = $2, started_ms = COALESCE(started_ms, $3) \
         WHERE id IN (SELECT id FROM check_runs WHERE state = 'queued' ORDER BY id LIMIT $4 {lock}) \
         RETURNING id, check_name, mode"
    ))
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await
}

/// Extends `owner`'s leases; returns the runs someone asked to cancel.
pub async fn renew(store: &Store, owner: &str, lease_until: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query("UPDATE check_runs SET lease_until_ms = $1 WHERE owner = $2 AND state = 'running'")
        .bind(lease_until)
        .bind(owner)
        .execute(store.pool())
        .await?;
    sqlx::query_as("SELECT id, cancel_reason FROM check_runs WHERE owner = $1 AND state = 'running' AND cancel_reason IS NOT NULL")
        .bind(owner)
        .fetch_all(store.pool())
        .await
}

/// Runs that lost their hub go back to the queue (they resume from their saved chunks): a
/// restarted hub's own at once, another hub's when its lease has run out.
pub async fn requeue_orphans(store: &Store, now: i64, restarted: Option<&str>) -> Result<u64, sqlx::Error> {
    let owner = restarted.unwrap_or("");
    let done = sqlx::query(
        "UPDATE check_runs SET state = 'queued', owner = NULL, lease_until_ms = NULL \
         WHERE state = 'running' AND mode <> 'verifier' AND (owner = $1 OR lease_until_ms IS NULL OR lease_until_ms < $2)",
    )
    .bind(owner)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}

pub async fn save_plan(store: &Store, id: i64, plan: &str, chunks: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE check_runs SET plan = $1, chunks_total = $2 WHERE id = $3 AND plan IS NULL")
        .bind(plan)
        .bind(chunks)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn done_chunks(store: &Store, id: i64) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as("SELECT idx FROM check_chunks WHERE run_id = $1")
        .bind(id)
        .fetch_all(store.pool())
        .await?;
    Ok(rows.into_iter().map(|(i,)| i).collect())
}

pub async fn finish(
    store: &Store,
    id: i64,
    state: RunState,
    error: Option<&str>,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE check_runs SET state = $1, error = $2, finished_ms = $3, lease_until_ms = NULL \
         WHERE id = $4 AND state IN ('queued', 'running')",
    )
    .bind(state.as_str())
    .bind(error)
    .bind(now)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// Asks a run to stop: a queued one is cancelled at once, a running one by its hub.
pub async fn request_cancel(store: &Store, id: i64, reason: &str, now: i64) -> Result<bool, sqlx::Error> {
    let queued = sqlx::query(
        "UPDATE check_runs SET state = 'cancelled', error = $1, cancel_reason = $1, finished_ms = $2 WHERE id = $3 AND state = 'queued'",
    )
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(store.pool())
    .await?;
    if queued.rows_affected() > 0 {
        return Ok(true);
    }
    let running = sqlx::query("UPDATE check_runs SET cancel_reason = $1 WHERE id = $2 AND state = 'running'")
        .bind(reason)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(running.rows_affected() > 0)
}

pub async fn sign_off(store: &Store, id: i64, by: &str, now: i64, open: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE check_runs SET signed_off_by = $1, signed_off_ms = $2, signed_off_open = $3 WHERE id = $4 AND state = 'done'",
    )
    .bind(by)
    .bind(now)
    .bind(open)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() > 0)
}

/// A run taken at once by `owner` (the command line runs it itself, under its lease).
pub async fn insert_running(
    store: &Store,
    check: &str,
    mode: RunMode,
    by: &str,
    owner: &str,
    now: i64,
    lease_until: i64,
) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO check_runs (check_name, mode, state, requested_by, created_ms, started_ms, owner, lease_until_ms) \
         VALUES ($1, $2, 'running', $3, $4, $4, $5, $6) RETURNING id",
    )
    .bind(check)
    .bind(mode.as_str())
    .bind(by)
    .bind(now)
    .bind(owner)
    .bind(lease_until)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}
