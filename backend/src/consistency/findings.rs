//! The SQL of what runs found: a difference is one row per check and key, with its review
//! state; each run that finds it adds what it saw (kind, columns, both sides' values), and
//! every finding and review action is an event of its history.

use super::diff::Found;
use crate::store::Store;
use std::collections::BTreeMap;
use types::checks::{DifferenceEvent, DifferenceView, ReviewState};

/// A chunk's outcome, saved at once with what it found.
pub struct ChunkDone<'a> {
    pub run_id: i64,
    pub check: &'a str,
    pub chunk: i64,
    pub rows_source: i64,
    pub rows_target: i64,
    /// What was found, and whether the read model was lagging then.
    pub found: &'a [(Found, bool)],
    pub key_names: &'a [String],
    pub column_names: &'a [String],
    pub now: i64,
}

fn object(names: &[String], values: &[Option<String>]) -> BTreeMap<String, Option<String>> {
    names.iter().cloned().zip(values.iter().cloned()).collect()
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

/// Saves a chunk as done, with its findings, in one transaction: a chunk saved twice fails
/// on its key, so no run ever reports a chunk twice.
pub async fn save_chunk(store: &Store, c: &ChunkDone<'_>) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    let (mut missing, mut extra, mut changed) = (0i64, 0i64, 0i64);
    for (f, during_lag) in c.found {
        let key = json(&object(c.key_names, &f.key));
        let (id,): (i64,) = sqlx::query_as(
            "INSERT INTO check_differences (check_name, key_json, first_seen_ms, last_seen_ms, last_run_id, state) \
             VALUES ($1, $2, $3, $3, $4, 'open') ON CONFLICT (check_name, key_json) DO UPDATE SET \
             last_seen_ms = excluded.last_seen_ms, last_run_id = excluded.last_run_id, \
             state = CASE WHEN check_differences.state = 'resolved' THEN 'open' ELSE check_differences.state END \
             RETURNING id",
        )
        .bind(c.check)
        .bind(&key)
        .bind(c.now)
        .bind(c.run_id)
        .fetch_one(&mut *tx)
        .await?;
        let side = |v: &Option<Vec<Option<String>>>| v.as_ref().map(|v| json(&object(c.column_names, v)));
        sqlx::query(
            "INSERT INTO check_run_differences (run_id, difference_id, chunk, kind, columns, source_json, target_json, during_lag) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(c.run_id)
        .bind(id)
        .bind(c.chunk)
        .bind(f.kind.as_str())
        .bind(json(&f.columns))
        .bind(side(&f.source))
        .bind(side(&f.target))
        .bind(i64::from(*during_lag))
        .execute(&mut *tx)
        .await?;
        let what = if f.columns.is_empty() {
            f.kind.as_str().to_string()
        } else {
            format!("changed {}", f.columns.join(", "))
        };
        add_event(&mut tx, id, c.now, "system", "found", Some(&format!("run #{}: {what}", c.run_id))).await?;
        match f.kind {
            super::diff::DiffKind::Missing => missing += 1,
            super::diff::DiffKind::Extra => extra += 1,
            super::diff::DiffKind::Changed => changed += 1,
        }
    }
    sqlx::query("INSERT INTO check_chunks (run_id, idx, rows_source, rows_target, differences, done_ms) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(c.run_id)
        .bind(c.chunk)
        .bind(c.rows_source)
        .bind(c.rows_target)
        .bind(i64::try_from(c.found.len()).unwrap_or(i64::MAX))
        .bind(c.now)
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "UPDATE check_runs SET chunks_done = chunks_done + 1, rows_compared = rows_compared + $1, \
         missing = missing + $2, extra = extra + $3, changed = changed + $4 WHERE id = $5",
    )
    .bind(c.rows_source.max(c.rows_target))
    .bind(missing)
    .bind(extra)
    .bind(changed)
    .bind(c.run_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

async fn add_event(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    now: i64,
    actor: &str,
    action: &str,
    detail: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO check_difference_events (difference_id, ts_ms, actor, action, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(now)
        .bind(actor)
        .bind(action)
        .bind(detail)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Which of a run's differences to list.
#[derive(Clone, Debug, Default)]
pub struct Filters {
    pub kind: Option<String>,
    pub state: Option<String>,
    pub assignee: Option<String>,
    pub column: Option<String>,
    /// Only ids above this (paging).
    pub after: i64,
    pub limit: i64,
}

#[derive(sqlx::FromRow)]
struct DifferenceRow {
    id: i64,
    key_json: String,
    kind: String,
    columns: String,
    source_json: Option<String>,
    target_json: Option<String>,
    during_lag: i64,
    state: String,
    assignee: Option<String>,
    resolution: Option<String>,
    first_seen_ms: i64,
}

fn parse<T: serde::de::DeserializeOwned + Default>(text: &str) -> T {
    serde_json::from_str(text).unwrap_or_default()
}

/// A run's differences, by difference id.
pub async fn of_run(store: &Store, run_id: i64, f: &Filters) -> Result<Vec<DifferenceView>, sqlx::Error> {
    let mut sql = String::from(
        "SELECT d.id, d.key_json, r.kind, r.columns, r.source_json, r.target_json, r.during_lag, d.state, d.assignee, \
         d.resolution, d.first_seen_ms FROM check_run_differences r JOIN check_differences d ON d.id = r.difference_id \
         WHERE r.run_id = $1 AND d.id > $2",
    );
    let mut binds: Vec<String> = Vec::new();
    for (column, value) in [("r.kind", &f.kind), ("d.state", &f.state), ("d.assignee", &f.assignee)] {
        if let Some(v) = value {
            binds.push(v.clone());
            sql.push_str(&format!(" AND {column} = ${}", binds.len() + 2));
        }
    }
    if let Some(c) = &f.column {
        binds.push(format!("%{}%", json(c)));
        sql.push_str(&format!(" AND r.columns LIKE ${}", binds.len() + 2));
    }
    sql.push_str(&format!(" ORDER BY d.id LIMIT ${}", binds.len() + 3));
    let mut q = sqlx::query_as::<_, DifferenceRow>(&sql).bind(run_id).bind(f.after);
    for b in binds {
        q = q.bind(b);
    }
    let rows = q.bind(f.limit).fetch_all(store.pool()).await?;
    Ok(rows
        .into_iter()
        .map(|r| DifferenceView {
            id: r.id,
            key: parse(&r.key_json),
            kind: r.kind,
            columns: parse(&r.columns),
            source: r.source_json.as_deref().map(parse),
            target: r.target_json.as_deref().map(parse),
            during_lag: r.during_lag != 0,
            state: ReviewState::parse(&r.state),
            assignee: r.assignee,
            resolution: r.resolution,
            first_seen_ms: r.first_seen_ms,
        })
        .collect())
}

/// Differences of a check not resolved.
pub async fn open_count(store: &Store, check: &str) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM check_differences WHERE check_name = $1 AND state <> 'resolved'",
    )
    .bind(check)
    .fetch_one(store.pool())
    .await?;
    Ok(n)
}

/// A run's differences not resolved.
pub async fn open_in_run(store: &Store, run_id: i64) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM check_run_differences r JOIN check_differences d ON d.id = r.difference_id \
         WHERE r.run_id = $1 AND d.state <> 'resolved'",
    )
    .bind(run_id)
    .fetch_one(store.pool())
    .await?;
    Ok(n)
}

/// The check a difference belongs to.
pub async fn check_of(store: &Store, id: i64) -> Result<Option<String>, sqlx::Error> {
    let row: Option<(String,)> = sqlx::query_as("SELECT check_name FROM check_differences WHERE id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(row.map(|(c,)| c))
}

/// A review action: the new state, assignee or resolution where given, and the event.
pub struct Review<'a> {
    pub id: i64,
    pub actor: &'a str,
    pub action: &'a str,
    pub state: Option<ReviewState>,
    pub assignee: Option<&'a str>,
    pub resolution: Option<&'a str>,
    pub detail: Option<&'a str>,
    pub now: i64,
}

pub async fn review(store: &Store, r: &Review<'_>) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "UPDATE check_differences SET state = COALESCE($1, state), assignee = COALESCE($2, assignee), \
         resolution = COALESCE($3, resolution) WHERE id = $4",
    )
    .bind(r.state.map(ReviewState::as_str))
    .bind(r.assignee)
    .bind(r.resolution)
    .bind(r.id)
    .execute(&mut *tx)
    .await?;
    add_event(&mut tx, r.id, r.now, r.actor, r.action, r.detail).await?;
    tx.commit().await
}

pub async fn events(store: &Store, id: i64) -> Result<Vec<DifferenceEvent>, sqlx::Error> {
    let rows: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
        "SELECT ts_ms, actor, action, detail FROM check_difference_events WHERE difference_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(ts_ms, actor, action, detail)| DifferenceEvent { ts_ms, actor, action, detail })
        .collect())
}
