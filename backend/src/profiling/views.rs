//! What a capture shows: its state, its artifact, and the analyses of it (top, flamegraph,
//! callers and callees, diffs, thread-dump analysis).

use super::{store, Captures};
use crate::{now_ms, BackendError, Principal};
use std::sync::{Arc, PoisonError};
use types::CaptureView;

/// The most captures a list returns.
const LIST_LIMIT: i64 = 200;
/// Decoded profiles kept, and the largest artifact worth keeping decoded (a decoded profile
/// takes several times its gzipped size).
const CACHED_PROFILES: usize = 4;
const CACHED_ARTIFACT_MAX: usize = 8 * 1024 * 1024;

/// The most recently used decoded profiles, by capture id (artifacts never change).
#[derive(Default)]
pub struct ProfileCache {
    entries: std::collections::VecDeque<(i64, Arc<pprofile::Profile>)>,
}

impl ProfileCache {
    fn get(&mut self, id: i64) -> Option<Arc<pprofile::Profile>> {
        let at = self.entries.iter().position(|(i, _)| *i == id)?;
        let entry = self.entries.remove(at)?;
        let hit = entry.1.clone();
        self.entries.push_front(entry);
        Some(hit)
    }

    fn put(&mut self, id: i64, profile: Arc<pprofile::Profile>) {
        self.entries.retain(|(i, _)| *i != id);
        self.entries.push_front((id, profile));
        self.entries.truncate(CACHED_PROFILES);
    }

    pub fn forget(&mut self, id: i64) {
        self.entries.retain(|(i, _)| *i != id);
    }
}

impl Captures {
    pub async fn get(&self, _actor: &Principal, id: i64) -> Result<CaptureView, BackendError> {
        let (mut view, _) = store::get(&self.store, id).await?.ok_or_else(|| not_found(id))?;
        view.progress = progress(&view);
        Ok(view)
    }

    /// A capture's row and the path of its artifact, if it has one yet.
    async fn row(&self, id: i64) -> Result<(CaptureView, Option<String>), BackendError> {
        store::get(&self.store, id).await?.ok_or_else(|| not_found(id))
    }

    /// The artifact as captured, and a file name for it.
    pub async fn raw(&self, _actor: &Principal, id: i64) -> Result<(Vec<u8>, String), BackendError> {
        let (view, artifact) = self.row(id).await?;
        let path = artifact_path(id, &view, artifact)?;
        let bytes = read_artifact(id, &path).await?;
        let name = std::path::Path::new(&path)
            .file_name()
            .map_or_else(|| format!("capture-{id}"), |n| n.to_string_lossy().to_string());
        Ok((bytes, name))
    }

    /// The newest captures of a service, or of one of its instances (`upload` for uploads).
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

    async fn dump(&self, actor: &Principal, id: i64) -> Result<Vec<threaddump::Thread>, BackendError> {
        let (bytes, _) = self.raw(actor, id).await?;
        let text = String::from_utf8(bytes)
            .map_err(|_| BackendError::Invalid(format!("capture #{id} is not a thread dump")))?;
        let kind = threaddump::detect(&text)
            .ok_or_else(|| BackendError::Invalid(format!("capture #{id} is not a thread dump")))?;
        threaddump::parse(&text, kind).map_err(|e| BackendError::Invalid(format!("capture #{id}: {e}")))
    }

    /// The thread-dump analysis of a `threads` capture or a dump upload.
    pub async fn threads(&self, actor: &Principal, id: i64) -> Result<threaddump::Analysis, BackendError> {
        Ok(threaddump::analyse(&self.dump(actor, id).await?))
    }

    /// What changed between two dumps: what got stuck since the first.
    pub async fn threads_diff(
        &self,
        actor: &Principal,
        before: i64,
        after: i64,
    ) -> Result<threaddump::DumpDiff, BackendError> {
        let (a, b) = (self.dump(actor, before).await?, self.dump(actor, after).await?);
        Ok(threaddump::diff(&a, &b))
    }

    /// The decoded profile of a capture, by id.
    async fn profile_of(&self, id: i64) -> Result<Arc<pprofile::Profile>, BackendError> {
        let (view, artifact) = self.row(id).await?;
        self.profile(id, &view, artifact).await
    }

    /// The decoded profile of a done capture; the last few stay decoded, as a page asks for
    /// its flamegraph, top table and callers one after the other.
    async fn profile(
        &self,
        id: i64,
        view: &CaptureView,
        artifact: Option<String>,
    ) -> Result<Arc<pprofile::Profile>, BackendError> {
        let path = artifact_path(id, view, artifact)?;
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
    ) -> Result<pprofile::Top, BackendError> {
        let profile = self.profile_of(id).await?;
        pprofile::top(&profile, sample).map_err(invalid)
    }

    /// Flamegraph data: rectangles laid out, narrow frames left out.
    pub async fn flame(
        &self,
        _actor: &Principal,
        id: i64,
        sample: Option<&str>,
    ) -> Result<pprofile::FlameGraph, BackendError> {
        let profile = self.profile_of(id).await?;
        pprofile::flame(&profile, sample, pprofile::DEFAULT_MIN_FRACTION).map_err(invalid)
    }

    /// A function's callers and callees.
    pub async fn neighbours(
        &self,
        _actor: &Principal,
        id: i64,
        sample: Option<&str>,
        function: &str,
    ) -> Result<pprofile::Neighbours, BackendError> {
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
    ) -> Result<(pprofile::TopDiff, pprofile::FlameGraph), BackendError> {
        let (a, a_artifact) = self.row(before).await?;
        let (b, b_artifact) = self.row(after).await?;
        if a.service != b.service {
            return Err(BackendError::Invalid(format!(
                "#{before} is of {} and #{after} of {}: a diff compares captures of one service",
                a.service, b.service
            )));
        }
        let (a, b) =
            (self.profile(before, &a, a_artifact).await?, self.profile(after, &b, b_artifact).await?);
        let table = pprofile::diff(&a, &b, sample).map_err(invalid)?;
        let flame = pprofile::diff_flame(&a, &b, sample, pprofile::DEFAULT_MIN_FRACTION).map_err(invalid)?;
        Ok((table, flame))
    }
}

/// Only a done capture has an artifact.
fn artifact_path(id: i64, view: &CaptureView, artifact: Option<String>) -> Result<String, BackendError> {
    artifact
        .filter(|_| view.state == "done")
        .ok_or_else(|| BackendError::Conflict(format!("capture #{id} is {}; it has no artifact", view.state)))
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
    match (view.state.as_str(), view.started_ms) {
        ("done", _) => 1.0,
        ("running", Some(started)) if view.seconds > 0 => {
            ((now_ms() - started) as f64 / (view.seconds as f64 * 1000.0)).clamp(0.0, 0.99)
        }
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::{ProfileCache, CACHED_PROFILES};
    use std::sync::Arc;

    #[test]
    fn the_cache_keeps_the_most_recently_used_profiles() {
        let mut cache = ProfileCache::default();
        for id in 0..5 {
            cache.put(id, Arc::new(pprofile::Profile::default()));
        }
        assert!(cache.get(0).is_none(), "the oldest of {} went", CACHED_PROFILES + 1);
        assert!(cache.get(1).is_some());
        cache.put(5, Arc::new(pprofile::Profile::default()));
        assert!(cache.get(1).is_some(), "a use keeps it");
        assert!(cache.get(2).is_none());
        cache.forget(1);
        assert!(cache.get(1).is_none());
    }
}
