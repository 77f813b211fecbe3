//! What the hub shows of a thread dump: its analysis and the diff of two dumps. Computed by
//! the `threaddump` crate on the server; drawn by the browser.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub count: usize,
    pub state: String,
    pub frames: Vec<String>,
    pub threads: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool {
    pub name: String,
    pub threads: usize,
    /// Running a task, even when blocked inside it.
    pub busy: usize,
    /// Waiting for work in the pool's own queue.
    pub idle: usize,
    pub exhausted: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadlock {
    /// In cycle order: each waits for a lock the next one holds.
    pub threads: Vec<String>,
    /// The lock each thread of `threads` waits for.
    pub locks: Vec<String>,
}

/// A lock several threads wait for: a hot spot, whether or not it is a deadlock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HotLock {
    pub lock: String,
    /// The thread holding it, when the dump says.
    pub holder: Option<String>,
    pub waiters: Vec<String>,
}

/// The API's shape: `{"threads", "states", "groups", "pools", "deadlocks"}`, and the hot locks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Analysis {
    pub threads: usize,
    pub states: BTreeMap<String, usize>,
    pub groups: Vec<Group>,
    pub pools: Vec<Pool>,
    pub deadlocks: Vec<Deadlock>,
    /// Locks two or more threads wait for, most waiters first.
    #[serde(default)]
    pub hot_locks: Vec<HotLock>,
}

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

/// Several dumps of one instance, some seconds apart: what stayed stuck in every one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesAnalysis {
    /// When each dump was taken (unix ms), oldest first, with its thread count.
    pub dumps: Vec<(i64, usize)>,
    pub interval_s: i64,
    /// Threads in the same frame, waiting for or holding the same lock, in every dump.
    pub stuck: Vec<SeriesStuck>,
    /// Pools with no idle thread in every dump, as the last dump has them.
    pub exhausted_pools: Vec<Pool>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeriesStuck {
    pub name: String,
    pub state: String,
    pub frame: Option<String>,
    pub waiting_on: Option<String>,
    pub holds: Vec<String>,
}
