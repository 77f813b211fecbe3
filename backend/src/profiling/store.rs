//! The SQL of captures (portable).

use crate::store::Store;
use types::CaptureView;

#[derive(sqlx::FromRow)]
struct CaptureRow {
    id: i64,
    service: String,
    instance: String,
    kind: String,
    seconds: i64,
    state: String,
    error: Option<String>,
    bytes: Option<i64>,
    requested_by: String,
    created_ms: i64,
    started_ms: Option<i64>,
    finished_ms: Option<i64>,
    artifact: Option<String>,
}

impl CaptureRow {
    /// The capture as callers see it, and the path of its artifact.
    fn split(self) -> (CaptureView, Option<String>) {
        let view = CaptureView {
            id: self.id,
            service: self.service,
            instance: self.instance,
            kind: self.kind,
            seconds: self.seconds,
            state: self.state,
            error: self.error,
            bytes: self.bytes,
            requested_by: self.requested_by,
            created_ms: self.created_ms,
            started_ms: self.started_ms,
            finished_ms: self.finished_ms,
            progress: 0.0,
        };
        (view, self.artifact)
    }
}

pub struct NewCapture<'a> {
    pub service: &'a str,
    pub instance: &'a str,
    pub kind: &'a str,
    pub seconds: i64,
    pub state: &'a str,
    pub requested_by: &'a str,
    pub now: i64,
}

pub async fn insert(store: &Store, c: &NewCapture<'_>) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO captures (service, instance, kind, seconds, state, requested_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(c.service)
    .bind(c.instance)
    .bind(c.kind)
    .bind(c.seconds)
    .bind(c.state)
    .bind(c.requested_by)
    .bind(c.now)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<(CaptureView, Option<String>)>, sqlx::Error> {
    let row: Option<CaptureRow> = sqlx::query_as(
        "SELECT id, service, instance, kind, seconds, state, error, bytes, requested_by, created_ms, \
         started_ms, finished_ms, artifact FROM captures WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(CaptureRow::split))
}

/// Whether the instance has a capture queued or running.
pub async fn busy(store: &Store, service: &str, instance: &str) -> Result<bool, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM captures WHERE service = $1 AND instance = $2 AND state IN ('queued', 'running')",
    )
    .bind(service)
    .bind(instance)
    .fetch_one(store.pool())
    .await?;
    Ok(n > 0)
}

pub async fn started(store: &Store, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE captures SET state = 'running', started_ms = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn finished(
    store: &Store,
    id: i64,
    outcome: Result<(i64, String), String>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (state, error, bytes, artifact) = match outcome {
        Ok((bytes, path)) => ("done", None, Some(bytes), Some(path)),
        Err(e) => ("failed", Some(e), None, None),
    };
    sqlx::query("UPDATE captures SET state = $1, error = $2, bytes = $3, artifact = $4, finished_ms = $5 WHERE id = $6")
        .bind(state)
        .bind(error)
        .bind(bytes)
        .bind(artifact)
        .bind(now)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Captures a previous run left queued or running can never finish: say so.
pub async fn fail_interrupted(store: &Store, now: i64) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE captures SET state = 'failed', error = 'interrupted: the hub restarted during the capture', \
         finished_ms = $1 WHERE state IN ('queued', 'running')",
    )
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected())
}

const COLUMNS: &str = "id, service, instance, kind, seconds, state, error, bytes, requested_by, created_ms, \
                       started_ms, finished_ms, artifact";

/// The newest captures of a service (of one instance, when given), newest first.
pub async fn list(
    store: &Store,
    service: &str,
    instance: Option<&str>,
    limit: i64,
) -> Result<Vec<CaptureView>, sqlx::Error> {
    let rows: Vec<CaptureRow> = match instance {
        Some(instance) => {
            sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM captures WHERE service = $1 AND instance = $2 ORDER BY id DESC LIMIT $3"
        ))
            .bind(service)
            .bind(instance)
            .bind(limit)
            .fetch_all(store.pool())
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "SELECT {COLUMNS} FROM captures WHERE service = $1 ORDER BY id DESC LIMIT $2"
            ))
            .bind(service)
            .bind(limit)
            .fetch_all(store.pool())
            .await?
        }
    };
    Ok(rows.into_iter().map(|r| r.split().0).collect())
}

/// How many captures a user requested since `since_ms` (uploads too).
pub async fn requested_since(store: &Store, user: &str, since_ms: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) =
        sqlx::query_as("SELECT COUNT(*) FROM captures WHERE requested_by = $1 AND created_ms >= $2")
            .bind(user)
            .bind(since_ms)
            .fetch_one(store.pool())
            .await?;
    Ok(n)
}

/// Finished captures past the retention policy: older than `before_ms`, or beyond the
/// newest `keep` of their service. Returns their ids and artifact paths.
pub async fn expired(
    store: &Store,
    before_ms: i64,
    keep: i64,
) -> Result<Vec<(i64, Option<String>)>, sqlx::Error> {
    let mut out: Vec<(i64, Option<String>)> = sqlx::query_as(
        "SELECT id, artifact FROM captures WHERE state IN ('done', 'failed') AND created_ms < $1",
    )
    .bind(before_ms)
    .fetch_all(store.pool())
    .await?;
    let services: Vec<(String,)> =
        sqlx::query_as("SELECT DISTINCT service FROM captures").fetch_all(store.pool()).await?;
    for (service,) in services {
        let beyond: Vec<(i64, Option<String>)> = sqlx::query_as(
            "SELECT id, artifact FROM captures WHERE service = $1 AND state IN ('done', 'failed') \
             ORDER BY id DESC LIMIT 1000000000 OFFSET $2",
        )
        .bind(&service)
        .bind(keep)
        .fetch_all(store.pool())
        .await?;
        out.extend(beyond);
    }
    out.sort_unstable();
    out.dedup();
    Ok(out)
}

pub async fn delete(store: &Store, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM captures WHERE id = $1").bind(id).execute(store.pool()).await?;
    Ok(())
}
