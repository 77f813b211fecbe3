//! The delivery job: sends each due notification as soon as it is queued (the evaluator
//! wakes it), retries a receiver that failed with exponential backoff (1 s doubling to a
//! minute, for a day), logs every attempt, and queues repeats of firing alerts nobody
//! acknowledged. Notifications live in the store: a restart sends what was due, and a row
//! is claimed under a lease so two hubs on one store never both send it.

use super::group::Group;
use super::payload::Notice;
use super::store::{self, Attempted, Due};
use super::Alerts;
use crate::config::alerts::WebhookFormat;
use crate::now_ms;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use types::alerts::AlertView;

/// How long a claimed notification is this hub's.
const LEASE_MS: i64 = 30_000;
/// A notification not delivered within this is given up.
const GIVE_UP_MS: i64 = 24 * 3_600_000;
const MAX_BACKOFF_MS: i64 = 60_000;
/// How often repeats are looked for.
const REPEAT_EVERY_MS: i64 = 5_000;

/// The wait before attempt `n + 1` after `n` failures.
pub(super) fn backoff_ms(failures: i64) -> i64 {
    let shift = u32::try_from(failures.clamp(0, 16)).unwrap_or(16);
    (1000_i64 << shift).min(MAX_BACKOFF_MS)
}

impl Alerts {
    /// Delivers notifications until `stop`.
    pub async fn deliver(&self, stop: CancellationToken) {
        let mut repeats_checked = 0;
        while !stop.is_cancelled() {
            let now = now_ms();
            match store::claim_due(&self.store, &self.owner, now, now + LEASE_MS, 32).await {
                Ok(due) if !due.is_empty() => {
                    let batches = self.batches(due).await;
                    futures::future::join_all(batches.iter().map(|b| self.send(b))).await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "alerts: cannot read the notifications due"),
            }
            // Repeats are queued by the hub that evaluates (two hubs would queue each twice).
            if now - repeats_checked >= REPEAT_EVERY_MS && self.evaluates(now) {
                repeats_checked = now;
                self.queue_repeats(now).await;
            }
            let next = store::next_due(&self.store).await.ok().flatten();
            let wait = next.map_or(1000, |t| (t - now_ms()).clamp(10, 1000));
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(1000))) => {}
            }
        }
        // A hub stopping hands the evaluation to another at once, not when its lease runs out.
        if self.evaluates(now_ms()) {
            let released =
                crate::store::lease::release(&self.store, super::eval::EVALUATION_LEASE, &self.owner);
            if let Err(e) = released.await {
                tracing::warn!(error = %e, "alerts: cannot give the evaluation lease up");
            }
        }
    }

    async fn queue_repeats(&self, now: i64) {
        let config = self.catalog.config();
        for r in &config.receivers {
            let every = super::eval::ms(r.repeat_interval());
            let name = r.name.get_ref();
            match store::repeats_due(&self.store, name, now - every).await {
                Ok(ids) => {
                    for id in ids {
                        if let Err(e) = store::queue(&self.store, id, name, "repeat", now).await {
                            tracing::warn!(alert = id, receiver = %name, error = %e, "alerts: cannot queue a repeat");
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "alerts: cannot look for repeats"),
            }
        }
    }

    /// The claimed notifications in the posts they go out in: one per receiver and group
    /// (the receiver's `group_by` labels' values). A notification whose alert or receiver is
    /// gone goes alone, to fail with the reason.
    async fn batches(&self, due: Vec<Due>) -> Vec<Batch> {
        let config = self.catalog.config();
        let mut out: Vec<Batch> = Vec::new();
        for d in due {
            let alert = match store::get(&self.store, d.alert_id).await {
                Ok(a) => a,
                Err(e) => {
                    tracing::warn!(alert = d.alert_id, error = %e, "alerts: cannot read an alert to notify");
                    None
                }
            };
            let receiver = config.receivers.iter().find(|r| r.name.get_ref() == &d.receiver);
            let key = match (&alert, receiver) {
                (Some(a), Some(r)) => Some(r.group_key(&a.labels)),
                _ => None,
            };
            let joins = out.iter_mut().find(|b| key.is_some() && b.receiver == d.receiver && b.key == key);
            match joins {
                Some(b) => b.items.push((d, alert)),
                None => out.push(Batch { receiver: d.receiver.clone(), key, items: vec![(d, alert)] }),
            }
        }
        out
    }

    /// One attempt at one post; its outcome is logged and saved for each notification in it.
    async fn send(&self, batch: &Batch) {
        let at = now_ms();
        let outcome = self.post(batch, at).await;
        let latency_ms = now_ms() - at;
        let (status, error) = match &outcome {
            Ok(status) => (Some(*status), None),
            Err((status, why)) => (*status, Some(why.clone())),
        };
        for (due, alert) in &batch.items {
            let (state, next_ms) = match (&outcome, at - due.created_ms >= GIVE_UP_MS) {
                (Ok(_), _) => ("sent", at),
                (Err(_), true) => ("failed", at),
                (Err(_), false) => ("due", at + backoff_ms(due.attempts)),
            };
            self.delivery.attempt(&due.receiver, if state == "due" { "retry" } else { state });
            if let (Ok(_), Some(a), "firing") = (&outcome, alert, due.kind.as_str()) {
                self.delivery.delivered(&due.receiver, a.onset_ms, a.fired_ms, at + latency_ms);
            }
            match &outcome {
                Ok(_) => {
                    tracing::info!(alert = due.alert_id, receiver = %due.receiver, kind = %due.kind, latency_ms, grouped = batch.items.len(), "alert notification delivered")
                }
                Err((_, why)) => {
                    tracing::warn!(alert = due.alert_id, receiver = %due.receiver, kind = %due.kind, attempt = due.attempts + 1, error = %why, retry = state == "due", "alert notification failed")
                }
            }
            let attempt =
                Attempted { due, at_ms: at, status, latency_ms, error: error.as_deref(), state, next_ms };
            if let Err(e) = store::attempted(&self.store, &attempt).await {
                tracing::warn!(alert = due.alert_id, error = %e, "alerts: cannot save a delivery attempt");
            }
        }
    }

    /// Posts the batch's notices in one body; the receiver's HTTP status, or why it failed.
    async fn post(&self, batch: &Batch, at: i64) -> Result<i64, (Option<i64>, String)> {
        let config = self.catalog.config();
        let Some(receiver) = config.receivers.iter().find(|r| r.name.get_ref() == &batch.receiver) else {
            return Err((None, format!("receiver {} is no longer in the config", batch.receiver)));
        };
        let mut alerts = Vec::new();
        for (due, alert) in &batch.items {
            let Some(alert) = alert else {
                return Err((None, format!("alert #{} cannot be read", due.alert_id)));
            };
            alerts.push((due, alert, self.changes_before(alert).await));
        }
        let notices = alerts
            .iter()
            .map(|(due, alert, changes)| Notice {
                alert,
                kind: &due.kind,
                receiver: &due.receiver,
                public_url: &config.hub.public_url,
                sent_ms: at,
                changes,
            })
            .collect();
        let labels = batch.key.clone().unwrap_or_default();
        let group =
            Group { notices, receiver: &batch.receiver, labels: &labels, public_url: &config.hub.public_url };
        let (url, body) = match (&receiver.webhook, &receiver.alertmanager) {
            (Some(w), _) => {
                let body = match w.format {
                    WebhookFormat::Alertmanager => group.alertmanager_webhook(),
                    WebhookFormat::Slack => group.slack(),
                    WebhookFormat::Json => group.json(),
                };
                (w.url.get_ref().clone(), body)
            }
            (None, Some(am)) => (
                format!("{}/api/v2/alerts", am.url.get_ref().trim_end_matches('/')),
                group.alertmanager_api(),
            ),
            (None, None) => return Err((None, "the receiver has no URL".into())),
        };
        let url = self.catalog.receiver_url(&url).map_err(|why| (None, why))?;
        match self.http.post(&url).json(&body).send().await {
            Ok(res) if res.status().is_success() => Ok(i64::from(res.status().as_u16())),
            Ok(res) => Err((
                Some(i64::from(res.status().as_u16())),
                format!("the receiver answered {}", res.status()),
            )),
            Err(e) => Err((None, crate::http::describe(&e))),
        }
    }
}

/// Notifications that go out in one post.
struct Batch {
    receiver: String,
    /// The group's labels; None for a notification that cannot be grouped (alert or
    /// receiver gone).
    key: Option<Vec<(String, String)>>,
    items: Vec<(Due, Option<AlertView>)>,
}

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_from_a_second_to_a_minute() {
        let waits: Vec<i64> = (0..8).map(super::backoff_ms).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    }
}
