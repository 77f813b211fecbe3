//! The retention policy: artifacts older than `captures.retention`, or beyond the newest
//! `captures.keep_per_service` of their service, are deleted with their rows.

use super::{store, Captures};
use crate::jobs::Job;
use crate::BackendError;

impl Captures {
    /// Deletes what the policy no longer keeps; returns how many captures went.
    pub async fn prune(&self, now_ms: i64) -> Result<usize, BackendError> {
        let policy = self.catalog.config().captures.clone();
        let before = now_ms - i64::try_from(policy.retention().as_millis()).unwrap_or(i64::MAX);
        let expired = store::expired(&self.store, before, i64::from(policy.keep_per_service)).await?;
        let mut deleted = 0;
        for (id, artifact) in &expired {
            if let Some(path) = artifact {
                match tokio::fs::remove_file(path).await {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        // Keep the row: a file nobody can list would be lost space.
                        tracing::warn!(capture = id, error = %e, "could not delete an expired artifact");
                        continue;
                    }
                }
            }
            store::delete(&self.store, *id).await?;
            self.profiles.lock().unwrap_or_else(std::sync::PoisonError::into_inner).forget(*id);
            deleted += 1;
        }
        if deleted > 0 {
            tracing::info!(deleted, "captures past the retention policy deleted");
        }
        Ok(deleted)
    }
}

/// The retention policy as a periodic job.
pub struct CaptureRetention(pub Captures);

#[async_trait::async_trait]
impl Job for CaptureRetention {
    fn name(&self) -> &'static str {
        "capture retention"
    }

    async fn run_once(&self) -> Result<(), BackendError> {
        self.0.prune(crate::now_ms()).await.map(|_| ())
    }
}
