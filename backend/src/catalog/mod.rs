//! The service catalog: services and instances declared in the config, where each instance
//! is (demo instances through the fleet's address book), their health from the scrape job,
//! and config reloads (validated first, shown as a diff, audited).

mod demo;
mod diff;
pub mod health;
mod reload;
mod views;

pub use demo::DemoControls;

use crate::audit::AuditLog;
use crate::changes::ChangeLog;
use crate::config::{ConfigFile, HubConfig};
use crate::metrics::MetricCatalog;
use crate::{now_ms, BackendError};
use health::HealthBoard;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use types::FleetManifest;

/// The config as last loaded, with the metric catalog it names: replaced as a whole on reload.
struct Loaded {
    /// Shared, not cloned: alert evaluation reads it on every scrape of every service.
    config: Arc<HubConfig>,
    text: String,
    metric_catalog: Arc<MetricCatalog>,
    loaded_ms: i64,
}

pub struct Catalog {
    file: ConfigFile,
    current: RwLock<Arc<Loaded>>,
    fleet: RwLock<Option<FleetManifest>>,
    demo_enabled: bool,
    pub health: HealthBoard,
    changes: watch::Sender<u64>,
    audit: AuditLog,
    /// Where reloads are recorded as changes of the services they touch.
    change_log: ChangeLog,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("file", &self.file.label()).finish_non_exhaustive()
    }
}

/// Why an instance has no address to call.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unresolved {
    #[error("the demo fleet has no instance {0}")]
    NoSuchDemoInstance(String),
    #[error("the demo fleet is not running (see the hub's log)")]
    FleetNotRunning,
    #[error("the demo fleet is disabled (SWITCHBOARD_DEMO=0)")]
    FleetDisabled,
}

/// One instance to scrape: where (or why nowhere), how often, and what it should speak.
#[derive(Clone, Debug)]
pub struct Target {
    pub service: String,
    pub instance: String,
    /// The instance's base URL and metrics path.
    pub url: Result<String, Unresolved>,
    pub interval: Duration,
    /// Profiles of the shared metric format the service implements.
    pub profiles: Vec<String>,
}

/// What the catalog is built from.
pub struct CatalogSetup {
    pub file: ConfigFile,
    pub config: HubConfig,
    pub text: String,
    pub metric_catalog: MetricCatalog,
    pub demo_enabled: bool,
}

impl Catalog {
    pub fn new(setup: CatalogSetup, audit: AuditLog, change_log: ChangeLog) -> Catalog {
        let loaded = Loaded {
            config: Arc::new(setup.config),
            text: setup.text,
            metric_catalog: Arc::new(setup.metric_catalog),
            loaded_ms: now_ms(),
        };
        Catalog {
            file: setup.file,
            current: RwLock::new(Arc::new(loaded)),
            fleet: RwLock::new(None),
            demo_enabled: setup.demo_enabled,
            health: HealthBoard::default(),
            changes: watch::channel(0).0,
            audit,
            change_log,
        }
    }

    fn loaded(&self) -> Arc<Loaded> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn config(&self) -> Arc<HubConfig> {
        self.loaded().config.clone()
    }

    /// The running config's text, as its file holds it.
    pub fn config_text(&self) -> String {
        self.loaded().text.clone()
    }

    /// When the running config was loaded.
    pub fn loaded_ms(&self) -> i64 {
        self.loaded().loaded_ms
    }

    /// The shared metric format's catalog the running config names.
    pub fn metric_catalog(&self) -> Arc<MetricCatalog> {
        self.loaded().metric_catalog.clone()
    }

    /// Bumped whenever the config or the fleet's addresses change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The demo fleet has started: its instances get their addresses.
    pub fn set_fleet(&self, manifest: FleetManifest) {
        *self.fleet.write().unwrap_or_else(PoisonError::into_inner) = Some(manifest);
        self.changes.send_modify(|v| *v += 1);
    }

    /// A receiver's URL: as written, or `demo://fleet/PATH` (the demo fleet's own alert
    /// receiver) resolved to the fleet's control address.
    pub fn receiver_url(&self, url: &str) -> Result<String, String> {
        let Some(path) = url.strip_prefix("demo://fleet/") else { return Ok(url.to_string()) };
        let fleet = self.fleet.read().unwrap_or_else(PoisonError::into_inner);
        match fleet.as_ref() {
            Some(f) => Ok(format!("{}/{path}", f.control_url.trim_end_matches('/'))),
            None => Err("the demo fleet is not running".into()),
        }
    }

    /// Where an instance is: its base URL, or `demo://NAME` resolved through the fleet.
    fn resolve(&self, base_url: &str) -> Result<String, Unresolved> {
        let Some(name) = base_url.strip_prefix("demo://") else {
            return Ok(base_url.trim_end_matches('/').to_string());
        };
        let fleet = self.fleet.read().unwrap_or_else(PoisonError::into_inner);
        match fleet.as_ref() {
            Some(f) => f
                .instances
                .iter()
                .find(|i| i.name == name)
                .map(|i| i.base_url.clone())
                .ok_or_else(|| Unresolved::NoSuchDemoInstance(name.to_string())),
            None if self.demo_enabled => Err(Unresolved::FleetNotRunning),
            None => Err(Unresolved::FleetDisabled),
        }
    }

    /// The base URL of a registered instance: the only addresses the hub ever calls.
    pub fn instance_url(&self, service: &str, instance: &str) -> Result<String, BackendError> {
        let loaded = self.loaded();
        let s = loaded
            .config
            .service(service)
            .ok_or_else(|| BackendError::NotFound(format!("no service named {service}")))?;
        let i = s
            .instances
            .iter()
            .find(|i| i.name.get_ref() == instance)
            .ok_or_else(|| BackendError::NotFound(format!("{service} has no instance {instance}")))?;
        self.resolve(i.base_url.get_ref()).map_err(|e| BackendError::Unavailable(e.to_string()))
    }

    /// Every instance to scrape; the health of instances no longer declared is forgotten.
    pub fn targets(&self) -> Vec<Target> {
        let loaded = self.loaded();
        let mut keep = Vec::new();
        let mut targets = Vec::new();
        for s in &loaded.config.services {
            for i in &s.instances {
                keep.push((s.name.get_ref().clone(), i.name.get_ref().clone()));
                targets.push(Target {
                    service: s.name.get_ref().clone(),
                    instance: i.name.get_ref().clone(),
                    url: self.resolve(i.base_url.get_ref()).map(|base| format!("{base}{}", i.metrics_path)),
                    interval: s.interval(),
                    profiles: s.metric_profiles.clone(),
                });
            }
        }
        self.health.retain(&keep);
        targets
    }
}
