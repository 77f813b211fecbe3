//! The one shape of every background job. A job is named and has a `run_once` that does one
//! round of its work (tests call it directly); the runner repeats it on a period, or feeds it
//! events, or lets a long-running loop run, until the runner's token is cancelled. Shutdown
//! cancels the token and waits for every task the runner started, captures included.
//!
//! Jobs whose work lives in rows of the store (captures) keep state, owner and lease there,
//! so that several hubs on one PostgreSQL store share them (see profiling/job.rs).

use crate::BackendError;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Work the runner repeats on a period.
#[async_trait::async_trait]
pub trait Job: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    /// One round of the work.
    async fn run_once(&self) -> Result<(), BackendError>;
}

/// Work done for each event of a stream (each scrape, for capture triggers and alerts).
#[async_trait::async_trait]
pub trait EventJob<E>: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    async fn on_event(&self, event: &E);
}

/// When a periodic job runs.
#[derive(Clone, Copy, Debug)]
pub struct Every {
    pub period: Duration,
    /// Once more as the hub stops (to save what it holds in memory).
    pub at_shutdown: bool,
}

#[derive(Clone, Debug, Default)]
pub struct Runner {
    tracker: TaskTracker,
    shutdown: CancellationToken,
}

impl Runner {
    pub fn new() -> Runner {
        Runner::default()
    }

    /// A token cancelled at shutdown (or earlier, for the one task it is given to).
    pub fn token(&self) -> CancellationToken {
        self.shutdown.child_token()
    }

    pub fn is_stopping(&self) -> bool {
        self.shutdown.is_cancelled()
    }

    /// Runs `job` now and then every period until shutdown.
    pub fn every(&self, job: Arc<dyn Job>, when: Every) {
        let stop = self.token();
        self.tracker.spawn(async move {
            let mut tick = tokio::time::interval(when.period);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    () = stop.cancelled() => break,
                    _ = tick.tick() => run_logged(job.as_ref()).await,
                }
            }
            if when.at_shutdown {
                run_logged(job.as_ref()).await;
            }
        });
    }

    /// Feeds every event of `events` to `job`, in order, until shutdown. A job that falls
    /// behind skips the oldest events, and says so.
    pub fn listen<E: Clone + Send + 'static>(
        &self,
        job: Arc<dyn EventJob<E>>,
        mut events: broadcast::Receiver<E>,
    ) {
        let stop = self.token();
        self.tracker.spawn(async move {
            loop {
                let event = tokio::select! {
                    () = stop.cancelled() => return,
                    event = events.recv() => event,
                };
                match event {
                    Ok(event) => job.on_event(&event).await,
                    Err(broadcast::error::RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            job = job.name(),
                            missed,
                            "fell behind its events; going on with the newest"
                        );
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        });
    }

    /// A job that loops by itself (the scrape loops, the capture worker) until its token is
    /// cancelled.
    pub fn spawn<F, Fut>(&self, name: &'static str, job: F)
    where
        F: FnOnce(CancellationToken) -> Fut,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let work = job(self.token());
        self.tracker.spawn(async move {
            work.await;
            tracing::debug!(job = name, "stopped");
        });
    }

    /// One task of a job (a capture being taken), waited for at shutdown.
    pub fn spawn_task<Fut: Future<Output = ()> + Send + 'static>(&self, task: Fut) {
        self.tracker.spawn(task);
    }

    /// Cancels every job and waits until each has stopped.
    pub async fn shut_down(&self) {
        self.shutdown.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

async fn run_logged(job: &dyn Job) {
    if let Err(e) = job.run_once().await {
        tracing::warn!(job = job.name(), error = %e, "a job failed; it runs again at its next turn");
    }
}

/// Runs one generation of tasks per config: `start` spawns them on the tracker with the
/// generation's token; when the config changes the generation is cancelled, waited for, and
/// started anew; when `shutdown` is cancelled it ends. The scrape loops and the lag probes
/// run this way.
pub async fn per_config<F, Started>(
    mut changes: tokio::sync::watch::Receiver<u64>,
    shutdown: CancellationToken,
    mut start: F,
) where
    F: FnMut(TaskTracker, CancellationToken) -> Started,
    Started: Future<Output = ()>,
{
    loop {
        let generation = shutdown.child_token();
        let tasks = TaskTracker::new();
        start(tasks.clone(), generation.clone()).await;
        tasks.close();
        let restart = tokio::select! {
            () = shutdown.cancelled() => false,
            changed = changes.changed() => changed.is_ok(),
        };
        generation.cancel();
        tasks.wait().await;
        if !restart {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Count(AtomicUsize);

    #[async_trait::async_trait]
    impl Job for Count {
        fn name(&self) -> &'static str {
            "count"
        }
        async fn run_once(&self) -> Result<(), BackendError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_periodic_job_runs_at_once_and_once_more_at_shutdown() {
        let runner = Runner::new();
        let job = Arc::new(Count(AtomicUsize::new(0)));
        runner.every(job.clone(), Every { period: Duration::from_secs(3600), at_shutdown: true });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert_eq!(job.0.load(Ordering::SeqCst), 1);
        runner.shut_down().await;
        assert_eq!(job.0.load(Ordering::SeqCst), 2);
    }
}
