//! Queries the hub runs on a database it reads: in a read-only transaction (SQLite:
//! `query_only`) with a statement timeout, MySQL's session in UTC, every value handed back
//! as a `Cell` whatever the engine.

use super::{describe, DbError, DbPool, STATEMENT};
use sqlx::{Connection, Row, TypeInfo, ValueRef};

use std::time::Duration;

/// A value of a result row.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Bytes(Vec<u8>),
}

impl Cell {
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Cell::Int(i) => Some(*i),
            Cell::Text(t) => t.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn into_text(self) -> Option<String> {
        match self {
            Cell::Null => None,
            Cell::Int(i) => Some(i.to_string()),
            Cell::Real(f) => Some(f.to_string()),
            Cell::Text(t) => Some(t),
            Cell::Bytes(b) => Some(String::from_utf8_lossy(&b).into_owned()),
        }
    }
}

fn cells<R: Row>(row: &R) -> Vec<Cell>
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> f64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Vec<u8>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    (0..row.columns().len())
        .map(|i| {
            // The value's own type: SQLite's storage class, not the column's declared type.
            let name = match row.try_get_raw(i) {
                Ok(v) if !v.is_null() => v.type_info().name().to_ascii_uppercase(),
                _ => return Cell::Null,
            };
            if name.contains("INT") {
                if let Ok(v) = row.try_get::<i64, _>(i) {
                    return Cell::Int(v);
                }
                if let Ok(v) = row.try_get::<i32, _>(i) {
                    return Cell::Int(i64::from(v));
                }
            }
            if name.contains("REAL") || name.contains("FLOAT") || name.contains("DOUBLE") {
                if let Ok(v) = row.try_get::<f64, _>(i) {
                    return Cell::Real(v);
                }
            }
            if let Ok(v) = row.try_get::<String, _>(i) {
                return Cell::Text(v);
            }
            if let Ok(v) = row.try_get::<Vec<u8>, _>(i) {
                return Cell::Bytes(v);
            }
            row.try_get::<i64, _>(i).map_or(Cell::Null, Cell::Int)
        })
        .collect()
}

/// A query not kept prepared on the connection: a check's chunk queries are each run once and
/// are large (a MySQL chunk is a SELECT per bucket), so caching them would only hold memory
/// in the database.
fn one_off<DB: sqlx::Database + sqlx::database::HasStatementCache>(
    sql: &str,
) -> sqlx::query::Query<'_, DB, <DB as sqlx::Database>::Arguments<'_>> {
    sqlx::query(sql).persistent(false)
}

impl DbPool {
    /// Runs `sql` read-only within `timeout`; every row's values as cells.
    pub async fn read_only(&self, sql: &str, timeout: Duration) -> Result<Vec<Vec<Cell>>, DbError> {
        let work = async {
            match self {
                DbPool::Postgres(p) => {
                    // One round trip: read-only, times read in UTC (as MySQL's below) and
                    // printed in ISO form, which the canonical texts of times rely on; no JIT
                    // (compiling cost a fifth of a check's chunk query).
                    let begin = format!(
                        "BEGIN READ ONLY; SET LOCAL statement_timeout = {}; SET LOCAL TimeZone = 'UTC'; \
                         SET LOCAL DateStyle = 'ISO, YMD'; SET LOCAL jit = off",
                        timeout.as_millis()
                    );
                    let mut tx = p.begin_with(begin).await.map_err(|e| describe(&e))?;
                    let rows = one_off(sql).fetch_all(&mut *tx).await.map_err(|e| describe(&e))?;
                    let _ = tx.rollback().await;
                    Ok(rows.iter().map(cells).collect())
                }
                DbPool::MySql(p) => {
                    let mut conn = p.acquire().await.map_err(|e| describe(&e))?;
                    // MariaDB's limit is max_statement_time (s), MySQL's max_execution_time (ms);
                    // timestamps read in UTC.
                    let _ =
                        sqlx::query(&format!("SET SESSION max_statement_time = {}", timeout.as_secs_f64()))
                            .execute(&mut *conn)
                            .await;
                    // A bucket digest aggregates its rows' text: never cut short.
                    sqlx::query("SET time_zone = '+00:00', SESSION group_concat_max_len = 4294967295")
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| describe(&e))?;
                    let mut tx =
                        conn.begin_with("START TRANSACTION READ ONLY").await.map_err(|e| describe(&e))?;
                    let rows = one_off(sql).fetch_all(&mut *tx).await.map_err(|e| describe(&e))?;
                    let _ = tx.rollback().await;
                    Ok(rows.iter().map(cells).collect())
                }
                DbPool::Sqlite(p) => {
                    let mut conn = p.acquire().await.map_err(|e| describe(&e))?;
                    sqlx::query("PRAGMA query_only = ON")
                        .execute(&mut *conn)
                        .await
                        .map_err(|e| describe(&e))?;
                    let rows = sqlx::query(sql).fetch_all(&mut *conn).await;
                    let _ = sqlx::query("PRAGMA query_only = OFF").execute(&mut *conn).await;
                    Ok(rows.map_err(|e| describe(&e))?.iter().map(cells).collect())
                }
            }
        };
        tokio::time::timeout(timeout + Duration::from_millis(500), work)
            .await
            .unwrap_or(Err(DbError::Timeout(timeout)))
    }

    /// The names and types of the columns `sql` returns, without running it.
    pub async fn describe_columns(&self, sql: &str) -> Result<Vec<(String, String)>, DbError> {
        use sqlx::{Column, Executor};
        fn named<C: Column>(columns: &[C]) -> Vec<(String, String)> {
            columns.iter().map(|c| (c.name().to_string(), c.type_info().name().to_string())).collect()
        }
        let work = async {
            match self {
                DbPool::Postgres(p) => p.describe(sql).await.map(|d| named(d.columns())),
                DbPool::MySql(p) => p.describe(sql).await.map(|d| named(d.columns())),
                DbPool::Sqlite(p) => p.describe(sql).await.map(|d| named(d.columns())),
            }
        };
        match tokio::time::timeout(STATEMENT * 5, work).await {
            Ok(r) => r.map_err(|e| describe(&e)),
            Err(_) => Err(DbError::Timeout(STATEMENT * 5)),
        }
    }

    /// Runs a query a config holds (read-only, 2 s at most); it must return one integer (NULL
    /// reads as 0).
    pub async fn read_only_integer(&self, sql: &str) -> Result<i64, DbError> {
        let rows = self.read_only(sql, STATEMENT).await?;
        match rows.as_slice() {
            [row] => match row.first() {
                Some(Cell::Null) => Ok(0),
                Some(cell) => cell
                    .as_i64()
                    .ok_or_else(|| DbError::Query(format!("must return an integer, not {cell:?}"))),
                None => Err(DbError::Query("returned no column (it must return one integer)".into())),
            },
            [] => Err(DbError::Query("returned no row (it must return one integer)".into())),
            more => Err(DbError::Query(format!("returned {} rows (it must return one integer)", more.len()))),
        }
    }
}
