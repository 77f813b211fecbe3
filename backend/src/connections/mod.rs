//! The databases the hub reads (`[[connections]]`): one concrete pool per engine —
//! PostgreSQL, MySQL/MariaDB, SQLite — opened lazily, so an unreachable database is a state of
//! what uses it, never a failed start. Identifiers are validated by the config and quoted
//! here; a URL is shown with its password masked; `${VAR}` in a URL comes from the environment.

mod read_only;

pub use read_only::Cell;

use crate::config::{mask_secrets, HubConfig};
use crate::store::redact_url;
use sqlx::mysql::{MySqlConnectOptions, MySqlPool, MySqlPoolOptions};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool, SqlitePoolOptions};

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// How long a connection may take to be made or handed out.
const ACQUIRE: Duration = Duration::from_secs(2);
/// How long a query a config holds may run.
const STATEMENT: Duration = Duration::from_secs(2);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DbEngine {
    Postgres,
    MySql,
    Sqlite,
}

impl DbEngine {
    pub fn as_str(self) -> &'static str {
        match self {
            DbEngine::Postgres => "postgres",
            DbEngine::MySql => "mysql",
            DbEngine::Sqlite => "sqlite",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("{0}")]
    BadUrl(String),
    #[error("{0}")]
    Unreachable(String),
    #[error("{0}")]
    Query(String),
    #[error("no answer within {} s", .0.as_secs())]
    Timeout(Duration),
}

/// `${VAR}` replaced by the environment's value, `${VAR:-default}` by the default when the
/// environment has no such variable; a missing variable without a default is named.
pub fn expand_env(url: &str) -> Result<String, String> {
    expand_with(url, |var| std::env::var(var).ok())
}

/// As `expand_env`, with the values `lookup` gives.
pub fn expand_with(url: &str, lookup: impl Fn(&str) -> Option<String>) -> Result<String, String> {
    let mut out = String::with_capacity(url.len());
    let mut rest = url;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or("an unclosed ${ in the URL")?;
        let (var, default) = match after[..end].split_once(":-") {
            Some((var, default)) => (var, Some(default)),
            None => (&after[..end], None),
        };
        match (lookup(var).filter(|v| !v.is_empty()), default) {
            (Some(value), _) => out.push_str(&value),
            (None, Some(default)) => out.push_str(default),
            (None, None) => return Err(format!("the environment has no {var} (named in the URL)")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Opens the `[[connections]]` of a config: relative SQLite paths under the data directory,
/// `${VAR}` from the hub's own settings first (the demo fleet's URLs), then the environment.
#[derive(Clone, Debug, Default)]
pub struct Connections {
    pub data_dir: PathBuf,
    pub vars: Vec<(String, String)>,
}

impl Connections {
    /// A lazy pool on connection `name`, and its URL with the password masked.
    pub fn open(&self, config: &HubConfig, name: &str) -> Result<(DbPool, String), String> {
        let c = config
            .connections
            .iter()
            .find(|c| c.name.get_ref() == name)
            .ok_or_else(|| format!("no connection named {name}"))?;
        let url = expand_with(c.url.get_ref(), |var| {
            self.vars
                .iter()
                .find(|(k, _)| k == var)
                .map(|(_, v)| v.clone())
                .or_else(|| std::env::var(var).ok())
        })?;
        let pool = DbPool::open(&url, &self.data_dir).map_err(|e| e.to_string())?;
        Ok((pool, redact_url(&url)))
    }
}

/// A pool on one database.
#[derive(Clone, Debug)]
pub enum DbPool {
    Postgres(PgPool),
    MySql(MySqlPool),
    Sqlite(SqlitePool),
}

/// Why a sqlx error happened, in words (reachability apart from a bad query).
pub fn describe(e: &sqlx::Error) -> DbError {
    match e {
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed | sqlx::Error::Tls(_) => {
            DbError::Unreachable(format!("the database does not answer ({e})"))
        }
        sqlx::Error::Database(d) => DbError::Query(d.message().to_string()),
        other => DbError::Query(other.to_string()),
    }
}

/// Whether `url` (expanded) is one the hub can open: checked when the config loads, so a
/// malformed URL is a config error naming its field, not a read model that never starts.
pub fn check_url(url: &str) -> Result<(), String> {
    let why = |e: sqlx::Error| format!("is not valid: {}", mask_secrets(&e.to_string()));
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        PgConnectOptions::from_str(url).map(drop).map_err(why)
    } else if let Some(rest) = url.strip_prefix("mysql://").or_else(|| url.strip_prefix("mariadb://")) {
        MySqlConnectOptions::from_str(&format!("mysql://{rest}")).map(drop).map_err(why)
    } else if url.starts_with("sqlite:") {
        Ok(())
    } else {
        Err("must start with postgres://, mysql:// or sqlite://".into())
    }
}

impl DbPool {
    /// A lazy pool on `url` (expanded already); relative SQLite paths are under `data_dir`.
    pub fn open(url: &str, data_dir: &Path) -> Result<DbPool, DbError> {
        let bad = |e: sqlx::Error| DbError::BadUrl(format!("{}: {e}", redact_url(url)));
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(bad)?;
            return Ok(DbPool::Postgres(
                PgPoolOptions::new().max_connections(4).acquire_timeout(ACQUIRE).connect_lazy_with(options),
            ));
        }
        if let Some(rest) = url.strip_prefix("mysql://").or_else(|| url.strip_prefix("mariadb://")) {
            let options = MySqlConnectOptions::from_str(&format!("mysql://{rest}")).map_err(bad)?;
            return Ok(DbPool::MySql(
                MySqlPoolOptions::new()
                    .max_connections(4)
                    .acquire_timeout(ACQUIRE)
                    .connect_lazy_with(options),
            ));
        }
        let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) else {
            return Err(DbError::BadUrl(format!(
                "{}: not a postgres://, mysql:// or sqlite:// URL",
                redact_url(url)
            )));
        };
        let (file, _query) = path.split_once('?').unwrap_or((path, ""));
        let file =
            if Path::new(file).is_absolute() { Path::new(file).to_path_buf() } else { data_dir.join(file) };
        // NORMAL: a heartbeat commit without an fsync of its own (safe in WAL mode); FULL
        // would hold the write lock over a disk flush each time and make the database's own
        // writers wait.
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(false)
            .busy_timeout(Duration::from_secs(1))
            .synchronous(sqlx::sqlite::SqliteSynchronous::Normal);
        Ok(DbPool::Sqlite(
            SqlitePoolOptions::new().max_connections(4).acquire_timeout(ACQUIRE).connect_lazy_with(options),
        ))
    }

    pub fn engine(&self) -> DbEngine {
        match self {
            DbPool::Postgres(_) => DbEngine::Postgres,
            DbPool::MySql(_) => DbEngine::MySql,
            DbPool::Sqlite(_) => DbEngine::Sqlite,
        }
    }

    /// A validated table name (`name` or `schema.name`) quoted for this engine.
    pub fn quote(&self, table: &str) -> String {
        let q = if self.engine() == DbEngine::MySql { '`' } else { '"' };
        table.split('.').map(|p| format!("{q}{p}{q}")).collect::<Vec<_>>().join(".")
    }

    /// Writes this hub's heartbeat row: `(id, seq, written_us)`, inserted or updated.
    pub async fn write_heartbeat(
        &self,
        table: &str,
        id: &str,
        seq: i64,
        written_us: i64,
    ) -> Result<(), sqlx::Error> {
        let t = self.quote(table);
        match self {
            DbPool::Postgres(p) => {
                let sql = format!("INSERT INTO {t} (id, seq, written_us) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, written_us = excluded.written_us");
                sqlx::query(&sql).bind(id).bind(seq).bind(written_us).execute(p).await?;
            }
            DbPool::Sqlite(p) => {
                let sql = format!("INSERT INTO {t} (id, seq, written_us) VALUES (?1, ?2, ?3) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, written_us = excluded.written_us");
                sqlx::query(&sql).bind(id).bind(seq).bind(written_us).execute(p).await?;
            }
            DbPool::MySql(p) => {
                let sql = format!("INSERT INTO {t} (id, seq, written_us) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE seq = VALUES(seq), written_us = VALUES(written_us)");
                sqlx::query(&sql).bind(id).bind(seq).bind(written_us).execute(p).await?;
            }
        }
        Ok(())
    }

    /// The sequence number of this hub's heartbeat as the read side has it (None: not yet).
    pub async fn read_heartbeat(&self, table: &str, id: &str) -> Result<Option<i64>, sqlx::Error> {
        let t = self.quote(table);
        let row: Option<(i64,)> = match self {
            DbPool::Postgres(p) => {
                sqlx::query_as(&format!("SELECT seq FROM {t} WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(p)
                    .await?
            }
            DbPool::Sqlite(p) => {
                sqlx::query_as(&format!("SELECT seq FROM {t} WHERE id = ?1"))
                    .bind(id)
                    .fetch_optional(p)
                    .await?
            }
            DbPool::MySql(p) => {
                sqlx::query_as(&format!("SELECT seq FROM {t} WHERE id = ?"))
                    .bind(id)
                    .fetch_optional(p)
                    .await?
            }
        };
        Ok(row.map(|(s,)| s))
    }

    pub async fn close(&self) {
        match self {
            DbPool::Postgres(p) => p.close().await,
            DbPool::MySql(p) => p.close().await,
            DbPool::Sqlite(p) => p.close().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn urls_take_the_environment_and_names_are_quoted() {
        std::env::set_var("SB_TEST_DB_PASSWORD", "s3cret");
        assert_eq!(
            expand_env("postgres://u:${SB_TEST_DB_PASSWORD}@h/db").unwrap(),
            "postgres://u:s3cret@h/db"
        );
        assert!(expand_env("postgres://u:${SB_TEST_NO_SUCH_VAR}@h/db")
            .unwrap_err()
            .contains("SB_TEST_NO_SUCH_VAR"));
        let dir = std::env::temp_dir();
        let my = DbPool::open("mysql://root@127.0.0.1:1/test", &dir).unwrap();
        assert_eq!(my.quote("lag.heartbeat"), "`lag`.`heartbeat`");
        let lite = DbPool::open("sqlite://demo/source.db", &dir).unwrap();
        assert_eq!(lite.quote("heartbeat"), "\"heartbeat\"");
        assert!(DbPool::open("oracle://x", &dir).is_err());
    }
}
