//! Leases on work that one hub of several sharing a store does at a time: the holder renews
//! its lease while it works; another hub takes it when the holder lets it run out.

use super::Store;

/// Takes the lease `name` for `owner` until `until`, or renews it: true when `owner` holds
/// it now (it was free, run out at `now`, or already its own).
pub async fn hold(store: &Store, name: &str, owner: &str, now: i64, until: i64) -> Result<bool, sqlx::Error> {
    let taken = sqlx::query(
        "INSERT INTO hub_leases (name, owner, until_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, until_ms = excluded.until_ms \
         WHERE hub_leases.owner = excluded.owner OR hub_leases.until_ms < $4",
    )
    .bind(name)
    .bind(owner)
    .bind(until)
    .bind(now)
    .execute(store.pool())
    .await?;
    Ok(taken.rows_affected() > 0)
}

/// Gives the lease up (a hub shutting down), so that another takes it at once.
pub async fn release(store: &Store, name: &str, owner: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE hub_leases SET until_ms = 0 WHERE name = $1 AND owner = $2")
        .bind(name)
        .bind(owner)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// Who holds `name`, and until when.
pub async fn holder(store: &Store, name: &str) -> Result<Option<(String, i64)>, sqlx::Error> {
    sqlx::query_as("SELECT owner, until_ms FROM hub_leases WHERE name = $1")
        .bind(name)
        .fetch_optional(store.pool())
        .await
}
