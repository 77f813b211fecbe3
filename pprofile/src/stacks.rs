//! Samples as stacks of function names, shared by the flamegraph, the diff and the
//! callers/callees views: names are interned once, locations resolved once.

use crate::{Profile, ProfileError};
use std::collections::HashMap;

/// Function names interned across one or more profiles, so two profiles' stacks compare.
#[derive(Default)]
pub(crate) struct Names<'p> {
    pub names: Vec<&'p str>,
    index: HashMap<&'p str, u32>,
}

impl<'p> Names<'p> {
    pub fn intern(&mut self, name: &'p str) -> u32 {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name);
        self.index.insert(name, i);
        i
    }

    pub fn get(&self, name: &str) -> Option<u32> {
        self.index.get(name).copied()
    }
}

/// Each location's names (outermost first, as a root-first stack reads them): by index when ids are small and dense, as
/// profiles number them, else by map.
struct LocationFrames {
    pool: Vec<u32>,
    dense: Vec<(u32, u32)>,
    sparse: HashMap<u64, (u32, u32)>,
}

impl LocationFrames {
    fn get(&self, id: u64) -> &[u32] {
        let range = usize::try_from(id)
            .ok()
            .and_then(|i| self.dense.get(i))
            .copied()
            .or_else(|| self.sparse.get(&id).copied())
            .unwrap_or((0, 0));
        &self.pool[range.0 as usize..range.1 as usize]
    }
}

/// One profile's samples resolved to interned names.
pub(crate) struct Resolved<'p> {
    profile: &'p Profile,
    locations: LocationFrames,
    pub value_index: usize,
}

impl<'p> Resolved<'p> {
    pub fn new(
        profile: &'p Profile,
        sample: Option<&str>,
        names: &mut Names<'p>,
    ) -> Result<Self, ProfileError> {
        let value_index = crate::top::sample_index(profile, sample)?;
        let functions: HashMap<u64, u32> =
            profile.functions.iter().map(|f| (f.id, names.intern(f.name.as_str()))).collect();
        let unknown = names.intern("?");
        let max_id = profile.locations.iter().map(|l| l.id).max().unwrap_or(0);
        let dense_ok = max_id <= 4 * profile.locations.len() as u64 + 1024;
        let mut locations = LocationFrames {
            pool: Vec::new(),
            dense: if dense_ok { vec![(0, 0); usize::try_from(max_id).unwrap_or(0) + 1] } else { Vec::new() },
            sparse: HashMap::new(),
        };
        for l in &profile.locations {
            let start = u32::try_from(locations.pool.len()).unwrap_or(u32::MAX);
            locations.pool.extend(
                l.lines.iter().rev().map(|line| functions.get(&line.function_id).copied().unwrap_or(unknown)),
            );
            let range = (start, u32::try_from(locations.pool.len()).unwrap_or(u32::MAX));
            match usize::try_from(l.id).ok().filter(|_| dense_ok) {
                Some(i) => locations.dense[i] = range,
                None => {
                    locations.sparse.insert(l.id, range);
                }
            }
        }
        Ok(Resolved { profile, locations, value_index })
    }

    /// Every sample's location ids (leaf first) with its value; zero values left out.
    pub fn samples(&self) -> impl Iterator<Item = (&'p [u64], i64)> + '_ {
        self.profile.samples.iter().filter_map(|s| {
            let v = s.values.get(self.value_index).copied().unwrap_or(0);
            (v != 0).then_some((s.location_ids.as_slice(), v))
        })
    }

    /// The names of a stack, leaf first, into `out`.
    pub fn frames_leaf_first(&self, stack: &[u64], out: &mut Vec<u32>) {
        out.clear();
        for id in stack {
            out.extend(self.locations.get(*id).iter().rev());
        }
    }

    /// The names of a stack, root first, appended to `out`.
    pub fn push_root_first(&self, stack: &[u64], out: &mut Vec<u32>) {
        let (dense, pool) = (&self.locations.dense, &self.locations.pool);
        for &id in stack.iter().rev() {
            // The common case inline: a dense id of a location with one or two names.
            let (start, end) = match usize::try_from(id).ok().and_then(|i| dense.get(i)) {
                Some(&range) => range,
                None => self.locations.sparse.get(&id).copied().unwrap_or((0, 0)),
            };
            for &name in &pool[start as usize..end as usize] {
                out.push(name);
            }
        }
    }

    pub fn sample_count(&self) -> usize {
        self.profile.samples.len()
    }

    /// How many location references the samples hold: a size to reserve.
    pub fn frame_count(&self) -> usize {
        self.profile.samples.iter().map(|s| s.location_ids.len()).sum()
    }

    /// Location id → name, when every location has exactly one line and ids are dense:
    /// then a stack's frames are read straight from its location ids, without expanding.
    pub fn single_line_names(&self) -> Option<Vec<u32>> {
        let all_single = self.profile.locations.iter().all(|l| l.lines.len() == 1);
        if !all_single || self.locations.dense.is_empty() {
            return None;
        }
        Some(
            self.locations
                .dense
                .iter()
                .map(|&(start, end)| if end > start { self.locations.pool[start as usize] } else { u32::MAX })
                .collect(),
        )
    }

    pub fn total(&self) -> i64 {
        self.profile.samples.iter().filter_map(|s| s.values.get(self.value_index)).sum()
    }

    pub fn sample_type(&self) -> &'p crate::ValueType {
        &self.profile.sample_types[self.value_index]
    }

    pub fn sample_types(&self) -> Vec<String> {
        self.profile.sample_types.iter().map(|t| t.kind.clone()).collect()
    }
}
