//! The SQL of the real-time verifiers: which hub holds a check's verifier (a lease), where
//! it is in the source's changes, and its rolling run.

use super::store::get;
use crate::store::Store;

/// Takes (or keeps) the verifier of `check` for `owner` when no other hub holds it; its
/// position and rolling run when taken.
pub async fn take_verifier(
    store: &Store,
    check: &str,
    owner: &str,
    now: i64,
    lease_until: i64,
) -> Result<Option<(Option<String>, Option<i64>)>, sqlx::Error> {
    sqlx::query(
        "INSERT INTO check_verifiers (check_name, owner, lease_until_ms) VALUES ($1, NULL, NULL) ON CONFLICT (check_name) DO NOTHING",
    )
    .bind(check)
    .execute(store.pool())
    .await?;
    let taken = sqlx::query(
        "UPDATE check_verifiers SET owner = $1, lease_until_ms = $2 WHERE check_name = $3 \
         AND (owner IS NULL OR owner = $1 OR lease_until_ms IS NULL OR lease_until_ms < $4)",
    )
    .bind(owner)
    .bind(lease_until)
    .bind(check)
    .bind(now)
    .execute(store.pool())
    .await?;
    if taken.rows_affected() == 0 {
        return Ok(None);
    }
    let row: Option<(Option<String>, Option<i64>)> =
        sqlx::query_as("SELECT position, run_id FROM check_verifiers WHERE check_name = $1")
            .bind(check)
            .fetch_optional(store.pool())
            .await?;
    Ok(row)
}

pub async fn save_verifier(
    store: &Store,
    check: &str,
    position: Option<&str>,
    run_id: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE check_verifiers SET position = $1, run_id = $2 WHERE check_name = $3")
        .bind(position)
        .bind(run_id)
        .bind(check)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The verifier's rolling run: found again or made (mode `verifier`, never claimed).
pub async fn verifier_run(
    store: &Store,
    check: &str,
    known: Option<i64>,
    now: i64,
) -> Result<i64, sqlx::Error> {
    if let Some(id) = known {
        if get(store, id).await?.is_some() {
            return Ok(id);
        }
    }
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO check_runs (check_name, mode, state, requested_by, created_ms, started_ms) \
         VALUES ($1, 'verifier', 'running', 'verifier', $2, $2) RETURNING id",
    )
    .bind(check)
    .bind(now)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

/// How many chunks (batches) a run has saved: the next batch's number.
pub async fn chunk_count(store: &Store, run_id: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT count(*) FROM check_chunks WHERE run_id = $1")
        .bind(run_id)
        .fetch_one(store.pool())
        .await?;
    Ok(n)
}

/// The verifier's rolling run of `check`, when it has one.
pub async fn verifier_of(store: &Store, check: &str) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(Option<i64>,)> =
        sqlx::query_as("SELECT run_id FROM check_verifiers WHERE check_name = $1")
            .bind(check)
            .fetch_optional(store.pool())
            .await?;
    Ok(row.and_then(|(r,)| r))
}
