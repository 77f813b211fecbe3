//! Saving and restoring history in the hub's store (portable SQL).

use super::{series_from_blob, History};
use crate::store::Store;

/// Writes every series that changed since the last save; returns how many.
pub async fn save_dirty(history: &History, store: &Store) -> Result<usize, sqlx::Error> {
    let dirty = history.take_dirty();
    let mut tx = store.pool().begin().await?;
    for (key, blob, last_ms) in &dirty {
        sqlx::query(
            "INSERT INTO metric_series (series_key, last_ms, data) VALUES ($1, $2, $3) \
             ON CONFLICT (series_key) DO UPDATE SET last_ms = excluded.last_ms, data = excluded.data",
        )
        .bind(key)
        .bind(*last_ms)
        .bind(blob.as_slice())
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(dirty.len())
}

/// Loads the series saved within the retention, and deletes older ones.
pub async fn restore(history: &History, store: &Store, now_ms: i64) -> Result<usize, sqlx::Error> {
    let horizon = now_ms - i64::try_from(history.retention().as_millis()).unwrap_or(i64::MAX);
    sqlx::query("DELETE FROM metric_series WHERE last_ms < $1").bind(horizon).execute(store.pool()).await?;
    let rows: Vec<(String, Vec<u8>)> =
        sqlx::query_as("SELECT series_key, data FROM metric_series").fetch_all(store.pool()).await?;
    let n = rows.len();
    for (key, blob) in rows {
        history.put_restored(key, series_from_blob(&blob));
    }
    history.prune(now_ms);
    Ok(n)
}

/// Keeping the history: past the retention forgotten, changed series saved, every minute
/// and once more as the hub stops.
pub struct HistoryKeeper {
    history: std::sync::Arc<History>,
    store: Store,
}

impl HistoryKeeper {
    pub fn new(history: std::sync::Arc<History>, store: Store) -> HistoryKeeper {
        HistoryKeeper { history, store }
    }
}

#[async_trait::async_trait]
impl crate::jobs::Job for HistoryKeeper {
    fn name(&self) -> &'static str {
        "history"
    }

    async fn run_once(&self) -> Result<(), crate::BackendError> {
        self.history.prune(crate::now_ms());
        let n = save_dirty(&self.history, &self.store).await?;
        if n > 0 {
            tracing::debug!(series = n, "history saved");
        }
        Ok(())
    }
}
