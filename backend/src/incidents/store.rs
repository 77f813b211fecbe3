//! The SQL of incidents (portable): the alerts that fired, with the status and notes people
//! gave them.

use crate::store::Store;
use sqlx::Row;
use types::incidents::{IncidentNote, IncidentStatus, IncidentSummary};

pub async fn list(store: &Store, limit: i64) -> Result<Vec<IncidentSummary>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.id, a.rule, a.service, a.severity, a.state, a.fired_ms, a.resolved_ms, i.status, \
         (SELECT COUNT(*) FROM incident_notes n WHERE n.alert_id = a.id) AS notes \
         FROM alerts a LEFT JOIN incidents i ON i.alert_id = a.id \
         WHERE a.fired_ms IS NOT NULL ORDER BY a.fired_ms DESC, a.id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let status: Option<String> = r.try_get("status")?;
            Ok(IncidentSummary {
                id: r.try_get("id")?,
                rule: r.try_get("rule")?,
                service: r.try_get("service")?,
                severity: r.try_get("severity")?,
                status: status
                    .as_deref()
                    .and_then(IncidentStatus::parse)
                    .unwrap_or(IncidentStatus::Investigating),
                opened_ms: r.try_get("fired_ms")?,
                alert_state: r.try_get("state")?,
                alert_resolved_ms: r.try_get("resolved_ms")?,
                notes: r.try_get("notes")?,
            })
        })
        .collect()
}

pub async fn status(store: &Store, id: i64) -> Result<IncidentStatus, sqlx::Error> {
    let s: Option<String> = sqlx::query_scalar("SELECT status FROM incidents WHERE alert_id = $1")
        .bind(id)
        .fetch_optional(store.pool())
        .await?;
    Ok(s.as_deref().and_then(IncidentStatus::parse).unwrap_or(IncidentStatus::Investigating))
}

pub async fn notes(store: &Store, id: i64) -> Result<Vec<IncidentNote>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, author, body, status, created_ms FROM incident_notes WHERE alert_id = $1 ORDER BY created_ms, id",
    )
    .bind(id)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let status: Option<String> = r.try_get("status")?;
            Ok(IncidentNote {
                id: r.try_get("id")?,
                author: r.try_get("author")?,
                body: r.try_get("body")?,
                status: status.as_deref().and_then(IncidentStatus::parse),
                created_ms: r.try_get("created_ms")?,
            })
        })
        .collect()
}

/// A note, and with it the new status when it sets one: one transaction.
pub async fn add_note(
    store: &Store,
    id: i64,
    author: &str,
    body: &str,
    status: Option<IncidentStatus>,
    now: i64,
) -> Result<IncidentNote, sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    let note_id: i64 = sqlx::query_scalar(
        "INSERT INTO incident_notes (alert_id, author, body, status, created_ms) VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(id)
    .bind(author)
    .bind(body)
    .bind(status.map(IncidentStatus::as_str))
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    if let Some(s) = status {
        sqlx::query(
            "INSERT INTO incidents (alert_id, status, updated_ms, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (alert_id) DO UPDATE SET status = $2, updated_ms = $3, updated_by = $4",
        )
        .bind(id)
        .bind(s.as_str())
        .bind(now)
        .bind(author)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(IncidentNote {
        id: note_id,
        author: author.to_string(),
        body: body.to_string(),
        status,
        created_ms: now,
    })
}
