//! Background jobs of the hub: each runs until the shutdown token is cancelled.

use backend::Hub;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub fn start(hub: &Hub, tracker: &TaskTracker, shutdown: &CancellationToken) {
    tracker.spawn(backend::catalog::scraper::run(hub.catalog.clone(), shutdown.clone()));
    tracker.spawn(reload_on_sighup(hub.clone(), shutdown.clone()));
    tracker.spawn(keep_history(hub.clone(), shutdown.clone()));
    tracker.spawn(prune_captures(hub.clone(), shutdown.clone()));
    tracker.spawn(capture_triggers(hub.clone(), shutdown.clone()));
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

/// SIGHUP re-reads the config file, as an admin's Reload would.
async fn reload_on_sighup(hub: Hub, shutdown: CancellationToken) {
    #[cfg(unix)]
    {
        let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
            tracing::warn!("SIGHUP cannot be watched; reload from the Config page");
            return;
        };
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = hangups.recv() => match hub.catalog.reload(None, "SIGHUP").await {
                    Ok(outcome) if outcome.applied => tracing::info!("config reloaded on SIGHUP"),
                    Ok(outcome) => tracing::warn!(error = ?outcome.error, "config reload on SIGHUP refused"),
                    Err(e) => tracing::error!(error = %e, "config reload on SIGHUP failed"),
                },
            }
        }
    }
    #[cfg(not(unix))]
    shutdown.cancelled().await;
}

/// Saves changed series to the store every minute and once more at shutdown, and forgets
/// what is past the retention.
async fn keep_history(hub: Hub, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(60));
    every.tick().await;
    loop {
        let last = tokio::select! {
            () = shutdown.cancelled() => true,
            _ = every.tick() => false,
        };
        hub.catalog.history.prune(backend::now_ms());
        match backend::metrics::history::save_dirty(&hub.catalog.history, &hub.store).await {
            Ok(n) if n > 0 => tracing::debug!(series = n, "history saved"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not save metric history; will retry"),
        }
        if last {
            return;
        }
    }
}

/// Applies the captures' retention policy at start and every ten minutes.
async fn prune_captures(hub: Hub, shutdown: CancellationToken) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            _ = every.tick() => if let Err(e) = hub.captures.prune(backend::now_ms()).await {
                tracing::warn!(error = %e, "could not apply the captures' retention policy; will retry");
            },
        }
    }
}

/// Checks the capture triggers on every scrape, as the scrape lands.
async fn capture_triggers(hub: Hub, shutdown: CancellationToken) {
    let mut scrapes = hub.catalog.scrapes();
    loop {
        let event = tokio::select! {
            () = shutdown.cancelled() => return,
            event = scrapes.recv() => event,
        };
        match event {
            Ok(event) => hub.captures.on_scrape(&event).await,
            Err(tokio::sync::broadcast::error::RecvError::Lagged(missed)) => {
                tracing::warn!(missed, "capture triggers fell behind the scrapes; checking the newest");
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
