//! Thread dumps of a demo process, in the fleet's documented text format (README, "Thread
//! dump format"). Every OS thread of the process is listed with its kernel state from
//! /proc; threads of the demo's own pools also record what they run (logical frames, the
//! locks they hold and the lock they wait for), as a JVM's jstack would show them.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, OnceLock, PoisonError};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Runnable,
    Waiting,
    TimedWaiting,
    Blocked,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::Runnable => "RUNNABLE",
            State::Waiting => "WAITING",
            State::TimedWaiting => "TIMED_WAITING",
            State::Blocked => "BLOCKED",
        }
    }
}

/// What a pool thread is doing, innermost frame first.
#[derive(Clone, Debug)]
pub struct Activity {
    pub state: State,
    pub frames: Vec<&'static str>,
    pub waiting_on: Option<(u64, &'static str)>,
    pub holding: Vec<(u64, &'static str)>,
}

fn registry() -> &'static Mutex<BTreeMap<String, Activity>> {
    static ACTIVITIES: OnceLock<Mutex<BTreeMap<String, Activity>>> = OnceLock::new();
    ACTIVITIES.get_or_init(Default::default)
}

/// Records the calling thread's activity under its name.
pub fn record(activity: Activity) {
    let name = std::thread::current().name().unwrap_or("unnamed").to_string();
    registry().lock().unwrap_or_else(PoisonError::into_inner).insert(name, activity);
}

pub fn idle(frames: &[&'static str]) {
    record(Activity { state: State::Waiting, frames: frames.to_vec(), waiting_on: None, holding: vec![] });
}

struct OsThread {
    tid: u32,
    name: String,
    kernel_state: char,
}

fn os_threads() -> Vec<OsThread> {
    let mut threads = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return threads;
    };
    for entry in dir.flatten() {
        let Some(tid) = entry.file_name().to_str().and_then(|t| t.parse().ok()) else {
            continue;
        };
        let name = std::fs::read_to_string(entry.path().join("comm")).unwrap_or_default().trim().to_string();
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        // The state follows the command name, which is in parentheses and may hold spaces.
        let kernel_state =
            stat.rsplit_once(')').and_then(|(_, rest)| rest.trim().chars().next()).unwrap_or('?');
        threads.push(OsThread { tid, name, kernel_state });
    }
    threads.sort_by_key(|t| t.tid);
    threads
}

/// The kernel shortens thread names to 15 bytes; match our recorded names by that prefix.
fn kernel_name(name: &str) -> &str {
    let mut end = name.len().min(15);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    &name[..end]
}

pub fn dump(process: &str) -> String {
    let activities = registry().lock().unwrap_or_else(PoisonError::into_inner).clone();
    let threads = os_threads();
    let mut out = String::new();
    let _ = writeln!(out, "switchboard-thread-dump 1");
    let _ = writeln!(out, "process {process} pid {} threads {}", std::process::id(), threads.len());
    for t in threads {
        out.push('\n');
        let recorded = activities.iter().find(|(n, _)| kernel_name(n) == t.name).map(|(n, a)| (n.clone(), a));
        let Some((name, a)) = recorded else {
            let state = if t.kernel_state == 'R' { "RUNNABLE" } else { "WAITING" };
            let _ = writeln!(out, "\"{}\" tid={} state={state} kernel={}", t.name, t.tid, t.kernel_state);
            continue;
        };
        let _ =
            writeln!(out, "\"{name}\" tid={} state={} kernel={}", t.tid, a.state.as_str(), t.kernel_state);
        if let Some((id, lock)) = a.waiting_on {
            let _ = writeln!(out, "    - waiting to lock <{id:#018x}> ({lock})");
        }
        for f in &a.frames {
            let _ = writeln!(out, "    at {f}");
        }
        for (id, lock) in &a.holding {
            let _ = writeln!(out, "    - locked <{id:#018x}> ({lock})");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_lists_this_thread_with_its_frames() {
        let handle = std::thread::Builder::new()
            .name("dump-test-worker".into())
            .spawn(|| {
                record(Activity {
                    state: State::Blocked,
                    frames: vec!["demo::chaos::deadlock_side_a", "demo::pool::run_task"],
                    waiting_on: Some((2, "orders-cache")),
                    holding: vec![(1, "customer-index")],
                });
                let text = dump("test");
                assert!(text.starts_with("switchboard-thread-dump 1\nprocess test pid "), "{text}");
                assert!(text.contains("\"dump-test-worker\" tid="), "{text}");
                assert!(text.contains("state=BLOCKED"), "{text}");
                assert!(text.contains("    - waiting to lock <0x0000000000000002> (orders-cache)\n    at demo::chaos::deadlock_side_a\n"), "{text}");
                assert!(text.contains("    - locked <0x0000000000000001> (customer-index)"), "{text}");
            })
            .expect("spawn");
        handle.join().expect("test thread");
    }
}
