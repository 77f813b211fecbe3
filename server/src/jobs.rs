//! Background jobs of the hub: each runs until the shutdown token is cancelled.

use backend::Hub;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub fn start(hub: &Hub, tracker: &TaskTracker, shutdown: &CancellationToken) {
    let sessions = hub.sessions.clone();
    let shutdown = shutdown.clone();
    tracker.spawn(async move {
        let mut every = tokio::time::interval(Duration::from_secs(600));
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                _ = every.tick() => match sessions.delete_expired().await {
                    Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
                },
            }
        }
    });
}
