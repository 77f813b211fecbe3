//! Profiling captures: a CPU profile, heap profile or thread dump taken from a registered
//! instance as a job (queued → running → done / failed), or an artifact uploaded by a
//! developer; stored in the data directory, analysed on request.

mod artifact;
mod cache;
mod job;
mod queue;
mod retention;
mod running;
mod store;
mod triggers;
mod views;

pub use artifact::{ArtifactError, MAX_ARTIFACT};
pub use job::CaptureError;
pub use retention::CaptureRetention;
pub use triggers::CaptureTriggers;

use crate::audit::{Attempt, AuditLog};
use crate::catalog::Catalog;
use crate::jobs::Runner;
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use running::RunningCaptures;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, Semaphore};
use types::{CaptureKind, CaptureState, Role};

const MAX_CONCURRENT: usize = 4;
/// The window of the per-user capture limit.
const RATE_WINDOW: Duration = Duration::from_secs(3600);
/// How long a cancel waits for the capture to record its end.
const CANCEL_WAIT: Duration = Duration::from_secs(5);

/// A dump series' defaults: 3 dumps, 5 seconds apart.
pub const SERIES_DUMPS: i64 = 3;
pub const SERIES_INTERVAL_S: i64 = 5;

#[derive(Clone)]
pub struct Captures {
    store: Store,
    catalog: Arc<Catalog>,
    audit: AuditLog,
    runner: Runner,
    /// This hub, as the owner of the captures it runs.
    owner: String,
    dir: PathBuf,
    client: reqwest::Client,
    slots: Arc<Semaphore>,
    wake: Arc<Notify>,
    running: RunningCaptures,
    profiles: Arc<Mutex<cache::ProfileCache>>,
}

impl std::fmt::Debug for Captures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captures").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// What captures are built from.
pub struct CapturesSetup {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub audit: AuditLog,
    pub runner: Runner,
    pub owner: String,
    pub dir: PathBuf,
}

impl Captures {
    pub fn new(setup: CapturesSetup) -> Captures {
        Captures {
            store: setup.store,
            catalog: setup.catalog,
            audit: setup.audit,
            runner: setup.runner,
            owner: setup.owner,
            dir: setup.dir,
            client: crate::http::client(None),
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            wake: Arc::default(),
            running: RunningCaptures::default(),
            profiles: Arc::default(),
        }
    }

    /// At start: what this hub was running when it last stopped, and what can never finish,
    /// are failed with the reason.
    pub async fn recover(&self) -> Result<u64, BackendError> {
        let now = now_ms();
        let queued_before = now - i64::try_from(job::QUEUE_MAX.as_millis()).unwrap_or(i64::MAX);
        Ok(queue::reap(&self.store, now, queued_before, Some(&self.owner)).await?)
    }

    /// Refuses a user who has requested too many captures in the last hour, saying when the
    /// oldest of them leaves the window.
    async fn check_rate(&self, actor: &Principal) -> Result<(), BackendError> {
        let limit = self.catalog.config().captures.per_user_per_hour;
        let window = i64::try_from(RATE_WINDOW.as_millis()).unwrap_or(i64::MAX);
        let now = now_ms();
        let times = store::requested_since(&self.store, &actor.username, now - window).await?;
        if times.len() < usize::try_from(limit).unwrap_or(usize::MAX) {
            return Ok(());
        }
        // The oldest one that must leave the window before one more is allowed.
        let freed_at = times[times.len() - usize::try_from(limit).unwrap_or(0).max(1)] + window;
        Err(BackendError::RateLimited {
            message: format!(
                "{} has requested {limit} captures in the last hour, the most allowed; try again later",
                actor.username
            ),
            retry_after: Duration::from_millis(u64::try_from(freed_at - now).unwrap_or(0)),
        })
    }

    /// Queues a capture of a registered instance; developers and up. Audited either way.
    pub async fn request(
        &self,
        actor: &Principal,
        source: &str,
        service: &str,
        instance: &str,
        kind: CaptureKind,
        // A CPU profile's seconds; a series' interval and dump count.
        (seconds, dumps): (Option<i64>, Option<i64>),
    ) -> Result<i64, BackendError> {
        let target = format!("{service}/{instance} {kind}");
        let result = async {
            actor.require(Role::Developer)?;
            self.check_rate(actor).await?;
            self.start(service, instance, kind, (seconds, dumps), &actor.username).await
        }
        .await;
        let target = match &result {
            Ok(id) => format!("#{id} {target}"),
            Err(_) => target,
        };
        let id = self.audit.settle(Attempt::by(actor, "capture.request", target, source), result).await?;
        tracing::info!(capture = id, service, instance, %kind, by = %actor.username, "capture requested");
        Ok(id)
    }

    /// Queues a capture for `requested_by` (a user, or a trigger) after the checks every
    /// capture passes; returns its id.
    pub(crate) async fn start(
        &self,
        service: &str,
        instance: &str,
        kind: CaptureKind,
        (seconds, dumps): (Option<i64>, Option<i64>),
        requested_by: &str,
    ) -> Result<i64, BackendError> {
        if kind.is_upload() {
            let taken = CaptureKind::list(&CaptureKind::TAKEN);
            return Err(BackendError::Invalid(format!("kind must be {taken}, not {kind:?}")));
        }
        let (seconds, dumps) = match kind {
            CaptureKind::Cpu => (seconds.unwrap_or(30), 1),
            CaptureKind::ThreadsSeries => {
                (seconds.unwrap_or(SERIES_INTERVAL_S), dumps.unwrap_or(SERIES_DUMPS))
            }
            _ => (0, 1),
        };
        if kind == CaptureKind::Cpu && !(5..=120).contains(&seconds) {
            return Err(BackendError::Invalid("a CPU profile lasts 5 to 120 seconds".into()));
        }
        if kind == CaptureKind::ThreadsSeries && (!(1..=60).contains(&seconds) || !(2..=10).contains(&dumps))
        {
            return Err(BackendError::Invalid(
                "a thread dump series takes 2 to 10 dumps (dumps), 1 to 60 seconds apart (seconds)".into(),
            ));
        }
        self.catalog.instance_url(service, instance)?;
        if store::busy(&self.store, service, instance).await? {
            return Err(BackendError::Conflict(format!(
                "{service}/{instance} already has a capture in progress"
            )));
        }
        let new = store::NewCapture {
            service,
            instance: Some(instance),
            kind,
            seconds,
            dumps,
            state: CaptureState::Queued,
            requested_by,
            now: now_ms(),
        };
        let id = store::insert(&self.store, &new).await?;
        self.wake.notify_one();
        Ok(id)
    }

    /// Cancels a queued or running capture; developers and up. Audited either way.
    pub async fn cancel(&self, actor: &Principal, source: &str, id: i64) -> Result<(), BackendError> {
        let result = async {
            actor.require(Role::Developer)?;
            let reason = format!("cancelled by {}", actor.username);
            if !queue::request_cancel(&self.store, id, &reason, now_ms()).await? {
                return Err(BackendError::Conflict(format!("capture #{id} is not queued or running")));
            }
            // Here, the task stops at once; elsewhere, its hub sees the reason at its next renewal.
            if let Some(done) = self.running.cancel(id, reason) {
                // The job records the end; wait for it so the caller reads the new state.
                let _ = tokio::time::timeout(CANCEL_WAIT, done.cancelled()).await;
            }
            Ok(())
        }
        .await;
        self.audit.settle(Attempt::by(actor, "capture.cancel", format!("#{id}"), source), result).await
    }

    /// Stores an artifact taken elsewhere (`pprof`, `jstack`, `goroutine`) once it decodes;
    /// developers and up. Audited either way.
    pub async fn upload(
        &self,
        actor: &Principal,
        source: &str,
        service: &str,
        kind: CaptureKind,
        body: &[u8],
    ) -> Result<i64, BackendError> {
        let target = format!("{service} upload {kind}");
        let result = self.store_upload(actor, service, kind, body).await;
        let target = match &result {
            Ok(id) => format!("#{id} {target}"),
            Err(_) => target,
        };
        self.audit.settle(Attempt::by(actor, "capture.upload", target, source), result).await
    }

    async fn store_upload(
        &self,
        actor: &Principal,
        service: &str,
        kind: CaptureKind,
        body: &[u8],
    ) -> Result<i64, BackendError> {
        actor.require(Role::Developer)?;
        if !kind.is_upload() {
            let uploaded = CaptureKind::list(&CaptureKind::UPLOADED);
            return Err(BackendError::Invalid(format!("kind must be {uploaded}, not {kind}")));
        }
        if self.catalog.config().service(service).is_none() {
            return Err(BackendError::NotFound(format!("no service {service} in the config")));
        }
        self.check_rate(actor).await?;
        // Decoding a large profile takes a while: off the async workers.
        let bytes = body.to_vec();
        tokio::task::spawn_blocking(move || artifact::validate(kind, &bytes))
            .await
            .map_err(|e| BackendError::Internal(e.to_string()))?
            .map_err(|e| BackendError::Invalid(e.to_string()))?;
        let new = store::NewCapture {
            service,
            instance: None,
            kind,
            seconds: 0,
            dumps: 1,
            state: CaptureState::Running,
            requested_by: &actor.username,
            now: now_ms(),
        };
        let id = store::insert(&self.store, &new).await?;
        let kept = artifact::keep(&self.dir, id, kind, body)
            .await
            .map_err(|e| format!("cannot store the artifact: {e}"));
        let failed = kept.as_ref().err().cloned();
        store::finished(&self.store, id, kept, now_ms()).await?;
        match failed {
            Some(e) => Err(BackendError::Internal(e)),
            None => Ok(id),
        }
    }
}
