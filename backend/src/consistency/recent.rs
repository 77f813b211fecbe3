//! What changed lately in a check's source, as the verifier follows it: the outbox's
//! sequence (each entry names the changed row's key) or a column that holds when a row last
//! changed. A position is the last sequence or time seen; a fresh one starts at the newest.

use super::scan::literal;
use super::side::Side;
use super::CheckError;
use crate::config::checks::RecentDef;
use crate::connections::{Cell, DbEngine};
use std::time::Duration;

const QUERY: Duration = Duration::from_secs(30);

/// Keys as canonical texts, and the position after them.
pub struct Changes {
    pub keys: Vec<Vec<Option<String>>>,
    pub position: Option<String>,
}

fn text(engine: DbEngine, col: &str) -> String {
    match engine {
        DbEngine::Postgres => format!("({col})::text"),
        _ => format!("CAST({col} AS CHAR)"),
    }
}

/// A position as a literal: a number as it is, anything else quoted.
fn bound(engine: DbEngine, position: &str) -> String {
    if position.parse::<i64>().is_ok() {
        position.to_string()
    } else {
        literal(engine, position)
    }
}

/// (the column to follow, the table it is in, the key expressions) for `recent`.
fn follow(side: &Side, recent: &RecentDef) -> (String, String, Vec<String>) {
    let e = side.engine();
    match recent {
        RecentDef::Outbox { outbox, key, seq } => {
            (side.pool.quote(seq), side.pool.quote(outbox), vec![text(e, &side.pool.quote(key))])
        }
        RecentDef::Column { column } => (
            side.pool.quote(column),
            side.table.clone(),
            side.keys.iter().map(|k| k.canonical_sql(e)).collect(),
        ),
    }
}

async fn query(side: &Side, sql: &str) -> Result<Vec<Vec<Cell>>, CheckError> {
    side.pool.read_only(sql, QUERY).await.map_err(|e| CheckError::db(&side.label, e))
}

/// The newest position (where a fresh verifier starts).
pub async fn newest(side: &Side, recent: &RecentDef) -> Result<Option<String>, CheckError> {
    let (col, table, _) = follow(side, recent);
    let rows = query(
        side,
        &format!("SELECT {} FROM {table} ORDER BY {col} DESC LIMIT 1", text(side.engine(), &col)),
    )
    .await?;
    Ok(rows.into_iter().next().and_then(|r| r.into_iter().next()).and_then(Cell::into_text))
}

/// The changes after `position`, oldest first, at most `limit`.
pub async fn after(
    side: &Side,
    recent: &RecentDef,
    position: &str,
    limit: i64,
) -> Result<Changes, CheckError> {
    let e = side.engine();
    let (col, table, keys) = follow(side, recent);
    let sql = format!(
        "SELECT {}, {} FROM {table} WHERE {col} > {} ORDER BY {col} LIMIT {limit}",
        text(e, &col),
        keys.join(", "),
        bound(e, position)
    );
    Ok(read(query(side, &sql).await?, Some(position.to_string())))
}

/// The last `limit` changes (a one-off run of recent changes).
pub async fn latest(side: &Side, recent: &RecentDef, limit: i64) -> Result<Changes, CheckError> {
    let e = side.engine();
    let (col, table, keys) = follow(side, recent);
    let sql = format!(
        "SELECT {}, {} FROM {table} ORDER BY {col} DESC LIMIT {limit}",
        text(e, &col),
        keys.join(", ")
    );
    Ok(read(query(side, &sql).await?, None))
}

fn read(rows: Vec<Vec<Cell>>, mut position: Option<String>) -> Changes {
    let mut keys = Vec::new();
    for row in rows {
        let mut cells = row.into_iter().map(Cell::into_text);
        let at = cells.next().flatten();
        let key: Vec<Option<String>> = cells.collect();
        if !keys.contains(&key) {
            keys.push(key);
        }
        if at.is_some()
            && (position.is_none()
                || at.as_deref().is_some_and(|a| newer(a, position.as_deref().unwrap_or(""))))
        {
            position = at;
        }
    }
    Changes { keys, position }
}

/// Whether position `a` is after `b` (numbers as numbers, times as text).
fn newer(a: &str, b: &str) -> bool {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x > y,
        _ => a > b,
    }
}
