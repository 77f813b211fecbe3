//! Thread dumps, whatever produced them, in one model — threads with a state, frames
//! (innermost first), the locks they hold and the one they wait for — and the analysis an
//! engineer on call wants first: counts by state, threads grouped by identical stack, pools
//! with busy and idle counts, and deadlock cycles found from the lock lines alone.

mod analysis;
mod diff;
mod fleet;
mod go;
mod jvm;
mod jvm_json;
mod series;

pub use analysis::analyse;
pub use diff::diff;
pub use series::{series, DumpSeries, TakenDump, SERIES_FORMAT};
pub use types::threads::{
    Analysis, Deadlock, DumpDiff, Group, GroupChange, HotLock, Pool, PoolChange, SeriesAnalysis, SeriesStuck,
    StateChange, StuckThread,
};

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Thread {
    pub name: String,
    /// RUNNABLE, BLOCKED, WAITING, TIMED_WAITING (JVM words; Go states are mapped onto them).
    pub state: String,
    /// Innermost first.
    pub frames: Vec<String>,
    pub holds: Vec<String>,
    pub waiting_on: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DumpKind {
    Jvm,
    /// JDK 21's `jcmd <pid> Thread.dump_to_file -format=json`.
    JvmJson,
    Goroutine,
    Fleet,
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct DumpError {
    pub line: usize,
    pub message: String,
}

/// Recognises the format from the text itself.
pub fn detect(text: &str) -> Option<DumpKind> {
    let head: String = text.chars().take(4096).collect();
    if head.starts_with("switchboard-thread-dump ") {
        Some(DumpKind::Fleet)
    } else if jvm_json::is_json_dump(&head) {
        Some(DumpKind::JvmJson)
    } else if head.contains("goroutine ")
        && (head.contains("goroutine profile:") || head.lines().any(go::is_header))
    {
        Some(DumpKind::Goroutine)
    } else if head.lines().any(jvm::is_header) {
        Some(DumpKind::Jvm)
    } else {
        None
    }
}

pub fn parse(text: &str, kind: DumpKind) -> Result<Vec<Thread>, DumpError> {
    match kind {
        DumpKind::Jvm => jvm::parse(text),
        DumpKind::JvmJson => jvm_json::parse(text),
        DumpKind::Goroutine => go::parse(text),
        DumpKind::Fleet => fleet::parse(text),
    }
}

#[cfg(test)]
mod tests;
