use serde::{Deserialize, Serialize};

/// One instance as the catalog sees it: where it is and how its last scrape went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceView {
    pub name: String,
    pub base_url: String,
    pub up: bool,
    pub last_scrape_ms: Option<i64>,
    pub duration_ms: Option<i64>,
    pub bytes: Option<i64>,
    pub error: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinksView {
    pub runbook: Option<String>,
    pub dashboard: Option<String>,
    pub traces: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceView {
    pub name: String,
    pub team: String,
    pub description: String,
    pub links: LinksView,
    pub scrape_interval: String,
    pub instances: Vec<InstanceView>,
}

/// A service with the part of the config file that declares it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDetail {
    pub service: ServiceView,
    pub config_snippet: String,
}

/// The running config, as the Config page shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigView {
    pub file: String,
    pub text: String,
    pub loaded_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffOp {
    Same,
    Added,
    Removed,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiffLine {
    pub op: DiffOp,
    pub text: String,
}

/// What a reload did: applied with its diff, or refused with the error (the running config
/// stays as it was).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReloadOutcome {
    pub applied: bool,
    pub error: Option<String>,
    pub line: Option<usize>,
    pub diff: Vec<DiffLine>,
    pub notes: Vec<String>,
}

/// The address book the demo fleet prints when it has started.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetManifest {
    pub control_url: String,
    pub instances: Vec<FleetInstance>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FleetInstance {
    pub service: String,
    pub name: String,
    pub base_url: String,
}

/// A fault of the demo fleet, in the fleet's own JSON shape (`{"fault": "hot_spot"}`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum DemoFault {
    Stop,
    Start,
    Errors {
        ratio: f64,
        /// Only this route (all when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        route: Option<String>,
        /// Only this user group (all when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        user_group: Option<String>,
    },
    Latency {
        ms: u64,
    },
    PoolExhaustion {
        seconds: u64,
    },
    HotSpot,
    Leak {
        mib_per_s: u64,
    },
    Pause,
    Slowdown {
        ms: u64,
    },
    Drift {
        rows: u64,
    },
    /// `wrong_type` or `drop_label`: the instance stops speaking the shared metric format.
    BadMetrics {
        mode: String,
    },
    Clear,
}

impl DemoFault {
    pub fn label(&self) -> String {
        match self {
            DemoFault::Stop => "stop".into(),
            DemoFault::Start => "start".into(),
            DemoFault::Errors { ratio, route, user_group } => {
                let mut label = format!("errors {:.0}%", ratio * 100.0);
                if let Some(r) = route {
                    label.push_str(&format!(" on {r}"));
                }
                if let Some(g) = user_group {
                    label.push_str(&format!(" for {g}"));
                }
                label
            }
            DemoFault::Latency { ms } => format!("latency {ms} ms"),
            DemoFault::PoolExhaustion { seconds } => format!("pool exhaustion {seconds} s"),
            DemoFault::HotSpot => "CPU hot spot".into(),
            DemoFault::Leak { mib_per_s } => format!("leak {mib_per_s} MiB/s"),
            DemoFault::Pause => "pause projector".into(),
            DemoFault::Slowdown { ms } => format!("slow projector {ms} ms"),
            DemoFault::Drift { rows } => format!("drift {rows} rows"),
            DemoFault::BadMetrics { mode } => format!("bad metrics: {}", mode.replace('_', " ")),
            DemoFault::Clear => "clear faults".into(),
        }
    }
}

/// The faults an instance currently has, as the fleet reports them.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct DemoChaos {
    pub error_ratio: f64,
    #[serde(default)]
    pub error_route: Option<String>,
    #[serde(default)]
    pub error_user_group: Option<String>,
    pub latency_ms: u64,
    pub hot_spot: bool,
    pub leak_mib_per_s: u64,
    pub paused: bool,
    pub slowdown_ms: u64,
    pub bad_metrics: Option<String>,
    /// Seconds the pool's workers are still held by pool exhaustion (0: not exhausted).
    #[serde(default)]
    pub pool_exhausted_s: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoInstanceView {
    pub service: String,
    pub name: String,
    pub base_url: String,
    pub running: bool,
    pub chaos: Option<DemoChaos>,
    /// The version it runs (a deploy from the Demo page changes it).
    #[serde(default)]
    pub version: Option<String>,
}

/// An instance that is down or has not been scraped lately, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InstanceTrouble {
    pub service: String,
    pub instance: String,
    /// `down` (the last scrape failed) or `stale` (no scrape for three intervals).
    pub state: String,
    pub error: Option<String>,
    pub last_scrape_ms: Option<i64>,
}

/// A service failing (or warning on) the shared metric format.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConformanceTrouble {
    pub service: String,
    pub fail: usize,
    pub warn: usize,
}

/// The home page: what is wrong now, for everyone or one team.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    pub now_ms: i64,
    /// Every team of the catalog, for the filter.
    pub teams: Vec<String>,
    pub team: Option<String>,
    pub services: usize,
    pub instances: usize,
    pub troubles: Vec<InstanceTrouble>,
    pub conformance: Vec<ConformanceTrouble>,
    /// Key signals past their line (errors at 5 %, a pool at 90 %).
    pub bad_signals: Vec<crate::KeySignals>,
    pub captures_running: Vec<crate::CaptureView>,
    pub captures_latest: Vec<crate::CaptureView>,
    /// Read models of these services in breach of their SLO, or whose lag is unknown.
    pub read_models_behind: Vec<crate::lag::LagSummary>,
}
