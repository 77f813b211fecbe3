//! The SQL of captures (portable; the claim locks with SKIP LOCKED where the engine can).
//! A capture is a job row: queued → running (owned by one hub, under a lease it renews) →
//! done or failed.

use crate::store::Store;
use types::{CaptureKind, CaptureState, CaptureView};

const COLUMNS: &str =
    "id, service, instance, kind, seconds, dumps, state, error, bytes, requested_by, created_ms, \
                       started_ms, finished_ms, artifact";

#[derive(sqlx::FromRow)]
struct CaptureRow {
    id: i64,
    service: String,
    instance: Option<String>,
    kind: String,
    seconds: i64,
    dumps: i64,
    state: String,
    error: Option<String>,
    bytes: Option<i64>,
    requested_by: String,
    created_ms: i64,
    started_ms: Option<i64>,
    finished_ms: Option<i64>,
    artifact: Option<String>,
}

/// A capture as stored: what callers see, and where its artifact is.
pub struct Stored {
    pub view: CaptureView,
    pub artifact: Option<String>,
}

impl TryFrom<CaptureRow> for Stored {
    type Error = sqlx::Error;

    fn try_from(r: CaptureRow) -> Result<Self, Self::Error> {
        let decode = |what: &str, value: &str| {
            sqlx::Error::Decode(format!("capture #{} has {what} {value:?}", r.id).into())
        };
        let kind = r.kind.parse::<CaptureKind>().map_err(|_| decode("kind", &r.kind))?;
        let state = CaptureState::parse(&r.state).ok_or_else(|| decode("state", &r.state))?;
        let view = CaptureView {
            id: r.id,
            service: r.service,
            instance: r.instance,
            kind,
            seconds: r.seconds,
            dumps: r.dumps,
            state,
            error: r.error,
            bytes: r.bytes,
            requested_by: r.requested_by,
            created_ms: r.created_ms,
            started_ms: r.started_ms,
            finished_ms: r.finished_ms,
            progress: 0.0,
        };
        Ok(Stored { view, artifact: r.artifact })
    }
}

fn stored(rows: Vec<CaptureRow>) -> Result<Vec<Stored>, sqlx::Error> {
    rows.into_iter().map(Stored::try_from).collect()
}

pub struct NewCapture<'a> {
    pub service: &'a str,
    pub instance: Option<&'a str>,
    pub kind: CaptureKind,
    pub seconds: i64,
    pub dumps: i64,
    pub state: CaptureState,
    pub requested_by: &'a str,
    pub now: i64,
}

pub async fn insert(store: &Store, c: &NewCapture<'_>) -> Result<i64, sqlx::Error> {
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO captures (service, instance, kind, seconds, dumps, state, requested_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(c.service)
    .bind(c.instance)
    .bind(c.kind.as_str())
    .bind(c.seconds)
    .bind(c.dumps)
    .bind(c.state.as_str())
    .bind(c.requested_by)
    .bind(c.now)
    .fetch_one(store.pool())
    .await?;
    Ok(id)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<Stored>, sqlx::Error> {
    let row: Option<CaptureRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM captures WHERE id = $1"))
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    row.map(Stored::try_from).transpose()
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

/// The end of a capture: its artifact (size and path), or why it failed.
pub async fn finished(
    store: &Store,
    id: i64,
    outcome: Result<(i64, String), String>,
    now: i64,
) -> Result<(), sqlx::Error> {
    let (state, error, bytes, artifact) = match outcome {
        Ok((bytes, path)) => (CaptureState::Done, None, Some(bytes), Some(path)),
        Err(e) => (CaptureState::Failed, Some(e), None, None),
    };
    sqlx::query(
        "UPDATE captures SET state = $1, error = $2, bytes = $3, artifact = $4, finished_ms = $5, \
         lease_until_ms = NULL WHERE id = $6",
    )
    .bind(state.as_str())
    .bind(error)
    .bind(bytes)
    .bind(artifact)
    .bind(now)
    .bind(id)
    .execute(store.pool())
    .await?;
    Ok(())
}

/// The newest captures of a service (of one instance, when given), newest first.
pub async fn list(
    store: &Store,
    service: &str,
    instance: Option<&str>,
    limit: i64,
) -> Result<Vec<CaptureView>, sqlx::Error> {
    let rows: Vec<CaptureRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM captures WHERE service = $1 AND ($2 = '' OR instance = $2) \
         ORDER BY id DESC LIMIT $3"
    ))
    .bind(service)
    .bind(instance.unwrap_or(""))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(stored(rows)?.into_iter().map(|s| s.view).collect())
}

/// The newest captures of any of `services`, newest first; only the unfinished ones when
/// `unfinished`.
pub async fn recent(
    store: &Store,
    services: &[String],
    unfinished: bool,
    limit: i64,
) -> Result<Vec<CaptureView>, sqlx::Error> {
    if services.is_empty() {
        return Ok(vec![]);
    }
    let state = if unfinished { "AND state IN ('queued', 'running')" } else { "" };
    let placeholders: Vec<String> = (0..services.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = format!(
        "SELECT {COLUMNS} FROM captures WHERE service IN ({}) {state} ORDER BY id DESC LIMIT $1",
        placeholders.join(", ")
    );
    let mut query = sqlx::query_as::<_, CaptureRow>(&sql).bind(limit);
    for service in services {
        query = query.bind(service);
    }
    Ok(stored(query.fetch_all(store.pool()).await?)?.into_iter().map(|s| s.view).collect())
}

/// When each of a user's captures since `since_ms` was requested (uploads too), oldest first.
pub async fn requested_since(store: &Store, user: &str, since_ms: i64) -> Result<Vec<i64>, sqlx::Error> {
    let rows: Vec<(i64,)> = sqlx::query_as(
        "SELECT created_ms FROM captures WHERE requested_by = $1 AND created_ms >= $2 ORDER BY created_ms",
    )
    .bind(user)
    .bind(since_ms)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(|(t,)| t).collect())
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
