//! The process's own job: SIGHUP re-reads the config file, as an admin's Reload would. The
//! hub's other jobs are the backend's (`Hub::start_jobs`), on the same runner.

use backend::Hub;
use tokio_util::sync::CancellationToken;

pub fn start(hub: &Hub) {
    let reloader = hub.clone();
    hub.runner.spawn("reload on SIGHUP", move |stop| reload_on_sighup(reloader, stop));
    hub.start_jobs();
}

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
                _ = hangups.recv() => match hub.catalog.reload_on_signal().await {
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
