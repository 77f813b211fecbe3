//! Two dumps of one process compared: what got stuck since the first.

use crate::analysis::{deadlocks, is_idle, pool_counts, state_counts, Deadlock};
use crate::Thread;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, HashMap};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StateChange {
    pub state: String,
    pub before: usize,
    pub after: usize,
}

/// A thread blocked on a lock (or waiting on one outside its pool's queue).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StuckThread {
    pub name: String,
    pub state: String,
    pub frame: Option<String>,
    pub waiting_on: Option<String>,
    /// Its state in the first dump; `None`: it did not exist then.
    pub was: Option<String>,
}

/// A stack whose thread count grew.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupChange {
    pub state: String,
    pub frames: Vec<String>,
    pub before: usize,
    pub after: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PoolChange {
    pub name: String,
    pub threads: usize,
    pub busy_before: usize,
    pub busy_after: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpDiff {
    pub threads_before: usize,
    pub threads_after: usize,
    /// Every state of either dump.
    pub states: Vec<StateChange>,
    /// Stuck now, and not (or not on that lock) before.
    pub newly_stuck: Vec<StuckThread>,
    /// Stuck in both dumps on the same lock.
    pub still_stuck: Vec<StuckThread>,
    /// Stacks with more threads than before, largest growth first.
    pub grown: Vec<GroupChange>,
    pub pools: Vec<PoolChange>,
    /// Deadlocks of the second dump that the first did not have.
    pub new_deadlocks: Vec<Deadlock>,
    /// Threads of the first dump gone from the second.
    pub gone: Vec<String>,
}

fn is_stuck(t: &Thread) -> bool {
    t.state == "BLOCKED" || (t.waiting_on.is_some() && !is_idle(t))
}

pub fn diff(before: &[Thread], after: &[Thread]) -> DumpDiff {
    let (sb, sa) = (state_counts(before), state_counts(after));
    let names: BTreeSet<&str> = sb.keys().chain(sa.keys()).copied().collect();
    let states = names
        .into_iter()
        .map(|s| StateChange {
            state: s.to_string(),
            before: sb.get(s).copied().unwrap_or(0),
            after: sa.get(s).copied().unwrap_or(0),
        })
        .collect();

    let by_name: HashMap<&str, &Thread> = before.iter().map(|t| (t.name.as_str(), t)).collect();
    let (mut newly_stuck, mut still_stuck) = (Vec::new(), Vec::new());
    for t in after.iter().filter(|t| is_stuck(t)) {
        let was = by_name.get(t.name.as_str());
        let entry = StuckThread {
            name: t.name.clone(),
            state: t.state.clone(),
            frame: t.frames.first().cloned(),
            waiting_on: t.waiting_on.clone(),
            was: was.map(|w| w.state.clone()),
        };
        match was {
            Some(w) if is_stuck(w) && w.waiting_on == t.waiting_on => still_stuck.push(entry),
            _ => newly_stuck.push(entry),
        }
    }

    let mut groups: BTreeMap<(&str, &[String]), (usize, usize)> = BTreeMap::new();
    for (slot, dump) in [before, after].into_iter().enumerate() {
        for t in dump.iter().filter(|t| !t.frames.is_empty()) {
            let e = groups.entry((t.state.as_str(), t.frames.as_slice())).or_default();
            if slot == 0 {
                e.0 += 1
            } else {
                e.1 += 1
            }
        }
    }
    let mut grown: Vec<GroupChange> = groups
        .into_iter()
        .filter(|(_, (b, a))| a > b)
        .map(|((state, frames), (b, a))| GroupChange {
            state: state.to_string(),
            frames: frames.to_vec(),
            before: b,
            after: a,
        })
        .collect();
    grown.sort_by(|x, y| {
        (y.after - y.before).cmp(&(x.after - x.before)).then_with(|| x.frames.cmp(&y.frames))
    });
    grown.truncate(20);

    let (pb, pa) = (pool_counts(before), pool_counts(after));
    let pools = pa
        .iter()
        .filter(|(_, (n, _))| *n >= 2)
        .map(|(name, (n, idle))| PoolChange {
            name: (*name).to_string(),
            threads: *n,
            busy_before: pb.get(name).map_or(0, |(n, idle)| n - idle),
            busy_after: n - idle,
        })
        .collect();

    let old: BTreeSet<Vec<String>> = deadlocks(before).into_iter().map(|d| d.threads).collect();
    let new_deadlocks = deadlocks(after).into_iter().filter(|d| !old.contains(&d.threads)).collect();
    let present: BTreeSet<&str> = after.iter().map(|t| t.name.as_str()).collect();
    let gone = before.iter().filter(|t| !present.contains(t.name.as_str())).map(|t| t.name.clone()).collect();
    DumpDiff {
        threads_before: before.len(),
        threads_after: after.len(),
        states,
        newly_stuck,
        still_stuck,
        grown,
        pools,
        new_deadlocks,
        gone,
    }
}
