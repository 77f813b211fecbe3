//! The delivery job: sends each due notification as soon as it is queued (the evaluator
//! wakes it), retries a receiver that failed with exponential backoff (1 s doubling to a
//! minute, for a day), logs every attempt, and queues repeats of firing alerts nobody
//! acknowledged. Notifications live in the store: a restart sends what was due, and a row
//! is claimed under a lease so two hubs on one store never both send it.

use super::payload::Notice;
use super::store::{self, Attempted, Due};
use super::Alerts;
use crate::config::alerts::WebhookFormat;
use crate::now_ms;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

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
                    futures::future::join_all(due.iter().map(|d| self.send(d))).await;
                    continue;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "alerts: cannot read the notifications due"),
            }
            if now - repeats_checked >= REPEAT_EVERY_MS {
                repeats_checked = now;
                self.queue_repeats(now).await;
            }
            let next = store::next_due(&self.store).await.ok().flatten();
            let wait = next.map_or(1000, |t| (t - now_ms()).clamp(10, 1000));
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(1000))) => {}
            }
        }
    }

    async fn queue_repeats(&self, now: i64) {
        let config = self.catalog.config();
        for r in &config.receivers {
            let every = i64::try_from(r.repeat_interval().as_millis()).unwrap_or(i64::MAX);
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

    /// One attempt at one notification; its outcome is logged and saved.
    async fn send(&self, due: &Due) {
        let at = now_ms();
        let outcome = self.post(due, at).await;
        let latency_ms = now_ms() - at;
        let (status, error) = match &outcome {
            Ok(status) => (Some(*status), None),
            Err((status, why)) => (*status, Some(why.clone())),
        };
        let (state, next_ms) = match (&outcome, at - due.created_ms >= GIVE_UP_MS) {
            (Ok(_), _) => ("sent", at),
            (Err(_), true) => ("failed", at),
            (Err(_), false) => ("due", at + backoff_ms(due.attempts)),
        };
        match &outcome {
            Ok(_) => {
                tracing::info!(alert = due.alert_id, receiver = %due.receiver, kind = %due.kind, latency_ms, "alert notification delivered")
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

    /// Posts the notice; the receiver's HTTP status, or why it failed.
    async fn post(&self, due: &Due, at: i64) -> Result<i64, (Option<i64>, String)> {
        let config = self.catalog.config();
        let Some(receiver) = config.receivers.iter().find(|r| r.name.get_ref() == &due.receiver) else {
            return Err((None, format!("receiver {} is no longer in the config", due.receiver)));
        };
        let alert = match store::get(&self.store, due.alert_id).await {
            Ok(Some(a)) => a,
            Ok(None) => return Err((None, format!("alert #{} is gone", due.alert_id))),
            Err(e) => return Err((None, format!("the store: {e}"))),
        };
        let notice = Notice {
            alert: &alert,
            kind: &due.kind,
            receiver: &due.receiver,
            public_url: &config.hub.public_url,
            sent_ms: at,
        };
        let (url, body) = match (&receiver.webhook, &receiver.alertmanager) {
            (Some(w), _) => {
                let body = match w.format {
                    WebhookFormat::Alertmanager => notice.alertmanager_webhook(),
                    WebhookFormat::Slack => notice.slack(),
                    WebhookFormat::Json => notice.json(),
                };
                (w.url.get_ref().clone(), body)
            }
            (None, Some(am)) => (
                format!("{}/api/v2/alerts", am.url.get_ref().trim_end_matches('/')),
                notice.alertmanager_api(),
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

#[cfg(test)]
mod tests {
    #[test]
    fn backoff_doubles_from_a_second_to_a_minute() {
        let waits: Vec<i64> = (0..8).map(super::backoff_ms).collect();
        assert_eq!(waits, [1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000]);
    }
}
