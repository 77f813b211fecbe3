//! The hub's own recent samples (the embedded default): every series of every scrape, kept
//! in memory as Gorilla-compressed chunks for the retention (default 6 h), and saved to the
//! store so that a restart loses no history.

pub mod gorilla;
mod store;

pub use store::{restore, save_dirty, HistoryKeeper};

use exposition::{Exposition, MetricType};
use gorilla::Chunk;
use std::collections::{BTreeSet, HashMap};
use std::sync::{PoisonError, RwLock};
use std::time::Duration;

/// Points a chunk holds before it is sealed and a new one begun.
const CHUNK_POINTS: usize = 120;
const SEP: char = '\u{1f}';

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeriesKey {
    pub service: String,
    pub instance: String,
    pub name: String,
    /// Sorted by name.
    pub labels: Vec<(String, String)>,
}

impl SeriesKey {
    fn encode(service: &str, instance: &str, name: &str, labels: &[(&str, &str)]) -> String {
        let mut k = String::with_capacity(64);
        for part in [service, instance, name] {
            k.push_str(part);
            k.push(SEP);
        }
        for (n, v) in labels {
            k.push_str(n);
            k.push('=');
            k.push_str(v);
            k.push(SEP);
        }
        k
    }

    pub fn decode(key: &str) -> SeriesKey {
        let mut parts = key.split(SEP);
        let mut next = || parts.next().unwrap_or("").to_string();
        let (service, instance, name) = (next(), next(), next());
        let labels = key
            .split(SEP)
            .skip(3)
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('=').map(|(n, v)| (n.to_string(), v.to_string())))
            .collect();
        SeriesKey { service, instance, name, labels }
    }

    pub fn label(&self, name: &str) -> Option<&str> {
        self.labels.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Series {
    pub(crate) sealed: Vec<Chunk>,
    pub(crate) head: Chunk,
    pub(crate) dirty: bool,
}

impl Series {
    fn push(&mut self, t: i64, v: f64) {
        if self.head.len() >= CHUNK_POINTS {
            self.sealed.push(std::mem::take(&mut self.head));
        }
        self.head.push(t, v);
        self.dirty = true;
    }

    fn last_t(&self) -> i64 {
        if self.head.is_empty() {
            self.sealed.last().map_or(i64::MIN, Chunk::last_t)
        } else {
            self.head.last_t()
        }
    }

    fn points_between(&self, from: i64, to: i64) -> Vec<(i64, f64)> {
        self.sealed
            .iter()
            .chain(std::iter::once(&self.head))
            .filter(|c| !c.is_empty() && c.last_t() >= from && c.first_t() <= to)
            .flat_map(Chunk::points)
            .filter(|(t, _)| *t >= from && *t <= to)
            .collect()
    }
}

#[derive(Debug)]
pub struct History {
    series: RwLock<HashMap<String, Series>>,
    /// The keys of each (service, sample name): a query reads its series without scanning
    /// every series of every service (alerts query on every scrape of every service).
    index: RwLock<HashMap<(String, String), BTreeSet<String>>>,
    /// The declared type of each family a service exposes, from its latest scrapes.
    kinds: RwLock<HashMap<(String, String), MetricType>>,
    retention: Duration,
}

impl History {
    pub fn new(retention: Duration) -> History {
        History {
            series: RwLock::new(HashMap::new()),
            index: RwLock::default(),
            kinds: RwLock::default(),
            retention,
        }
    }

    pub fn retention(&self) -> Duration {
        self.retention
    }

    /// Adds every sample of one scrape, at its own timestamp or the scrape's.
    pub fn append(&self, service: &str, instance: &str, exp: &Exposition<'_>, scraped_ms: i64) {
        let mut labels: Vec<(&str, &str)> = Vec::with_capacity(8);
        let mut map = self.series.write().unwrap_or_else(PoisonError::into_inner);
        let mut new_keys: Vec<(&str, String)> = Vec::new();
        for s in &exp.samples {
            labels.clear();
            labels.extend(exp.labels_of(s).iter().map(|l| (l.name, l.value.as_ref())));
            labels.sort_unstable();
            let key = SeriesKey::encode(service, instance, s.name, &labels);
            let at = s.timestamp_ms.unwrap_or(scraped_ms);
            match map.entry(key) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut().push(at, s.value),
                std::collections::hash_map::Entry::Vacant(v) => {
                    new_keys.push((s.name, v.key().clone()));
                    v.insert(Series::default()).push(at, s.value);
                }
            }
        }
        drop(map);
        if !new_keys.is_empty() {
            let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
            for (name, key) in new_keys {
                index.entry((service.to_string(), name.to_string())).or_default().insert(key);
            }
        }
        let mut kinds = self.kinds.write().unwrap_or_else(PoisonError::into_inner);
        for f in exp.families.iter().filter(|f| f.typed) {
            if kinds.get(&(service.to_string(), f.name.to_string())) != Some(&f.kind) {
                kinds.insert((service.to_string(), f.name.to_string()), f.kind);
            }
        }
    }

    /// The type of the family a sample name belongs to (`x_bucket` → x's), when declared.
    pub fn kind_of(&self, service: &str, sample: &str) -> Option<MetricType> {
        let kinds = self.kinds.read().unwrap_or_else(PoisonError::into_inner);
        let get = |name: &str| kinds.get(&(service.to_string(), name.to_string())).copied();
        get(sample).or_else(|| {
            ["_total", "_bucket", "_sum", "_count", "_created"]
                .iter()
                .find_map(|suffix| sample.strip_suffix(suffix).and_then(get))
        })
    }

    /// Series of `name` for a service (one instance, or all), with their points in range.
    pub fn query(
        &self,
        service: &str,
        instance: Option<&str>,
        name: &str,
        from: i64,
        to: i64,
    ) -> Vec<(SeriesKey, Vec<(i64, f64)>)> {
        let prefix = match instance {
            Some(i) => format!("{service}{SEP}{i}{SEP}{name}{SEP}"),
            None => format!("{service}{SEP}"),
        };
        let keys: Vec<String> = {
            let index = self.index.read().unwrap_or_else(PoisonError::into_inner);
            index
                .get(&(service.to_string(), name.to_string()))
                .map(|keys| keys.iter().filter(|k| k.starts_with(&prefix)).cloned().collect())
                .unwrap_or_default()
        };
        let map = self.series.read().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<(SeriesKey, Vec<(i64, f64)>)> = keys
            .iter()
            .filter_map(|k| map.get(k).map(|s| (SeriesKey::decode(k), s)))
            .map(|(k, s)| (k, s.points_between(from, to)))
            .filter(|(_, p)| !p.is_empty())
            .collect();
        out.sort_by(|a, b| (&a.0.instance, &a.0.labels).cmp(&(&b.0.instance, &b.0.labels)));
        out
    }

    /// Metric names with history for a service, for the explorer.
    pub fn names(&self, service: &str) -> Vec<String> {
        let prefix = format!("{service}{SEP}");
        let map = self.series.read().unwrap_or_else(PoisonError::into_inner);
        let mut names: Vec<String> =
            map.keys().filter(|k| k.starts_with(&prefix)).map(|k| SeriesKey::decode(k).name).collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    /// Forgets chunks past the retention, and series with nothing left.
    pub fn prune(&self, now_ms: i64) {
        let horizon = now_ms - i64::try_from(self.retention.as_millis()).unwrap_or(i64::MAX);
        let mut map = self.series.write().unwrap_or_else(PoisonError::into_inner);
        let mut gone: Vec<String> = Vec::new();
        map.retain(|k, s| {
            s.sealed.retain(|c| c.last_t() >= horizon);
            let keep = s.last_t() >= horizon;
            if !keep {
                gone.push(k.clone());
            }
            keep
        });
        drop(map);
        if !gone.is_empty() {
            let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
            for k in gone {
                let key = SeriesKey::decode(&k);
                if let Some(set) = index.get_mut(&(key.service.clone(), key.name.clone())) {
                    set.remove(&k);
                    if set.is_empty() {
                        index.remove(&(key.service, key.name));
                    }
                }
            }
        }
    }

    pub fn series_count(&self) -> usize {
        self.series.read().unwrap_or_else(PoisonError::into_inner).len()
    }

    /// Bytes of encoded points held (for the scale benchmark's accounting).
    pub fn encoded_bytes(&self) -> usize {
        let map = self.series.read().unwrap_or_else(PoisonError::into_inner);
        map.values().map(|s| s.head.bytes() + s.sealed.iter().map(Chunk::bytes).sum::<usize>()).sum()
    }

    pub(crate) fn take_dirty(&self) -> Vec<(String, Vec<u8>, i64)> {
        let mut map = self.series.write().unwrap_or_else(PoisonError::into_inner);
        map.iter_mut()
            .filter(|(_, s)| s.dirty)
            .map(|(k, s)| {
                s.dirty = false;
                let mut blob = Vec::new();
                for c in s.sealed.iter().chain(std::iter::once(&s.head)).filter(|c| !c.is_empty()) {
                    let bytes = c.to_bytes();
                    blob.extend_from_slice(&u32::try_from(bytes.len()).unwrap_or(u32::MAX).to_le_bytes());
                    blob.extend_from_slice(&bytes);
                }
                (k.clone(), blob, s.last_t())
            })
            .collect()
    }

    pub(crate) fn put_restored(&self, key: String, series: Series) {
        let decoded = SeriesKey::decode(&key);
        let mut map = self.series.write().unwrap_or_else(PoisonError::into_inner);
        map.entry(key.clone()).or_insert(series);
        drop(map);
        let mut index = self.index.write().unwrap_or_else(PoisonError::into_inner);
        index.entry((decoded.service, decoded.name)).or_default().insert(key);
    }
}

/// Chunks back from a saved blob (see `History::take_dirty`); a damaged tail is dropped.
pub(crate) fn series_from_blob(blob: &[u8]) -> Series {
    let mut chunks = Vec::new();
    let mut rest = blob;
    while rest.len() >= 4 {
        let len = u32::from_le_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        let Some(bytes) = rest.get(4..4 + len) else { break };
        if let Some(c) = gorilla::from_bytes(bytes) {
            chunks.push(c);
        }
        rest = &rest[4 + len..];
    }
    let head = chunks.pop().unwrap_or_default();
    Series { sealed: chunks, head, dirty: false }
}

#[cfg(test)]
mod tests;
