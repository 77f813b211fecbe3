//! The last few decoded profiles, so that a page's flamegraph, top table and callers decode
//! a capture once (artifacts never change).

use std::sync::Arc;

/// Decoded profiles kept, and the largest artifact worth keeping decoded (a decoded profile
/// takes several times its gzipped size).
pub const CACHED_PROFILES: usize = 4;
pub const CACHED_ARTIFACT_MAX: usize = 8 * 1024 * 1024;

/// The most recently used decoded profiles, by capture id (artifacts never change).
#[derive(Default)]
pub struct ProfileCache {
    entries: std::collections::VecDeque<(i64, Arc<pprofile::Profile>)>,
}

impl ProfileCache {
    pub fn get(&mut self, id: i64) -> Option<Arc<pprofile::Profile>> {
        let at = self.entries.iter().position(|(i, _)| *i == id)?;
        let entry = self.entries.remove(at)?;
        let hit = entry.1.clone();
        self.entries.push_front(entry);
        Some(hit)
    }

    pub fn put(&mut self, id: i64, profile: Arc<pprofile::Profile>) {
        self.entries.retain(|(i, _)| *i != id);
        self.entries.push_front((id, profile));
        self.entries.truncate(CACHED_PROFILES);
    }

    pub fn forget(&mut self, id: i64) {
        self.entries.retain(|(i, _)| *i != id);
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
