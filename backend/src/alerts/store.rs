//! The SQL of alerts (portable): episodes, the notification outbox, delivery attempts,
//! silences.

use crate::store::Store;
use std::collections::BTreeMap;
use types::alerts::{AlertState, AlertView, ContextRow, DeliveryView, SilenceView};

/// A new episode, as the evaluator opens it.
pub struct NewAlert<'a> {
    pub rule: &'a str,
    pub service: &'a str,
    pub state: AlertState,
    pub severity: &'a str,
    pub signal: &'a str,
    pub comparison: &'a str,
    pub value: f64,
    pub threshold: Option<f64>,
    pub worst_instance: Option<&'a str>,
    pub onset_ms: i64,
    pub labels: &'a BTreeMap<String, String>,
}

pub async fn insert(store: &Store, a: &NewAlert<'_>) -> Result<i64, sqlx::Error> {
    let labels = serde_json::to_string(a.labels).unwrap_or_else(|_| "{}".into());
    sqlx::query_scalar(
        "INSERT INTO alerts (rule, service, state, severity, signal, comparison, value, threshold, \
         worst_instance, onset_ms, updated_ms, context, traces, labels) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, '[]', '[]', $11) RETURNING id",
    )
    .bind(a.rule)
    .bind(a.service)
    .bind(a.state.as_str())
    .bind(a.severity)
    .bind(a.signal)
    .bind(a.comparison)
    .bind(a.value)
    .bind(a.threshold)
    .bind(a.worst_instance)
    .bind(a.onset_ms)
    .bind(labels)
    .fetch_one(store.pool())
    .await
}

/// The latest value of a pending or firing episode, and of a firing one what the failures
/// share (`context`: rows and example traces), in one statement.
pub async fn update_value(
    store: &Store,
    id: i64,
    reading: (f64, Option<f64>, Option<&str>),
    now: i64,
    context: Option<(&[ContextRow], &[String])>,
) -> Result<(), sqlx::Error> {
    let (value, threshold, worst) = reading;
    let sql = if context.is_some() {
        "UPDATE alerts SET value = $1, threshold = $2, worst_instance = $3, updated_ms = $4, \
         context = $6, traces = $7 WHERE id = $5"
    } else {
        "UPDATE alerts SET value = $1, threshold = $2, worst_instance = $3, updated_ms = $4 WHERE id = $5"
    };
    let mut query = sqlx::query(sql).bind(value).bind(threshold).bind(worst).bind(now).bind(id);
    if let Some((rows, traces)) = context {
        query = query
            .bind(serde_json::to_string(rows).unwrap_or_else(|_| "[]".into()))
            .bind(serde_json::to_string(traces).unwrap_or_else(|_| "[]".into()));
    }
    query.execute(store.pool()).await?;
    Ok(())
}

/// Fires an episode with its context, and queues its notices in the same transaction (so a
/// hub that stops right after firing still sends them).
pub async fn fire(
    store: &Store,
    id: i64,
    now: i64,
    context: &[ContextRow],
    traces: &[String],
    notices: &[Queued],
) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE alerts SET state = 'firing', fired_ms = $1, updated_ms = $1, context = $2, traces = $3 WHERE id = $4")
        .bind(now)
        .bind(serde_json::to_string(context).unwrap_or_else(|_| "[]".into()))
        .bind(serde_json::to_string(traces).unwrap_or_else(|_| "[]".into()))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for q in notices {
        queue_in(&mut tx, id, &q.receiver, "firing", q.state, (now, q.due_ms)).await?;
    }
    tx.commit().await
}

/// Resolves an episode and queues its resolve notices.
pub async fn resolve(store: &Store, id: i64, now: i64, notices: &[Queued]) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    sqlx::query("UPDATE alerts SET state = 'resolved', resolved_ms = $1, updated_ms = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for q in notices {
        queue_in(&mut tx, id, &q.receiver, "resolved", q.state, (now, q.due_ms)).await?;
    }
    tx.commit().await
}

/// A pending episode whose condition cleared before its `for`: it never was an alert.
pub async fn drop_pending(store: &Store, id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM alerts WHERE id = $1 AND state = 'pending'")
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn set_capture(store: &Store, id: i64, capture: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE alerts SET capture_id = $1 WHERE id = $2")
        .bind(capture)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

pub async fn ack(store: &Store, id: i64, by: &str, now: i64) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE alerts SET acked_by = $1, acked_ms = $2 WHERE id = $3 AND acked_ms IS NULL")
            .bind(by)
            .bind(now)
            .bind(id)
            .execute(store.pool())
            .await?;
    Ok(done.rows_affected() > 0)
}

/// A notice to queue: for whom, `due` or `silenced`, and when it goes out (later than now
/// while its group waits).
#[derive(Clone, Debug, PartialEq)]
pub struct Queued {
    pub receiver: String,
    pub state: &'static str,
    pub due_ms: i64,
}

/// Firing notices of `receiver` held for their group's wait, with their alerts' labels.
pub async fn waiting(store: &Store, receiver: &str, now: i64) -> Result<Vec<(i64, String)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT n.due_ms, a.labels FROM alert_notifications n JOIN alerts a ON a.id = n.alert_id \
         WHERE n.receiver = $1 AND n.kind = 'firing' AND n.state = 'due' AND n.attempts = 0 AND n.due_ms > $2",
    )
    .bind(receiver)
    .bind(now)
    .fetch_all(store.pool())
    .await
}

async fn queue_in(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    alert: i64,
    receiver: &str,
    kind: &str,
    state: &str,
    (now, due_ms): (i64, i64),
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO alert_notifications (alert_id, receiver, kind, state, due_ms, attempts, created_ms) \
         VALUES ($1, $2, $3, $4, $5, 0, $6)",
    )
    .bind(alert)
    .bind(receiver)
    .bind(kind)
    .bind(state)
    .bind(due_ms)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Queues one more notice (a repeat).
pub async fn queue(
    store: &Store,
    alert: i64,
    receiver: &str,
    kind: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    queue_in(&mut tx, alert, receiver, kind, "due", (now, now)).await?;
    tx.commit().await
}

const COLUMNS: &str =
    "id, rule, service, state, severity, signal, comparison, value, threshold, worst_instance, \
     onset_ms, fired_ms, resolved_ms, context, traces, labels, capture_id, acked_by, acked_ms";

type Row = (
    (i64, String, String, String, String, String, String),
    (Option<f64>, Option<f64>, Option<String>, i64, Option<i64>, Option<i64>),
    (String, String, String, Option<i64>, Option<String>, Option<i64>),
);

fn row(r: &sqlx::any::AnyRow) -> Result<Row, sqlx::Error> {
    use sqlx::Row as _;
    Ok((
        (
            r.try_get(0)?,
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            r.try_get(5)?,
            r.try_get(6)?,
        ),
        (r.try_get(7)?, r.try_get(8)?, r.try_get(9)?, r.try_get(10)?, r.try_get(11)?, r.try_get(12)?),
        (r.try_get(13)?, r.try_get(14)?, r.try_get(15)?, r.try_get(16)?, r.try_get(17)?, r.try_get(18)?),
    ))
}

fn view(r: Row) -> AlertView {
    let (
        (id, rule, service, state, severity, signal, comparison),
        (value, threshold, worst, onset, fired, resolved),
        rest,
    ) = r;
    let (context, traces, labels, capture_id, acked_by, acked_ms) = rest;
    AlertView {
        id,
        rule,
        service,
        state: AlertState::parse(&state).unwrap_or(AlertState::Resolved),
        severity,
        value,
        threshold,
        signal,
        comparison,
        onset_ms: onset,
        fired_ms: fired,
        resolved_ms: resolved,
        context: serde_json::from_str(&context).unwrap_or_default(),
        traces: serde_json::from_str(&traces).unwrap_or_default(),
        worst_instance: worst,
        labels: serde_json::from_str(&labels).unwrap_or_default(),
        capture_id,
        acked_by,
        acked_ms,
        silenced: false,
        delivered_ms: None,
    }
}

/// Episodes, newest first: in one state, or all; at most `limit`.
pub async fn list(
    store: &Store,
    state: Option<AlertState>,
    limit: i64,
) -> Result<Vec<AlertView>, sqlx::Error> {
    let sql = match state {
        Some(_) => {
            format!("SELECT {COLUMNS} FROM alerts WHERE state = $1 ORDER BY onset_ms DESC, id DESC LIMIT $2")
        }
        None => {
            format!("SELECT {COLUMNS} FROM alerts WHERE state <> $1 ORDER BY onset_ms DESC, id DESC LIMIT $2")
        }
    };
    let filter = state.map_or("-", AlertState::as_str);
    let rows = sqlx::query(&sql).bind(filter).bind(limit).fetch_all(store.pool()).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        out.push(view(row(r)?));
    }
    delivered(store, &mut out).await?;
    Ok(out)
}

pub async fn get(store: &Store, id: i64) -> Result<Option<AlertView>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM alerts WHERE id = $1");
    let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(store.pool()).await? else { return Ok(None) };
    let mut out = vec![view(row(&r)?)];
    delivered(store, &mut out).await?;
    Ok(out.pop())
}

/// When each alert's firing notice was first delivered.
async fn delivered(store: &Store, alerts: &mut [AlertView]) -> Result<(), sqlx::Error> {
    for a in alerts.iter_mut().filter(|a| a.fired_ms.is_some()) {
        a.delivered_ms = sqlx::query_scalar(
            "SELECT min(sent_ms) FROM alert_notifications WHERE alert_id = $1 AND kind = 'firing' AND state = 'sent'",
        )
        .bind(a.id)
        .fetch_one(store.pool())
        .await?;
    }
    Ok(())
}

/// The episodes still open (pending or firing), for the evaluator after a restart.
pub async fn open(store: &Store) -> Result<Vec<AlertView>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM alerts WHERE state IN ('pending', 'firing') ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(store.pool()).await?;
    rows.iter().map(|r| row(r).map(view)).collect()
}

/// A notification the delivery job claimed.
#[derive(Clone, Debug)]
pub struct Due {
    pub id: i64,
    pub alert_id: i64,
    pub receiver: String,
    pub kind: String,
    pub attempts: i64,
    pub created_ms: i64,
}

/// Claims up to `limit` due notifications for `owner` until `lease_until`: a row another hub
/// holds under a live lease is left to it.
pub async fn claim_due(
    store: &Store,
    owner: &str,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<Due>, sqlx::Error> {
    let lock = store.skip_locked();
    let rows: Vec<(i64, i64, String, String, i64, i64)> = sqlx::query_as(&format!(
        "UPDATE alert_notifications SET owner = $1, lease_ms = $2 \
         WHERE id IN (SELECT id FROM alert_notifications WHERE state = 'due' AND due_ms <= $3 \
         AND (lease_ms IS NULL OR lease_ms < $3) ORDER BY due_ms, id LIMIT $4 {lock}) \
         RETURNING id, alert_id, receiver, kind, attempts, created_ms"
    ))
    .bind(owner)
    .bind(lease_until)
    .bind(now)
    .bind(limit)
    .fetch_all(store.pool())
    .await?;
    let mut claimed: Vec<Due> = rows
        .into_iter()
        .map(|(id, alert_id, receiver, kind, attempts, created_ms)| Due {
            id,
            alert_id,
            receiver,
            kind,
            attempts,
            created_ms,
        })
        .collect();
    // RETURNING keeps no order: the oldest first, as queued.
    claimed.sort_by_key(|d| d.id);
    Ok(claimed)
}

/// One attempt's outcome: the log row, and the notification sent, retried later or given up.
pub struct Attempted<'a> {
    pub due: &'a Due,
    pub at_ms: i64,
    pub status: Option<i64>,
    pub latency_ms: i64,
    pub error: Option<&'a str>,
    /// `sent`, `due` (again at `next_ms`) or `failed`.
    pub state: &'static str,
    pub next_ms: i64,
}

pub async fn attempted(store: &Store, a: &Attempted<'_>) -> Result<(), sqlx::Error> {
    let mut tx = store.pool().begin().await?;
    sqlx::query(
        "INSERT INTO alert_deliveries (notification_id, alert_id, receiver, kind, at_ms, status, latency_ms, error) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(a.due.id)
    .bind(a.due.alert_id)
    .bind(&a.due.receiver)
    .bind(&a.due.kind)
    .bind(a.at_ms)
    .bind(a.status)
    .bind(a.latency_ms)
    .bind(a.error)
    .execute(&mut *tx)
    .await?;
    let sent = (a.state == "sent").then_some(a.at_ms + a.latency_ms);
    sqlx::query(
        "UPDATE alert_notifications SET state = $1, attempts = attempts + 1, due_ms = $2, sent_ms = $3, \
         owner = NULL, lease_ms = NULL WHERE id = $4",
    )
    .bind(a.state)
    .bind(a.next_ms)
    .bind(sent)
    .bind(a.due.id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// The next time a notification falls due (to sleep until then).
pub async fn next_due(store: &Store) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT min(due_ms) FROM alert_notifications WHERE state = 'due'")
        .fetch_one(store.pool())
        .await
}

pub async fn deliveries(store: &Store, alert: i64) -> Result<Vec<DeliveryView>, sqlx::Error> {
    type DeliveryRow = (String, String, i64, Option<i64>, i64, Option<String>);
    let rows: Vec<DeliveryRow> = sqlx::query_as(
        "SELECT receiver, kind, at_ms, status, latency_ms, error FROM alert_deliveries WHERE alert_id = $1 ORDER BY at_ms, id",
    )
    .bind(alert)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(receiver, kind, at_ms, status, latency_ms, error)| DeliveryView {
            receiver,
            kind,
            at_ms,
            status,
            latency_ms,
            error,
        })
        .collect())
}

/// Receivers with a notice of this alert still due.
pub async fn still_due(store: &Store, alert: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT receiver FROM alert_notifications WHERE alert_id = $1 AND state = 'due' ORDER BY id",
    )
    .bind(alert)
    .fetch_all(store.pool())
    .await
}

/// Firing, unacknowledged alerts whose last notice to a receiver went out before `before`.
pub async fn repeats_due(store: &Store, receiver: &str, before: i64) -> Result<Vec<i64>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT a.id FROM alerts a WHERE a.state = 'firing' AND a.acked_ms IS NULL AND \
         (SELECT max(n.created_ms) FROM alert_notifications n WHERE n.alert_id = a.id AND n.receiver = $1 \
          AND n.state IN ('sent', 'due')) < $2",
    )
    .bind(receiver)
    .bind(before)
    .fetch_all(store.pool())
    .await
}

pub async fn insert_silence(
    store: &Store,
    matchers: &BTreeMap<String, String>,
    starts_ms: i64,
    ends_ms: i64,
    comment: &str,
    by: &str,
    now: i64,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO alert_silences (matchers, starts_ms, ends_ms, comment, created_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(serde_json::to_string(matchers).unwrap_or_else(|_| "{}".into()))
    .bind(starts_ms)
    .bind(ends_ms)
    .bind(comment)
    .bind(by)
    .bind(now)
    .fetch_one(store.pool())
    .await
}

/// Silences not yet over at `now`, newest first.
pub async fn silences(store: &Store, now: i64) -> Result<Vec<SilenceView>, sqlx::Error> {
    let rows: Vec<(i64, String, i64, i64, String, String, i64)> = sqlx::query_as(
        "SELECT id, matchers, starts_ms, ends_ms, comment, created_by, created_ms FROM alert_silences \
         WHERE ends_ms > $1 ORDER BY created_ms DESC, id DESC",
    )
    .bind(now)
    .fetch_all(store.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, matchers, starts_ms, ends_ms, comment, created_by, created_ms)| SilenceView {
            id,
            matchers: serde_json::from_str(&matchers).unwrap_or_default(),
            starts_ms,
            ends_ms,
            comment,
            created_by,
            created_ms,
        })
        .collect())
}

/// Ends a silence now; false when there is no such silence still running.
pub async fn end_silence(store: &Store, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE alert_silences SET ends_ms = $1 WHERE id = $2 AND ends_ms > $1")
        .bind(now)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() > 0)
}
