//! Profiling captures: a CPU profile, heap profile or thread dump taken from a registered
//! instance as a job (queued → running → done / failed), or an artifact uploaded by a
//! developer; stored in the data directory, analysed on request.

mod store;

use crate::audit::{AuditEvent, AuditLog, Outcome};
use crate::catalog::Catalog;
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use types::{CaptureView, Role};

/// Artifacts larger than this are refused.
pub const MAX_ARTIFACT: usize = 64 * 1024 * 1024;
const MAX_CONCURRENT: usize = 4;

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
}

impl std::fmt::Debug for Captures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Captures").field("dir", &self.dir).finish_non_exhaustive()
    }
}

/// What a capture asks the instance for.
fn endpoint(kind: &str, seconds: i64) -> Option<String> {
    match kind {
        "cpu" => Some(format!("/debug/pprof/profile?seconds={seconds}")),
        "heap" => Some("/debug/pprof/heap".into()),
        "threads" => Some("/debug/threads".into()),
        _ => None,
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
        let event = AuditEvent { actor: &actor.username, action: "capture.request", target, outcome, source };
        self.audit.record(event).await
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
        let seconds = if kind == "cpu" { seconds.unwrap_or(30) } else { 0 };
        let Some(path) = endpoint(kind, seconds) else {
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
            requested_by: &actor.username,
            now: now_ms(),
        };
        let id = store::insert(&self.store, &new).await?;
        self.audit(actor, source, &format!("#{id} {target}"), Outcome::Ok).await?;
        let job = self.clone();
        let url = format!("{base}{path}");
        let kind = kind.to_string();
        self.tasks.spawn(async move { job.run(id, &kind, &url, seconds).await });
        Ok(id)
    }

    async fn run(&self, id: i64, kind: &str, url: &str, seconds: i64) {
        let outcome = tokio::select! {
            () = self.shutdown.cancelled() => Err("cancelled: the hub shut down during the capture".to_string()),
            outcome = self.take(id, kind, url, seconds) => outcome,
        };
        if let Err(e) = &outcome {
            tracing::warn!(capture = id, error = %e, "capture failed");
        }
        if let Err(e) = store::finished(&self.store, id, outcome, now_ms()).await {
            tracing::error!(capture = id, error = %e, "could not record the end of a capture");
        }
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

    pub async fn get(&self, _actor: &Principal, id: i64) -> Result<CaptureView, BackendError> {
        let (mut view, _) = store::get(&self.store, id)
            .await?
            .ok_or_else(|| BackendError::NotFound(format!("no capture #{id}")))?;
        #[expect(clippy::cast_precision_loss, reason = "seconds and milliseconds of a capture are small")]
        let progress = match (view.state.as_str(), view.started_ms) {
            ("done", _) => 1.0,
            ("running", Some(started)) if view.seconds > 0 => {
                ((now_ms() - started) as f64 / (view.seconds as f64 * 1000.0)).clamp(0.0, 0.99)
            }
            _ => 0.0,
        };
        view.progress = progress;
        Ok(view)
    }

    /// The artifact as captured, and a file name for it.
    pub async fn raw(&self, _actor: &Principal, id: i64) -> Result<(Vec<u8>, String), BackendError> {
        let (view, artifact) = store::get(&self.store, id)
            .await?
            .ok_or_else(|| BackendError::NotFound(format!("no capture #{id}")))?;
        let Some(path) = artifact.filter(|_| view.state == "done") else {
            return Err(BackendError::Conflict(format!(
                "capture #{id} is {}; it has no artifact",
                view.state
            )));
        };
        let bytes = tokio::fs::read(&path).await.map_err(|e| {
            BackendError::Unavailable(format!("the artifact of capture #{id} cannot be read: {e}"))
        })?;
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or_else(|| format!("capture-{id}"), |n| n.to_string_lossy().to_string());
        Ok((bytes, name))
    }

    /// The thread-dump analysis of a `threads` capture or a dump upload.
    pub async fn threads(&self, actor: &Principal, id: i64) -> Result<threaddump::Analysis, BackendError> {
        let (bytes, _) = self.raw(actor, id).await?;
        let text = String::from_utf8(bytes)
            .map_err(|_| BackendError::Invalid(format!("capture #{id} is not a thread dump")))?;
        let kind = threaddump::detect(&text)
            .ok_or_else(|| BackendError::Invalid(format!("capture #{id} is not a thread dump")))?;
        let threads = threaddump::parse(&text, kind).map_err(|e| BackendError::Invalid(e.to_string()))?;
        Ok(threaddump::analyse(&threads))
    }
}

impl Captures {
    /// The `go tool pprof -top` table of a CPU or heap capture (or a pprof upload).
    pub async fn top(
        &self,
        actor: &Principal,
        id: i64,
        sample: Option<&str>,
    ) -> Result<pprofile::Top, BackendError> {
        let (bytes, _) = self.raw(actor, id).await?;
        let profile =
            pprofile::parse(&bytes).map_err(|e| BackendError::Invalid(format!("capture #{id}: {e}")))?;
        pprofile::top(&profile, sample).map_err(|e| BackendError::Invalid(e.to_string()))
    }
}
