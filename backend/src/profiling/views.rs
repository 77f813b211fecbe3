//! What a capture shows: its state, its artifact, and the analyses of it (top, flamegraph,
//! callers and callees, diffs, thread-dump analysis).

use super::cache::CACHED_ARTIFACT_MAX;
use super::store::{self, Stored};
use super::Captures;
use crate::{now_ms, BackendError, Principal};
use std::sync::{Arc, PoisonError};
use types::{CaptureState, CaptureView};

/// One thread dump of a capture: when it was taken (0 when unknown) and its threads.
type Dump = (i64, Vec<threaddump::Thread>);

/// The most captures a list returns.
const LIST_LIMIT: i64 = 200;

impl Captures {
    pub async fn get(&self, _actor: &Principal, id: i64) -> Result<CaptureView, BackendError> {
        let mut view = self.row(id).await?.view;
        view.progress = progress(&view);
        Ok(view)
    }

    /// A capture's row and the path of its artifact, if it has one yet.
    async fn row(&self, id: i64) -> Result<Stored, BackendError> {
        store::get(&self.store, id).await?.ok_or_else(|| not_found(id))
    }

    /// The artifact as captured, and a file name for it.
    pub async fn raw(&self, _actor: &Principal, id: i64) -> Result<(Vec<u8>, String), BackendError> {
        let path = artifact_path(&self.row(id).await?)?;
        let bytes = read_artifact(id, &path).await?;
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or_else(|| format!("capture-{id}"), |n| n.to_string_lossy().to_string());
        Ok((bytes, name))
    }

    /// The newest captures of a service (uploads included), or of one of its instances.
    pub async fn list(
        &self,
        _actor: &Principal,
        service: &str,
        instance: Option<&str>,
    ) -> Result<Vec<CaptureView>, BackendError> {
        let mut list = store::list(&self.store, service, instance, LIST_LIMIT).await?;
        for view in &mut list {
            view.progress = progress(view);
        }
        Ok(list)
    }

    /// The newest captures of these services (running ones only, when asked).
    pub async fn recent(
        &self,
        _actor: &Principal,
        services: &[String],
        unfinished: bool,
        limit: i64,
    ) -> Result<Vec<CaptureView>, BackendError> {
        let mut list = store::recent(&self.store, services, unfinished, limit).await?;
        for view in &mut list {
            view.progress = progress(view);
        }
        Ok(list)
    }

    /// A capture's thread dumps: a series' every one (oldest first) with its interval, or the
    /// one dump (no interval).
    async fn dumps(&self, actor: &Principal, id: i64) -> Result<(Option<i64>, Vec<Dump>), BackendError> {
        let (bytes, _) = self.raw(actor, id).await?;
        let text = String::from_utf8(bytes)
            .map_err(|_| BackendError::Invalid(format!("capture #{id} is not a thread dump")))?;
        let unreadable = |e: threaddump::DumpError| BackendError::Invalid(format!("capture #{id}: {e}"));
        if let Some(series) = threaddump::DumpSeries::read(&text) {
            return Ok((Some(series.interval_s), series.parse().map_err(unreadable)?));
        }
        let kind = threaddump::detect(&text)
            .ok_or_else(|| BackendError::Invalid(format!("capture #{id} is not a thread dump")))?;
        Ok((None, vec![(0, threaddump::parse(&text, kind).map_err(unreadable)?)]))
    }

    /// A capture's dump; a series' last one.
    async fn dump(&self, actor: &Principal, id: i64) -> Result<Vec<threaddump::Thread>, BackendError> {
        let (_, mut dumps) = self.dumps(actor, id).await?;
        dumps
            .pop()
            .map(|(_, threads)| threads)
            .ok_or_else(|| BackendError::Invalid(format!("capture #{id} is an empty series")))
    }

    /// The thread-dump analysis of a `threads` capture or a dump upload.
    pub async fn threads(
        &self,
        actor: &Principal,
        id: i64,
    ) -> Result<types::threads::Analysis, BackendError> {
        Ok(threaddump::analyse(&self.dump(actor, id).await?))
    }

    /// A thread dump series: what stayed stuck across its dumps.
    pub async fn threads_series(
        &self,
        actor: &Principal,
        id: i64,
    ) -> Result<types::threads::SeriesAnalysis, BackendError> {
        match self.dumps(actor, id).await? {
            (Some(interval_s), dumps) => Ok(threaddump::series(&dumps, interval_s)),
            (None, _) => Err(BackendError::Invalid(format!("capture #{id} is not a thread dump series"))),
        }
    }

    /// What changed between two dumps: what got stuck since the first.
    pub async fn threads_diff(
        &self,
        actor: &Principal,
        before: i64,
        after: i64,
    ) -> Result<types::threads::DumpDiff, BackendError> {
        let (a, b) = (self.dump(actor, before).await?, self.dump(actor, after).await?);
        Ok(threaddump::diff(&a, &b))
    }

    /// The decoded profile of a capture, by id.
    async fn profile_of(&self, id: i64) -> Result<Arc<pprofile::Profile>, BackendError> {
        self.profile(&self.row(id).await?).await
    }

    /// The decoded profile of a done capture; the last few stay decoded, as a page asks for
    /// its flamegraph, top table and callers one after the other.
    async fn profile(&self, row: &Stored) -> Result<Arc<pprofile::Profile>, BackendError> {
        let id = row.view.id;
        let path = artifact_path(row)?;
        if let Some(hit) = self.profiles.lock().unwrap_or_else(PoisonError::into_inner).get(id) {
            return Ok(hit);
        }
        let bytes = read_artifact(id, &path).await?;
        let size = bytes.len();
        // Decoding a large profile takes a while: off the async workers.
        let profile = tokio::task::spawn_blocking(move || pprofile::parse(&bytes))
            .await
            .map_err(|e| BackendError::Internal(e.to_string()))?
            .map_err(|e| BackendError::Invalid(format!("capture #{id}: {e}")))?;
        let profile = Arc::new(profile);
        if size <= CACHED_ARTIFACT_MAX {
            self.profiles.lock().unwrap_or_else(PoisonError::into_inner).put(id, profile.clone());
        }
        Ok(profile)
    }

    /// The `go tool pprof -top` table of a CPU or heap capture (or a pprof upload).
    pub async fn top(
        &self,
        _actor: &Principal,
        id: i64,
        sample: Option<&str>,
    ) -> Result<types::profiles::Top, BackendError> {
        let profile = self.profile_of(id).await?;
        pprofile::top(&profile, sample).map_err(invalid)
    }

    /// Flamegraph data: rectangles laid out, narrow frames left out.
    pub async fn flame(
        &self,
        _actor: &Principal,
        id: i64,
        sample: Option<&str>,
        collapse: bool,
    ) -> Result<types::profiles::FlameGraph, BackendError> {
        let profile = self.profile_of(id).await?;
        let options = pprofile::FlameOptions { collapse, ..pprofile::FlameOptions::default() };
        pprofile::flame_with(&profile, sample, options).map_err(invalid)
    }

    /// A function's callers and callees.
    pub async fn neighbours(
        &self,
        _actor: &Principal,
        id: i64,
        sample: Option<&str>,
        function: &str,
    ) -> Result<types::profiles::Neighbours, BackendError> {
        let profile = self.profile_of(id).await?;
        pprofile::neighbours(&profile, sample, function).map_err(invalid)
    }

    /// Two profiles of one service compared: per-function deltas and a differential flamegraph.
    pub async fn diff(
        &self,
        _actor: &Principal,
        before: i64,
        after: i64,
        sample: Option<&str>,
        collapse: bool,
    ) -> Result<(types::profiles::TopDiff, types::profiles::FlameGraph), BackendError> {
        let (a, b) = (self.row(before).await?, self.row(after).await?);
        if a.view.service != b.view.service {
            return Err(BackendError::Invalid(format!(
                "#{before} is of {} and #{after} of {}: a diff compares captures of one service",
                a.view.service, b.view.service
            )));
        }
        let (a, b) = (self.profile(&a).await?, self.profile(&b).await?);
        let table = pprofile::diff(&a, &b, sample).map_err(invalid)?;
        let options = pprofile::FlameOptions { collapse, ..pprofile::FlameOptions::default() };
        let flame = pprofile::diff_flame_with(&a, &b, sample, options).map_err(invalid)?;
        Ok((table, flame))
    }
}

/// Only a done capture has an artifact.
fn artifact_path(row: &Stored) -> Result<String, BackendError> {
    let view = &row.view;
    row.artifact.clone().filter(|_| view.state == CaptureState::Done).ok_or_else(|| {
        BackendError::Conflict(format!("capture #{} is {}; it has no artifact", view.id, view.state))
    })
}

async fn read_artifact(id: i64, path: &str) -> Result<Vec<u8>, BackendError> {
    tokio::fs::read(path)
        .await
        .map_err(|e| BackendError::Unavailable(format!("the artifact of capture #{id} cannot be read: {e}")))
}

fn invalid(e: pprofile::ProfileError) -> BackendError {
    BackendError::Invalid(e.to_string())
}

fn not_found(id: i64) -> BackendError {
    BackendError::NotFound(format!("no capture #{id}"))
}

/// 0 to 1: a CPU profile's seconds elapsed; done is 1.
fn progress(view: &CaptureView) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "seconds and milliseconds of a capture are small")]
    match (view.state, view.started_ms) {
        (CaptureState::Done, _) => 1.0,
        (CaptureState::Running, Some(started)) if view.seconds > 0 => {
            // A series lasts its intervals; anything else its seconds.
            let lasts = if view.kind == types::CaptureKind::ThreadsSeries {
                view.seconds * (view.dumps - 1).max(1)
            } else {
                view.seconds
            };
            ((now_ms() - started) as f64 / (lasts as f64 * 1000.0)).clamp(0.0, 0.99)
        }
        _ => 0.0,
    }
}
