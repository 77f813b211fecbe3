//! What a table's columns are, read from each engine's catalog: a column a check names must
//! exist there (a hostile or mistyped name never reaches a query), and its type decides how
//! its values are made canonical.

use super::canon::{ColumnInfo, ColumnKind};
use crate::connections::{Cell, DbError, DbPool};
use std::time::Duration;

const CATALOG: Duration = Duration::from_secs(10);

/// A SQL string literal (the names are validated already; quotes doubled anyway).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

pub(super) fn kind_of(declared: &str) -> ColumnKind {
    let t = declared.to_ascii_lowercase();
    let has = |w: &str| t.contains(w);
    if t == "boolean" || t == "bool" || t.starts_with("tinyint(1)") {
        ColumnKind::Bool
    } else if has("uuid") {
        ColumnKind::Uuid
    } else if (has("int") && !has("interval") && !has("point")) || t == "bit" {
        ColumnKind::Int
    } else if has("numeric") || has("decimal") {
        ColumnKind::Decimal
    } else if has("double") || has("float") || has("real") {
        ColumnKind::Float
    } else if has("timestamp") || has("datetime") {
        ColumnKind::Timestamp
    } else if t == "date" {
        ColumnKind::Date
    } else if has("bytea") || has("blob") || has("binary") {
        ColumnKind::Bytes
    } else {
        ColumnKind::Text
    }
}

/// `DECIMAL(18,4)` → 4.
fn declared_scale(declared: &str) -> Option<u32> {
    let inner = declared.split_once('(')?.1.split_once(')')?.0;
    inner.split_once(',')?.1.trim().parse().ok()
}

/// The columns of `table` (`name` or `schema.name`), in order; an empty list when it does
/// not exist.
pub async fn columns(pool: &DbPool, table: &str) -> Result<Vec<ColumnInfo>, DbError> {
    let (schema, name) = match table.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, table),
    };
    let sql = match pool {
        DbPool::Postgres(_) => format!(
            "SELECT column_name::text, data_type::text, udt_name::text, numeric_scale::int, (is_nullable = 'YES')::int, \
             datetime_precision::int FROM information_schema.columns \
             WHERE table_schema = {} AND table_name = {} ORDER BY ordinal_position",
            schema.map_or_else(|| "current_schema()".to_string(), literal),
            literal(name)
        ),
        DbPool::MySql(_) => format!(
            "SELECT CAST(column_name AS CHAR), CAST(data_type AS CHAR), CAST(column_type AS CHAR), \
             CAST(numeric_scale AS SIGNED), CAST(is_nullable = 'YES' AS SIGNED), CAST(datetime_precision AS SIGNED) \
             FROM information_schema.columns \
             WHERE table_schema = {} AND table_name = {} ORDER BY ordinal_position",
            schema.map_or_else(|| "DATABASE()".to_string(), literal),
            literal(name)
        ),
        DbPool::Sqlite(_) => {
            let schema = schema.map_or(String::new(), |s| format!("\"{s}\"."));
            format!("SELECT name, type, type, NULL, \"notnull\" = 0 AND pk = 0, NULL FROM {schema}pragma_table_info({})", literal(name))
        }
    };
    let rows = pool.read_only(&sql, CATALOG).await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let mut row = row.into_iter();
            let name = row.next()?.into_text()?;
            let data_type = row.next().and_then(Cell::into_text).unwrap_or_default();
            let declared = row.next().and_then(Cell::into_text).unwrap_or_default();
            let scale = row.next().and_then(|c| c.as_i64()).and_then(|s| u32::try_from(s).ok());
            let nullable = row.next().and_then(|c| c.as_i64()) != Some(0);
            let precision = row.next().and_then(|c| c.as_i64()).and_then(|s| u32::try_from(s).ok());
            // PostgreSQL says "USER-DEFINED" for enums (compared as text) and names the type in udt_name.
            let kind = if data_type == "USER-DEFINED" {
                ColumnKind::Text
            } else {
                kind_of(&declared).max_with(kind_of(&data_type))
            };
            let scale = scale.or_else(|| declared_scale(&declared));
            Some(ColumnInfo { name, kind, scale, nullable, precision })
        })
        .collect())
}

/// Whether `column` leads an index of `table` (`quoted`: the table as the engine quotes it,
/// `table`: `name` or `schema.name`), so that a range of it is read through that index; SQLite
/// is never asked (its rows are hashed by the hub).
pub async fn leads_an_index(pool: &DbPool, quoted: &str, table: &str, column: &str) -> Result<bool, DbError> {
    let (schema, name) = match table.split_once('.') {
        Some((s, n)) => (Some(s), n),
        None => (None, table),
    };
    let sql = match pool {
        DbPool::Postgres(_) => format!(
            "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0] \
             WHERE i.indrelid = to_regclass({}) AND a.attname = {}",
            literal(quoted),
            literal(column)
        ),
        DbPool::MySql(_) => format!(
            "SELECT count(*) FROM information_schema.statistics WHERE table_schema = {} AND table_name = {} \
             AND column_name = {} AND seq_in_index = 1",
            schema.map_or_else(|| "DATABASE()".to_string(), literal),
            literal(name),
            literal(column)
        ),
        DbPool::Sqlite(_) => return Ok(false),
    };
    let rows = pool.read_only(&sql, CATALOG).await?;
    Ok(rows.first().and_then(|r| r.first()).and_then(Cell::as_i64).unwrap_or(0) > 0)
}

/// The columns a source query returns (its types as the engine describes them; no scale).
pub async fn query_columns(pool: &DbPool, query: &str) -> Result<Vec<ColumnInfo>, DbError> {
    let described = pool.describe_columns(&format!("SELECT * FROM ({query}) src WHERE 1 = 0")).await?;
    Ok(described
        .into_iter()
        .map(|(name, type_name)| ColumnInfo {
            name,
            kind: kind_of(&type_name),
            scale: None,
            nullable: true,
            precision: None,
        })
        .collect())
}

trait Prefer {
    fn max_with(self, other: ColumnKind) -> ColumnKind;
}

impl Prefer for ColumnKind {
    /// The more specific of two readings of one column's type (`tinyint(1)` over `tinyint`).
    fn max_with(self, other: ColumnKind) -> ColumnKind {
        if self == ColumnKind::Text {
            other
        } else {
            self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_read_as_kinds() {
        for (declared, kind) in [
            ("bigint", ColumnKind::Int),
            ("int8", ColumnKind::Int),
            ("tinyint(1)", ColumnKind::Bool),
            ("DECIMAL(18,4)", ColumnKind::Decimal),
            ("numeric", ColumnKind::Decimal),
            ("double precision", ColumnKind::Float),
            ("timestamp(6)", ColumnKind::Timestamp),
            ("timestamp with time zone", ColumnKind::Timestamp),
            ("datetime(6)", ColumnKind::Timestamp),
            ("date", ColumnKind::Date),
            ("uuid", ColumnKind::Uuid),
            ("varchar(64)", ColumnKind::Text),
            ("enum('a','b')", ColumnKind::Text),
            ("bytea", ColumnKind::Bytes),
        ] {
            assert_eq!(kind_of(declared), kind, "{declared}");
        }
        assert_eq!(declared_scale("DECIMAL(18, 4)"), Some(4));
        assert_eq!(declared_scale("varchar(64)"), None);
    }
}
