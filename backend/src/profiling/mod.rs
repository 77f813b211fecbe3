//! Profiling captures: a CPU profile, heap profile or thread dump taken from a registered
//! instance as a job (queued → running → done / failed), or an artifact uploaded by a
//! developer; stored in the data directory, analysed on request.

mod retention;
mod store;
mod triggers;
mod views;

pub use triggers::TriggerState;

use crate::audit::{AuditEvent, AuditLog, Outcome};
use crate::catalog::Catalog;
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use types::Role;

/// Artifacts larger than this are refused.
pub const MAX_ARTIFACT: usize = 64 * 1024 * 1024;
const MAX_CONCURRENT: usize = 4;

/// Each queued or running capture's cancel token, and why it was cancelled, once it is.
type Running = HashMap<i64, (CancellationToken, Option<String>)>;

#[derive(Clone)]
pub struct Captures {
    store: Store,
    catalog: Arc<Catalog>,
    audit: AuditLog,
    dir: PathBuf,
    client: reqwest::Client,
    slots: Arc<Semaphore>,
    tasks: TaskTracker,
    shutdown: CancellationToken,
    /// Queued and running captures, to cancel them, with the reason once cancelled.
    running: Arc<Mutex<Running>>,
    triggers: Arc<Mutex<TriggerState>>,
    profiles: Arc<Mutex<views::ProfileCache>>,
}

impl std::fmt::Debug for Captures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captures").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// Checks that the bytes are what the kind says: a gzipped pprof profile, or a thread dump.
fn validate(kind: &str, bytes: &[u8]) -> Result<(), String> {
    if bytes.len() > MAX_ARTIFACT {
        return Err(format!("too large: {} bytes, the limit is {MAX_ARTIFACT}", bytes.len()));
    }
    match kind {
        "cpu" | "heap" | "pprof" => {
            if !bytes.starts_with(&[0x1f, 0x8b]) {
                return Err("not a profile: a pprof file is gzipped protobuf".into());
            }
            let mut raw = Vec::new();
            flate2::read::GzDecoder::new(bytes)
                .take(MAX_ARTIFACT as u64 * 4)
                .read_to_end(&mut raw)
                .map_err(|e| format!("not a profile: the gzip stream is damaged ({e})"))?;
            if raw.is_empty() {
                return Err("not a profile: it is empty".into());
            }
            Ok(())
        }
        _ => {
            let text =
                std::str::from_utf8(bytes).map_err(|_| "not a thread dump: it is not text".to_string())?;
            let detected = threaddump::detect(text)
                .ok_or("not a thread dump this hub can read (jstack, goroutine, fleet)")?;
            threaddump::parse(text, detected).map(|_| ()).map_err(|e| format!("not a thread dump: {e}"))
        }
    }
}

impl Captures {
    pub fn new(store: Store, catalog: Arc<Catalog>, audit: AuditLog, dir: PathBuf) -> Captures {
        Captures {
            store,
            catalog,
            audit,
            dir,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            slots: Arc::new(Semaphore::new(MAX_CONCURRENT)),
            tasks: TaskTracker::new(),
            shutdown: CancellationToken::new(),
            running: Arc::default(),
            triggers: Arc::default(),
            profiles: Arc::default(),
        }
    }

    /// At start: captures left unfinished by the last run are failed, with the reason.
    pub async fn recover(&self) -> Result<u64, BackendError> {
        Ok(store::fail_interrupted(&self.store, now_ms()).await?)
    }

    /// Stops running captures (they are failed with the reason) and waits for them.
    pub async fn shut_down(&self) {
        self.shutdown.cancel();
        self.tasks.close();
        self.tasks.wait().await;
    }

    async fn audit(
        &self,
        actor: &Principal,
        source: &str,
        target: &str,
        outcome: Outcome,
    ) -> Result<(), BackendError> {
        self.audit_action(actor, "capture.request", source, target, outcome).await
    }

    async fn audit_action(
        &self,
        actor: &Principal,
        action: &str,
        source: &str,
        target: &str,
        outcome: Outcome,
    ) -> Result<(), BackendError> {
        let event = AuditEvent { actor: &actor.username, action, target, outcome, source };
        self.audit.record(event).await
    }

    /// Refuses a user who has requested too many captures in the last hour.
    async fn check_rate(&self, actor: &Principal) -> Result<(), BackendError> {
        let limit = self.catalog.config().captures.per_user_per_hour;
        let since = now_ms() - 3_600_000;
        if store::requested_since(&self.store, &actor.username, since).await? >= i64::from(limit) {
            return Err(BackendError::RateLimited(format!(
                "{} has requested {limit} captures in the last hour, the most allowed; try again later",
                actor.username
            )));
        }
        Ok(())
    }

    /// Queues a capture of a registered instance; developers and up.
    pub async fn request(
        &self,
        actor: &Principal,
        source: &str,
        service: &str,
        instance: &str,
        kind: &str,
        seconds: Option<i64>,
    ) -> Result<i64, BackendError> {
        let target = format!("{service}/{instance} {kind}");
        if let Err(refusal) = actor.require(Role::Developer) {
            self.audit(actor, source, &target, Outcome::Denied).await?;
            return Err(refusal);
        }
        self.check_rate(actor).await?;
        self.start(service, instance, kind, seconds, &actor.username).await.inspect(|id| {
            tracing::info!(capture = id, service, instance, kind, by = %actor.username, "capture requested");
        })
    }

    /// Queues a capture for `requested_by` (a user, or a trigger) after the checks every
    /// capture passes; returns its id.
    async fn start(
        &self,
        service: &str,
        instance: &str,
        kind: &str,
        seconds: Option<i64>,
        requested_by: &str,
    ) -> Result<i64, BackendError> {
        let seconds = if kind == "cpu" { seconds.unwrap_or(30) } else { 0 };
        let config = self.catalog.config();
        let paths = config.service(service).map(|s| s.profiling.clone()).unwrap_or_default();
        let Some(path) = paths.endpoint(kind, seconds) else {
            return Err(BackendError::Invalid(format!("kind must be cpu, heap or threads, not {kind:?}")));
        };
        if kind == "cpu" && !(5..=120).contains(&seconds) {
            return Err(BackendError::Invalid("a CPU profile lasts 5 to 120 seconds".into()));
        }
        let base = self.catalog.instance_url(service, instance)?;
        if store::busy(&self.store, service, instance).await? {
            return Err(BackendError::Conflict(format!(
                "{service}/{instance} already has a capture in progress"
            )));
        }
        let new = store::NewCapture {
            service,
            instance,
            kind,
            seconds,
            state: "queued",
            requested_by,
            now: now_ms(),
        };
        let id = store::insert(&self.store, &new).await?;
        let cancel = self.shutdown.child_token();
        self.running_map().insert(id, (cancel.clone(), None));
        let job = self.clone();
        let url = format!("{base}{path}");
        let kind = kind.to_string();
        self.tasks.spawn(async move { job.run(id, &kind, &url, seconds, cancel).await });
        Ok(id)
    }

    fn running_map(&self) -> std::sync::MutexGuard<'_, Running> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Cancels a queued or running capture; developers and up.
    pub async fn cancel(&self, actor: &Principal, source: &str, id: i64) -> Result<(), BackendError> {
        let target = format!("#{id}");
        if let Err(refusal) = actor.require(Role::Developer) {
            self.audit_action(actor, "capture.cancel", source, &target, Outcome::Denied).await?;
            return Err(refusal);
        }
        {
            let mut running = self.running_map();
            let Some((token, reason)) = running.get_mut(&id) else {
                return Err(BackendError::Conflict(format!("capture #{id} is not queued or running")));
            };
            *reason = Some(format!("cancelled by {}", actor.username));
            token.cancel();
        }
        self.audit_action(actor, "capture.cancel", source, &target, Outcome::Ok).await?;
        // The job records the end; wait briefly so the caller reads the new state.
        for _ in 0..50 {
            if !self.running_map().contains_key(&id) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    async fn run(&self, id: i64, kind: &str, url: &str, seconds: i64, cancel: CancellationToken) {
        let outcome = tokio::select! {
            () = cancel.cancelled() => {
                let reason = self.running_map().get(&id).and_then(|(_, r)| r.clone());
                Err(reason.unwrap_or_else(|| "cancelled: the hub shut down during the capture".to_string()))
            }
            outcome = self.take(id, kind, url, seconds) => outcome,
        };
        if let Err(e) = &outcome {
            tracing::warn!(capture = id, error = %e, "capture failed");
        }
        if let Err(e) = store::finished(&self.store, id, outcome, now_ms()).await {
            tracing::error!(capture = id, error = %e, "could not record the end of a capture");
        }
        self.running_map().remove(&id);
    }

    async fn take(&self, id: i64, kind: &str, url: &str, seconds: i64) -> Result<(i64, String), String> {
        let _slot = self.slots.acquire().await.map_err(|e| e.to_string())?;
        store::started(&self.store, id, now_ms()).await.map_err(|e| e.to_string())?;
        let timeout = Duration::from_secs(u64::try_from(seconds).unwrap_or(0) + 30);
        let res = self.client.get(url).timeout(timeout).send().await.map_err(|e| {
            if e.is_timeout() {
                format!("timeout: no answer within {} s", timeout.as_secs())
            } else {
                format!("refused: {e}")
            }
        })?;
        if !res.status().is_success() {
            let status = res.status();
            let text = res.text().await.unwrap_or_default();
            return Err(format!(
                "the instance answered HTTP {status}: {}",
                text.chars().take(200).collect::<String>()
            ));
        }
        let mut body = Vec::new();
        let mut res = res;
        while let Some(chunk) = res.chunk().await.map_err(|e| format!("the connection broke: {e}"))? {
            if body.len() + chunk.len() > MAX_ARTIFACT {
                return Err(format!("too large: over {MAX_ARTIFACT} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        self.keep(id, kind, &body).await
    }

    /// Validates and writes an artifact; returns its size and path.
    async fn keep(&self, id: i64, kind: &str, body: &[u8]) -> Result<(i64, String), String> {
        validate(kind, body)?;
        let ext = if matches!(kind, "cpu" | "heap" | "pprof") { "pb.gz" } else { "txt" };
        let path = self.dir.join(format!("capture-{id}.{ext}"));
        tokio::fs::create_dir_all(&self.dir).await.map_err(|e| format!("cannot store the artifact: {e}"))?;
        tokio::fs::write(&path, body).await.map_err(|e| format!("cannot store the artifact: {e}"))?;
        Ok((i64::try_from(body.len()).unwrap_or(i64::MAX), path.display().to_string()))
    }

    /// Stores an artifact taken elsewhere (`pprof`, `jstack`, `goroutine`); developers and up.
    pub async fn upload(
        &self,
        actor: &Principal,
        source: &str,
        service: &str,
        kind: &str,
        body: &[u8],
    ) -> Result<i64, BackendError> {
        let target = format!("{service} upload {kind}");
        if let Err(refusal) = actor.require(Role::Developer) {
            self.audit(actor, source, &target, Outcome::Denied).await?;
            return Err(refusal);
        }
        if !matches!(kind, "pprof" | "jstack" | "goroutine") {
            return Err(BackendError::Invalid(format!(
                "kind must be pprof, jstack or goroutine, not {kind:?}"
            )));
        }
        if self.catalog.config().service(service).is_none() {
            return Err(BackendError::NotFound(format!("no service {service} in the config")));
        }
        self.check_rate(actor).await?;
        validate(kind, body).map_err(BackendError::Invalid)?;
        let new = store::NewCapture {
            service,
            instance: "upload",
            kind,
            seconds: 0,
            state: "running",
            requested_by: &actor.username,
            now: now_ms(),
        };
        let id = store::insert(&self.store, &new).await?;
        let kept = self.keep(id, kind, body).await;
        let failed = kept.as_ref().err().cloned();
        store::finished(&self.store, id, kept, now_ms()).await?;
        if let Some(e) = failed {
            return Err(BackendError::Internal(e));
        }
        self.audit(actor, source, &format!("#{id} {target}"), Outcome::Ok).await?;
        Ok(id)
    }
}
