//! Two dumps of one process compared: what got stuck since the first.

use crate::analysis::{deadlocks, is_idle, pool_counts, state_counts};
use crate::Thread;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use types::threads::{DumpDiff, GroupChange, PoolChange, StateChange, StuckThread};

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
