use super::AuditEvent;
use crate::store::Store;
use types::{AuditEntryView, AuditFilter};

pub(super) async fn insert(store: &Store, e: &AuditEvent<'_>, at_ms: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO audit_log (at_ms, actor, action, target, outcome, source) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(at_ms)
    .bind(e.actor)
    .bind(e.action)
    .bind(e.target)
    .bind(e.outcome.as_str())
    .bind(e.source)
    .execute(store.pool())
    .await?;
    Ok(())
}

type Row = (i64, i64, String, String, String, String, String);

pub(super) async fn list(
    store: &Store,
    f: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEntryView>, sqlx::Error> {
    // Empty filters match everything; the same statement serves every combination.
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT id, at_ms, actor, action, target, outcome, source FROM audit_log \
         WHERE ($1 = '' OR actor = $1) AND ($2 = '' OR action LIKE $2) AND ($3 = '' OR outcome = $3) \
         AND id < $4 AND at_ms >= $5 ORDER BY id DESC LIMIT $6",
    )
    .bind(f.actor.clone().unwrap_or_default())
    .bind(f.action.as_ref().map(|a| format!("{a}%")).unwrap_or_default())
    .bind(f.outcome.clone().unwrap_or_default())
    .bind(f.before_id.unwrap_or(i64::MAX))
    .bind(f.since_ms.unwrap_or(0))
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, at_ms, actor, action, target, outcome, source)| AuditEntryView {
            id,
            at_ms,
            actor,
            action,
            target,
            outcome,
            source,
        })
        .collect())
}
