//! What a dump says at a glance: states, identical stacks, pools, deadlocks.

use crate::Thread;
use std::collections::{BTreeMap, HashMap};
use types::threads::{Analysis, Deadlock, Group, HotLock, Pool};

/// Frames of a pool thread waiting for its next task.
const IDLE_SIGNATURES: &[&str] = &[
    "ThreadPoolExecutor.getTask",
    "LinkedBlockingQueue.take",
    "LinkedBlockingQueue.poll",
    "ArrayBlockingQueue.take",
    "SynchronousQueue.take",
    "SynchronousQueue.poll",
    "DelayedWorkQueue.take",
    "ForkJoinPool.awaitWork",
    "WorkerPool::next_task",
];

/// `http-nio-8080-exec-12` → `http-nio-8080-exec`; names without a numbered suffix are no pool.
fn pool_name(thread: &str) -> Option<&str> {
    let trimmed = thread.trim_end_matches(|c: char| c.is_ascii_digit());
    if trimmed.len() == thread.len() {
        return None;
    }
    let base = trimmed.strip_suffix(['-', '_', '#', ' '])?;
    (!base.is_empty() && !base.starts_with("goroutine")).then_some(base)
}

pub(crate) fn is_idle(t: &Thread) -> bool {
    t.frames.iter().take(12).any(|f| IDLE_SIGNATURES.iter().any(|s| f.contains(s)))
}

pub(crate) fn deadlocks(threads: &[Thread]) -> Vec<Deadlock> {
    let holder: HashMap<&str, usize> =
        threads.iter().enumerate().flat_map(|(i, t)| t.holds.iter().map(move |l| (l.as_str(), i))).collect();
    // Each thread waits for at most one lock: the wait-for graph is a functional graph.
    let next = |i: usize| -> Option<usize> {
        let lock = threads[i].waiting_on.as_deref()?;
        holder.get(lock).copied().filter(|h| *h != i)
    };
    let mut seen = vec![false; threads.len()];
    let mut found = Vec::new();
    for start in 0..threads.len() {
        let mut path: Vec<usize> = Vec::new();
        let mut at = Some(start);
        while let Some(i) = at {
            if let Some(pos) = path.iter().position(|p| *p == i) {
                let cycle = &path[pos..];
                if !cycle.iter().any(|c| seen[*c]) {
                    // Start at the smallest name so a cycle reads the same every time.
                    let first = cycle
                        .iter()
                        .enumerate()
                        .min_by_key(|(_, c)| &threads[**c].name)
                        .map_or(0, |(k, _)| k);
                    let ordered: Vec<usize> = cycle[first..].iter().chain(&cycle[..first]).copied().collect();
                    found.push(Deadlock {
                        threads: ordered.iter().map(|c| threads[*c].name.clone()).collect(),
                        locks: ordered
                            .iter()
                            .map(|c| threads[*c].waiting_on.clone().unwrap_or_default())
                            .collect(),
                    });
                    for c in cycle {
                        seen[*c] = true;
                    }
                }
                break;
            }
            if seen[i] {
                break;
            }
            path.push(i);
            at = next(i);
        }
    }
    found
}

/// Threads per state.
pub(crate) fn state_counts(threads: &[Thread]) -> BTreeMap<&str, usize> {
    let mut states = BTreeMap::new();
    for t in threads {
        *states.entry(t.state.as_str()).or_default() += 1;
    }
    states
}

/// Per pool (by thread-name prefix): its threads, and how many of them are idle.
pub(crate) fn pool_counts(threads: &[Thread]) -> BTreeMap<&str, (usize, usize)> {
    let mut pools: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for t in threads {
        if let Some(p) = pool_name(&t.name) {
            let e = pools.entry(p).or_default();
            e.0 += 1;
            e.1 += usize::from(is_idle(t));
        }
    }
    pools
}

pub fn analyse(threads: &[Thread]) -> Analysis {
    let states = state_counts(threads).into_iter().map(|(s, n)| (s.to_string(), n)).collect();
    let mut by_stack: BTreeMap<(&str, &[String]), Vec<String>> = BTreeMap::new();
    for t in threads.iter().filter(|t| !t.frames.is_empty()) {
        by_stack.entry((t.state.as_str(), t.frames.as_slice())).or_default().push(t.name.clone());
    }
    let mut groups: Vec<Group> = by_stack
        .into_iter()
        .map(|((state, frames), names)| Group {
            count: names.len(),
            state: state.to_string(),
            frames: frames.to_vec(),
            threads: names,
        })
        .collect();
    groups.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.frames.cmp(&b.frames)));
    let pools = pool_counts(threads)
        .into_iter()
        .filter(|(_, (n, _))| *n >= 2)
        .map(|(name, (n, idle))| Pool {
            name: name.to_string(),
            threads: n,
            busy: n - idle,
            idle,
            exhausted: idle == 0,
        })
        .collect();
    Analysis {
        threads: threads.len(),
        states,
        groups,
        pools,
        deadlocks: deadlocks(threads),
        hot_locks: hot_locks(threads),
    }
}

fn hot_locks(threads: &[Thread]) -> Vec<HotLock> {
    let mut waiters: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for t in threads {
        if let Some(lock) = t.waiting_on.as_deref() {
            waiters.entry(lock).or_default().push(t.name.clone());
        }
    }
    let mut hot: Vec<HotLock> = waiters
        .into_iter()
        .filter(|(_, w)| w.len() >= 2)
        .map(|(lock, waiters)| HotLock {
            lock: lock.to_string(),
            holder: threads.iter().find(|t| t.holds.iter().any(|h| h == lock)).map(|t| t.name.clone()),
            waiters,
        })
        .collect();
    hot.sort_by(|a, b| b.waiters.len().cmp(&a.waiters.len()).then_with(|| a.lock.cmp(&b.lock)));
    hot
}
