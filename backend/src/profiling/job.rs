//! Capture jobs. A request leaves a queued row; the worker of whichever hub has a free slot
//! claims it (its lease renewed while it runs), calls the instance, validates and keeps the
//! artifact, and records the end. A cancel, a shutdown or a lost lease ends it with the
//! reason; nothing stays "running" forever.

use super::artifact::{self, ArtifactError, MAX_ARTIFACT};
use super::queue::{self, Claim, Claimed};
use super::store;
use super::Captures;
use crate::http::BodyError;
use crate::{now_ms, BackendError};
use std::time::Duration;
use tokio::sync::OwnedSemaphorePermit;
use tokio_util::sync::CancellationToken;
use types::CaptureKind;

/// How long a claimed capture stays its hub's without a renewal.
const LEASE: Duration = Duration::from_secs(30);
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// A queued capture no hub has started within this is failed: it is no longer evidence of
/// the moment it was asked for.
pub(super) const QUEUE_MAX: Duration = Duration::from_secs(600);
/// How often the worker looks for captures queued by other hubs.
const POLL: Duration = Duration::from_secs(1);

/// Why a capture failed, as its row says it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CaptureError {
    #[error("timeout: no answer within {0} s")]
    Timeout(u64),
    #[error("refused: {0}")]
    Refused(String),
    #[error("the instance answered HTTP {status}: {text}")]
    Status { status: reqwest::StatusCode, text: String },
    #[error("too large: over {MAX_ARTIFACT} bytes")]
    TooLarge,
    #[error("the connection broke: {0}")]
    Broke(String),
    #[error(transparent)]
    Artifact(#[from] ArtifactError),
    #[error("cannot store the artifact: {0}")]
    Storage(String),
    #[error("{0}")]
    Cancelled(String),
    #[error("the instance is gone from the config: {0}")]
    Gone(String),
}

impl From<BodyError> for CaptureError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => CaptureError::TooLarge,
            BodyError::Broke(why) => CaptureError::Broke(why),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Captures {
    /// The worker: runs until `shutdown`, claiming queued captures as slots free up,
    /// renewing the leases of the running ones and stopping those cancelled elsewhere.
    pub async fn work(&self, shutdown: CancellationToken) {
        let mut renew = tokio::time::interval(RENEW_EVERY);
        loop {
            if let Err(e) = self.run_once().await {
                tracing::warn!(error = %e, "the capture worker could not look for work; will retry");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = self.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
                _ = renew.tick() => self.renew().await,
            }
        }
    }

    /// One round of the worker: fails what can never finish, then starts as many queued
    /// captures as there are free slots. Returns how many it started.
    pub async fn run_once(&self) -> Result<usize, BackendError> {
        let now = now_ms();
        queue::reap(&self.store, now, now - ms(QUEUE_MAX), None).await?;
        let permits: Vec<OwnedSemaphorePermit> =
            std::iter::from_fn(|| self.slots.clone().try_acquire_owned().ok()).collect();
        if permits.is_empty() {
            return Ok(0);
        }
        let claim = Claim {
            owner: &self.owner,
            now,
            lease_until: now + ms(LEASE),
            queued_since: now - ms(QUEUE_MAX),
            limit: i64::try_from(permits.len()).unwrap_or(1),
        };
        let claimed = queue::claim(&self.store, &claim).await?;
        let started = claimed.len();
        for (capture, permit) in claimed.into_iter().zip(permits) {
            let token = self.runner.token();
            let done = self.running.start(capture.id, token.clone());
            let job = self.clone();
            self.runner.spawn_task(async move {
                job.run(capture, token).await;
                done.cancel();
                drop(permit);
                job.wake.notify_one();
            });
        }
        Ok(started)
    }

    /// Keeps this hub's leases and stops its captures that another hub was asked to cancel.
    async fn renew(&self) {
        match queue::renew(&self.store, &self.owner, now_ms() + ms(LEASE)).await {
            Ok(cancelled) => {
                for (id, reason) in cancelled {
                    self.running.cancel(id, reason);
                }
            }
            Err(e) => tracing::warn!(error = %e, "could not renew the leases of running captures"),
        }
    }

    async fn run(&self, capture: Claimed, cancel: CancellationToken) {
        let id = capture.id;
        let outcome = tokio::select! {
            () = cancel.cancelled() => Err(CaptureError::Cancelled(self.running.reason(id).unwrap_or_else(
                || "cancelled: the hub shut down during the capture".to_string(),
            ))),
            outcome = self.take(&capture) => outcome,
        };
        if let Err(e) = &outcome {
            tracing::warn!(capture = id, error = %e, "capture failed");
        }
        if let Err(e) = store::finished(&self.store, id, outcome.map_err(|e| e.to_string()), now_ms()).await {
            tracing::error!(capture = id, error = %e, "could not record the end of a capture");
        }
        self.running.end(id);
    }

    async fn take(&self, capture: &Claimed) -> Result<(i64, String), CaptureError> {
        let kind = capture.kind.parse::<CaptureKind>().map_err(CaptureError::Gone)?;
        let instance = capture.instance.as_deref().unwrap_or_default();
        let base = self
            .catalog
            .instance_url(&capture.service, instance)
            .map_err(|e| CaptureError::Gone(e.to_string()))?;
        let config = self.catalog.config();
        let paths = config.service(&capture.service).map(|s| s.profiling.clone()).unwrap_or_default();
        let path = paths
            .endpoint(kind, capture.seconds)
            .ok_or_else(|| CaptureError::Gone(format!("{kind} is not taken from instances")))?;
        let url = format!("{base}{path}");
        let body = if kind == CaptureKind::ThreadsSeries {
            self.series(&url, capture.dumps, capture.seconds).await?
        } else {
            self.fetch(&url, Duration::from_secs(u64::try_from(capture.seconds).unwrap_or(0) + 30)).await?
        };
        // Decoding a large artifact takes a while: off the async workers.
        let checked = body.clone();
        tokio::task::spawn_blocking(move || artifact::validate(kind, &checked))
            .await
            .map_err(|e| CaptureError::Storage(e.to_string()))??;
        artifact::keep(&self.dir, capture.id, kind, &body)
            .await
            .map_err(|e| CaptureError::Storage(e.to_string()))
    }

    /// `dumps` thread dumps, `interval_s` apart, in one series document.
    async fn series(&self, url: &str, dumps: i64, interval_s: i64) -> Result<Vec<u8>, CaptureError> {
        let mut taken = Vec::new();
        for i in 0..dumps.max(1) {
            if i > 0 {
                tokio::time::sleep(Duration::from_secs(u64::try_from(interval_s).unwrap_or(1))).await;
            }
            let body = self.fetch(url, Duration::from_secs(30)).await?;
            let text = String::from_utf8(body).map_err(|_| ArtifactError::NotText)?;
            taken.push(threaddump::TakenDump { taken_ms: now_ms(), text });
        }
        serde_json::to_vec(&threaddump::DumpSeries::new(interval_s, taken))
            .map_err(|e| CaptureError::Storage(e.to_string()))
    }

    async fn fetch(&self, url: &str, timeout: Duration) -> Result<Vec<u8>, CaptureError> {
        let res = self.client.get(url).timeout(timeout).send().await.map_err(|e| {
            if e.is_timeout() {
                CaptureError::Timeout(timeout.as_secs())
            } else {
                CaptureError::Refused(crate::http::describe(&e))
            }
        })?;
        if !res.status().is_success() {
            let status = res.status();
            return Err(CaptureError::Status { status, text: crate::http::error_text(res).await });
        }
        Ok(crate::http::read_limited(res, MAX_ARTIFACT).await?)
    }
}
