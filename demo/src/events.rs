//! A service's request outcomes, pushed to the hub (`POST $SWITCHBOARD_HUB_URL/api/v1/events`
//! with the token in `$SWITCHBOARD_SERVICE_TOKEN`, bound to the service) in batches every
//! 250 ms: the events the hub's alerts read with `source = "events"`. Without the two
//! variables nothing is pushed; a full queue drops events rather than slow a request down.

use std::time::Duration;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Events waiting to be sent; more are dropped.
const QUEUE: usize = 20_000;
/// The most events one batch carries (the hub's limit is 5000).
const BATCH: usize = 2_000;

pub struct EventSink {
    tx: mpsc::Sender<serde_json::Value>,
}

impl EventSink {
    /// A sink sending to the hub named by the environment, or None when it names none.
    pub fn from_env(stop: CancellationToken) -> Option<EventSink> {
        let hub = std::env::var("SWITCHBOARD_HUB_URL").ok().filter(|u| !u.is_empty())?;
        let token = std::env::var("SWITCHBOARD_SERVICE_TOKEN").ok().filter(|t| !t.is_empty())?;
        let url = format!("{}/api/v1/events", hub.trim_end_matches('/'));
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(send(url, token, rx, stop));
        Some(EventSink { tx })
    }

    pub fn push(&self, event: serde_json::Value) {
        let _ = self.tx.try_send(event);
    }
}

async fn send(
    url: String,
    token: String,
    mut rx: mpsc::Receiver<serde_json::Value>,
    stop: CancellationToken,
) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().unwrap_or_default();
    let mut tick = tokio::time::interval(Duration::from_millis(250));
    let mut last_complaint: Option<std::time::Instant> = None;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let mut batch = Vec::new();
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(e) => batch.push(e),
                Err(_) => break,
            }
        }
        if batch.is_empty() {
            continue;
        }
        let res = client.post(&url).bearer_auth(&token).json(&batch).send().await;
        let failed = match res {
            Ok(r) if r.status().is_success() => None,
            Ok(r) => Some(format!("the hub answered {}: {}", r.status(), r.text().await.unwrap_or_default())),
            Err(e) => Some(e.to_string()),
        };
        // Said once a minute at most: a hub that is down must not flood the log.
        if let Some(why) = failed {
            if last_complaint.is_none_or(|t| t.elapsed() > Duration::from_secs(60)) {
                tracing::warn!(error = %why, events = batch.len(), "could not push events to the hub");
                last_complaint = Some(std::time::Instant::now());
            }
        }
    }
}
