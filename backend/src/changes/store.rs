//! The SQL of changes (portable), and the log the rest of the hub records its own changes in
//! (config reloads, the demo's chaos and deploys).

use crate::store::Store;
use crate::{now_ms, BackendError};
use sqlx::Row;
use types::changes::{ChangeKind, ChangeView};

/// A change about to be kept, already checked.
#[derive(Clone, Debug, PartialEq)]
pub struct NewChangeRow {
    pub service: String,
    pub kind: ChangeKind,
    pub version: Option<String>,
    pub summary: String,
    pub url: Option<String>,
    pub ts_ms: i64,
    pub author: Option<String>,
}

/// Which changes a list holds: one service or several (none: all), a time range, newest first.
#[derive(Clone, Debug, Default)]
pub struct ChangeQuery {
    pub services: Vec<String>,
    pub since_ms: Option<i64>,
    pub until_ms: Option<i64>,
    pub limit: i64,
}

/// The store's changes; cheap to clone, handed to whoever records one.
#[derive(Clone, Debug)]
pub struct ChangeLog {
    store: Store,
}

/// Who the hub's own changes are recorded by.
pub const HUB: &str = "hub";

impl ChangeLog {
    pub fn new(store: Store) -> ChangeLog {
        ChangeLog { store }
    }

    pub async fn insert(&self, c: &NewChangeRow, recorded_by: &str) -> Result<i64, BackendError> {
        let id = sqlx::query_scalar(
            "INSERT INTO changes (service, kind, version, summary, url, ts_ms, author, recorded_by, recorded_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
        )
        .bind(&c.service)
        .bind(c.kind.as_str())
        .bind(&c.version)
        .bind(&c.summary)
        .bind(&c.url)
        .bind(c.ts_ms)
        .bind(&c.author)
        .bind(recorded_by)
        .bind(now_ms())
        .fetch_one(self.store.pool())
        .await?;
        Ok(id)
    }

    /// Records what the hub itself changed (now, by `author`); a failure is logged, not
    /// returned: the change it describes has already happened.
    pub async fn record_by_hub(&self, service: &str, kind: ChangeKind, summary: String, author: &str) {
        let row = NewChangeRow {
            service: service.to_string(),
            kind,
            version: None,
            summary,
            url: None,
            ts_ms: now_ms(),
            author: Some(author.to_string()),
        };
        if let Err(e) = self.insert(&row, HUB).await {
            tracing::warn!(error = %e, service, "could not record the hub's change");
        }
    }

    pub async fn list(&self, q: &ChangeQuery) -> Result<Vec<ChangeView>, BackendError> {
        // Placeholders numbered as they are pushed: the query is built, the values bound.
        let mut sql = String::from(
            "SELECT id, service, kind, version, summary, url, ts_ms, author, recorded_by FROM changes WHERE 1 = 1",
        );
        let mut n = 0;
        let mut next = || {
            n += 1;
            format!("${n}")
        };
        if !q.services.is_empty() {
            let marks: Vec<String> = q.services.iter().map(|_| next()).collect();
            sql.push_str(&format!(" AND service IN ({})", marks.join(", ")));
        }
        if q.since_ms.is_some() {
            sql.push_str(&format!(" AND ts_ms >= {}", next()));
        }
        if q.until_ms.is_some() {
            sql.push_str(&format!(" AND ts_ms <= {}", next()));
        }
        sql.push_str(&format!(" ORDER BY ts_ms DESC, id DESC LIMIT {}", next()));
        let mut query = sqlx::query(&sql);
        for s in &q.services {
            query = query.bind(s);
        }
        if let Some(t) = q.since_ms {
            query = query.bind(t);
        }
        if let Some(t) = q.until_ms {
            query = query.bind(t);
        }
        let rows = query.bind(q.limit).fetch_all(self.store.pool()).await?;
        rows.iter().map(view).collect()
    }
}

fn view(r: &sqlx::any::AnyRow) -> Result<ChangeView, BackendError> {
    let kind: String = r.try_get("kind")?;
    Ok(ChangeView {
        id: r.try_get("id")?,
        service: r.try_get("service")?,
        kind: ChangeKind::parse(&kind).ok_or_else(|| {
            BackendError::Internal(format!("a change of unknown kind {kind:?} in the store"))
        })?,
        version: r.try_get("version")?,
        summary: r.try_get("summary")?,
        url: r.try_get("url")?,
        ts_ms: r.try_get("ts_ms")?,
        author: r.try_get("author")?,
        recorded_by: r.try_get("recorded_by")?,
    })
}
