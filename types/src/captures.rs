//! Profiling captures as they cross to the browser and the API: what was captured, how far
//! it got. Kinds and states are enums so that adding one makes the compiler list every
//! place that must handle it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What a capture holds. The first four are taken from an instance; the others are
/// artifacts a developer uploaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "&'static str")]
pub enum CaptureKind {
    Cpu,
    Heap,
    Threads,
    /// Several thread dumps of one instance, `seconds` apart: what stayed stuck across them.
    ThreadsSeries,
    Pprof,
    Jstack,
    Goroutine,
}

/// What an artifact is, whichever way it arrived: profiles compare with profiles, dumps
/// with dumps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ArtifactKind {
    Profile,
    ThreadDump,
}

impl CaptureKind {
    pub const ALL: [CaptureKind; 7] = [
        CaptureKind::Cpu,
        CaptureKind::Heap,
        CaptureKind::Threads,
        CaptureKind::ThreadsSeries,
        CaptureKind::Pprof,
        CaptureKind::Jstack,
        CaptureKind::Goroutine,
    ];
    /// The kinds the hub takes from a live instance.
    pub const TAKEN: [CaptureKind; 4] =
        [CaptureKind::Cpu, CaptureKind::Heap, CaptureKind::Threads, CaptureKind::ThreadsSeries];
    /// The kinds a developer can upload.
    pub const UPLOADED: [CaptureKind; 3] = [CaptureKind::Pprof, CaptureKind::Jstack, CaptureKind::Goroutine];

    pub fn as_str(self) -> &'static str {
        match self {
            CaptureKind::Cpu => "cpu",
            CaptureKind::Heap => "heap",
            CaptureKind::Threads => "threads",
            CaptureKind::ThreadsSeries => "threads_series",
            CaptureKind::Pprof => "pprof",
            CaptureKind::Jstack => "jstack",
            CaptureKind::Goroutine => "goroutine",
        }
    }

    pub fn is_upload(self) -> bool {
        match self {
            CaptureKind::Cpu | CaptureKind::Heap | CaptureKind::Threads | CaptureKind::ThreadsSeries => false,
            CaptureKind::Pprof | CaptureKind::Jstack | CaptureKind::Goroutine => true,
        }
    }

    pub fn artifact(self) -> ArtifactKind {
        match self {
            CaptureKind::Cpu | CaptureKind::Heap | CaptureKind::Pprof => ArtifactKind::Profile,
            CaptureKind::Threads
            | CaptureKind::ThreadsSeries
            | CaptureKind::Jstack
            | CaptureKind::Goroutine => ArtifactKind::ThreadDump,
        }
    }

    /// How a list names it: "CPU profile (30 s)", "jstack upload".
    pub fn label(self, seconds: i64) -> String {
        match self {
            CaptureKind::Cpu => format!("CPU profile ({seconds} s)"),
            CaptureKind::Heap => "heap profile".into(),
            CaptureKind::Threads => "thread dump".into(),
            CaptureKind::ThreadsSeries => format!("thread dump series ({seconds} s apart)"),
            CaptureKind::Pprof => "pprof upload".into(),
            CaptureKind::Jstack => "jstack upload".into(),
            CaptureKind::Goroutine => "goroutine dump upload".into(),
        }
    }

    /// "cpu, heap or threads".
    pub fn list(kinds: &[CaptureKind]) -> String {
        match kinds {
            [] => String::new(),
            [one] => one.as_str().to_string(),
            [init @ .., last] => {
                let init: Vec<&str> = init.iter().map(|k| k.as_str()).collect();
                format!("{} or {}", init.join(", "), last.as_str())
            }
        }
    }
}

impl fmt::Display for CaptureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for CaptureKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CaptureKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("kind must be {}, not {s:?}", CaptureKind::list(&CaptureKind::ALL)))
    }
}

impl TryFrom<String> for CaptureKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl From<CaptureKind> for &'static str {
    fn from(k: CaptureKind) -> Self {
        k.as_str()
    }
}

/// Where a capture is in its life: queued → running → done or failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CaptureState {
    Queued,
    Running,
    Done,
    Failed,
}

impl CaptureState {
    pub const ALL: [CaptureState; 4] =
        [CaptureState::Queued, CaptureState::Running, CaptureState::Done, CaptureState::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            CaptureState::Queued => "queued",
            CaptureState::Running => "running",
            CaptureState::Done => "done",
            CaptureState::Failed => "failed",
        }
    }

    /// Done or failed: it will not change again.
    pub fn is_finished(self) -> bool {
        match self {
            CaptureState::Queued | CaptureState::Running => false,
            CaptureState::Done | CaptureState::Failed => true,
        }
    }

    pub fn parse(s: &str) -> Option<CaptureState> {
        CaptureState::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl fmt::Display for CaptureState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A profiling capture or an uploaded artifact, as `GET /api/v1/captures/{id}` reports it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaptureView {
    pub id: i64,
    pub service: String,
    /// The instance it was taken from; None for an upload.
    pub instance: Option<String>,
    pub kind: CaptureKind,
    pub state: CaptureState,
    /// 0 to 1.
    pub progress: f64,
    pub error: Option<String>,
    pub bytes: Option<i64>,
    /// A CPU profile's length; a dump series' interval.
    pub seconds: i64,
    /// How many dumps a series takes (1 for anything else).
    #[serde(default = "one")]
    pub dumps: i64,
    pub requested_by: String,
    pub created_ms: i64,
    pub started_ms: Option<i64>,
    pub finished_ms: Option<i64>,
}

fn one() -> i64 {
    1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_read_and_write_as_their_names() {
        for kind in CaptureKind::ALL {
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{kind}\""));
            assert_eq!(serde_json::from_str::<CaptureKind>(&json).unwrap(), kind);
        }
        let err = serde_json::from_str::<CaptureKind>("\"flame\"").unwrap_err().to_string();
        assert!(
            err.contains("kind must be cpu, heap, threads, threads_series, pprof, jstack or goroutine"),
            "{err}"
        );
        assert_eq!(CaptureKind::list(&CaptureKind::TAKEN), "cpu, heap, threads or threads_series");
        assert!(CaptureKind::UPLOADED.iter().all(|k| k.is_upload()));
        assert!(!CaptureKind::TAKEN.iter().any(|k| k.is_upload()));
    }

    #[test]
    fn states_read_as_their_names() {
        for state in CaptureState::ALL {
            assert_eq!(CaptureState::parse(state.as_str()), Some(state));
            assert_eq!(serde_json::to_string(&state).unwrap(), format!("\"{state}\""));
        }
        assert!(CaptureState::Failed.is_finished() && !CaptureState::Queued.is_finished());
    }
}
