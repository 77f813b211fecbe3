//! Runs at a check's `schedule`: every 30 s the hub queues a residual run for each check
//! whose next scheduled minute (after its last run was asked for) has come.

use super::schedule::Schedule;
use super::{store, Checks};
use crate::jobs::Job;
use crate::{now_ms, BackendError};
use std::sync::Arc;
use types::checks::RunMode;

pub struct CheckSchedule(pub Arc<Checks>);

#[async_trait::async_trait]
impl Job for CheckSchedule {
    fn name(&self) -> &'static str {
        "check schedule"
    }

    async fn run_once(&self) -> Result<(), BackendError> {
        let now = now_ms();
        for def in &self.0.all() {
            let Some(schedule) = def.schedule.as_ref().and_then(|s| Schedule::parse(s.get_ref()).ok()) else {
                continue;
            };
            let last = store::of_check(&self.0.store, def.name(), 1).await?.into_iter().next();
            // Since the last run (or the hub's start): the first scheduled minute after it.
            let since = last.map_or(self.0.catalog.loaded_ms(), |r| r.created_ms);
            if schedule.next_after(since).is_some_and(|due| due <= now) {
                match self.0.queue(def.name(), RunMode::Residual, "schedule").await {
                    Ok(id) => tracing::info!(check = def.name(), run = id, "scheduled check run queued"),
                    Err(BackendError::Conflict(_)) => {}
                    Err(e) => {
                        tracing::warn!(check = def.name(), error = %e, "could not queue a scheduled run")
                    }
                }
            }
        }
        Ok(())
    }
}
