//! The SQL of captures (portable).

use crate::store::Store;
use types::CaptureView;

type Row = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<i64>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
);

/// A row and the path of its artifact.
type RowWithArtifact = (
    i64,
    String,
    String,
    String,
    i64,
    String,
    Option<String>,
    Option<i64>,
    String,
    i64,
    Option<i64>,
    Option<i64>,
    Option<String>,
);

const COLUMNS: &str =
    "id, service, instance, kind, seconds, state, error, bytes, requested_by, created_ms, started_ms, finished_ms";

fn view(r: Row) -> CaptureView {
    CaptureView {
        id: r.0,
        service: r.1,
        instance: r.2,
        kind: r.3,
        seconds: r.4,
        state: r.5,
        error: r.6,
        bytes: r.7,
        requested_by: r.8,
        created_ms: r.9,
        started_ms: r.10,
        finished_ms: r.11,
        progress: 0.0,
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
    let sql = format!("SELECT {COLUMNS}, artifact FROM captures WHERE id = $1");
    let row: Option<RowWithArtifact> = sqlx::query_as(&sql).bind(id).fetch_optional(store.pool()).await?;
    Ok(row.map(|r| (view((r.0, r.1, r.2, r.3, r.4, r.5, r.6, r.7, r.8, r.9, r.10, r.11)), r.12)))
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
