//! The services the adapters (server functions, JSON API, jobs) call, built once at start,
//! and the jobs that run beside them.

use crate::alerts::{AlertEvaluator, Alerts, AlertsSetup};
use crate::audit::AuditLog;
use crate::auth::Accounts;
use crate::catalog::{Catalog, CatalogSetup, DemoControls};
use crate::changes::{ChangeLog, Changes};
use crate::config::{ConfigFile, HubConfig};
use crate::consistency::{Checks, ChecksSetup};
use crate::incidents::{Incidents, IncidentsSetup};
use crate::jobs::{Every, Job, Runner};
use crate::lag::{Lag, LagKeeper};
use crate::metrics::scrape::Scraper;
use crate::metrics::{MetricCatalog, Metrics};
use crate::profiling::{CaptureRetention, CaptureTriggers, Captures, CapturesSetup};
use crate::store::{Store, StoreSessions};
use crate::traces::{TraceRetention, Traces};
use crate::{BackendError, Principal};
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use types::HubStatus;

#[derive(Clone, Debug)]
pub struct Hub {
    pub store: Store,
    pub accounts: Accounts,
    pub audit: AuditLog,
    pub sessions: StoreSessions,
    pub catalog: Arc<Catalog>,
    pub metrics: Arc<Metrics>,
    pub captures: Captures,
    pub lag: Arc<Lag>,
    pub checks: Arc<Checks>,
    pub alerts: Arc<Alerts>,
    pub changes: Arc<Changes>,
    pub traces: Arc<Traces>,
    pub incidents: Arc<Incidents>,
    /// Starts and stops every background job.
    pub runner: Runner,
    /// Set once the demo fleet has started; absent without it.
    pub demo: Arc<OnceLock<DemoControls>>,
    pub started_ms: i64,
}

/// What the hub is built from, besides its store.
pub struct HubSetup {
    pub config_file: ConfigFile,
    pub config: HubConfig,
    pub config_text: String,
    pub metric_catalog: MetricCatalog,
    pub demo_enabled: bool,
    /// Where captured artifacts are kept.
    pub artifacts_dir: std::path::PathBuf,
    /// This hub among those sharing the store (stable across its restarts).
    pub hub_id: String,
    /// How `[[connections]]` are opened (the data directory, the hub's own `${VAR}`s).
    pub connections: crate::connections::Connections,
}

impl Hub {
    pub fn new(store: Store, setup: HubSetup) -> Self {
        let audit = AuditLog::new(store.clone());
        let catalog_setup = CatalogSetup {
            file: setup.config_file,
            config: setup.config,
            text: setup.config_text,
            metric_catalog: setup.metric_catalog,
            demo_enabled: setup.demo_enabled,
        };
        let change_log = ChangeLog::new(store.clone());
        let catalog = Arc::new(Catalog::new(catalog_setup, audit.clone(), change_log.clone()));
        let runner = Runner::new();
        let captures = Captures::new(CapturesSetup {
            store: store.clone(),
            catalog: catalog.clone(),
            audit: audit.clone(),
            runner: runner.clone(),
            owner: setup.hub_id.clone(),
            dir: setup.artifacts_dir,
        });
        let metrics = Arc::new(Metrics::new(catalog.clone()));
        let lag =
            Arc::new(Lag::new(catalog.clone(), metrics.clone(), store.clone(), setup.connections.clone()));
        let checks = Arc::new(Checks::new(ChecksSetup {
            store: store.clone(),
            catalog: catalog.clone(),
            connections: setup.connections,
            lag: lag.clone(),
            audit: audit.clone(),
            owner: setup.hub_id.clone(),
        }));
        let traces = Arc::new(Traces::new(store.clone(), catalog.clone()));
        let alerts = Arc::new(Alerts::new(AlertsSetup {
            store: store.clone(),
            catalog: catalog.clone(),
            metrics: metrics.clone(),
            lag: lag.clone(),
            captures: captures.clone(),
            audit: audit.clone(),
            owner: setup.hub_id,
            changes: change_log.clone(),
            traces: traces.clone(),
        }));
        let changes = Arc::new(Changes::new(change_log, catalog.clone(), audit.clone()));
        let incidents = Arc::new(Incidents::new(IncidentsSetup {
            store: store.clone(),
            catalog: catalog.clone(),
            audit: audit.clone(),
            alerts: alerts.clone(),
            changes: changes.clone(),
            traces: traces.clone(),
            lag: lag.clone(),
            checks: checks.clone(),
            captures: captures.clone(),
        }));
        Self {
            incidents,
            changes,
            traces,
            metrics,
            lag,
            checks,
            alerts,
            captures,
            catalog,
            runner,
            demo: Arc::new(OnceLock::new()),
            accounts: Accounts::new(store.clone(), audit.clone()),
            sessions: StoreSessions::new(store.clone()),
            audit,
            store,
            started_ms: crate::now_ms(),
        }
    }

    /// Starts every background job of the hub on its runner.
    pub fn start_jobs(&self) {
        let scraper = Arc::new(Scraper::new(self.metrics.clone()));
        self.runner.spawn("scrape", move |stop| scraper.run(stop));
        let captures = self.captures.clone();
        self.runner.spawn("capture worker", move |stop| async move { captures.work(stop).await });
        self.runner.listen(Arc::new(CaptureTriggers::new(self.captures.clone())), self.metrics.scrapes());
        let ten_minutes = Every { period: Duration::from_secs(600), at_shutdown: false };
        self.runner.every(Arc::new(CaptureRetention(self.captures.clone())), ten_minutes);
        self.runner.every(Arc::new(SessionCleanup(self.sessions.clone())), ten_minutes);
        let a_minute = Every { period: Duration::from_secs(60), at_shutdown: false };
        self.runner.every(Arc::new(TraceRetention(self.traces.clone())), a_minute);
        let history =
            crate::metrics::history::HistoryKeeper::new(self.metrics.history().clone(), self.store.clone());
        self.runner.every(Arc::new(history), Every { period: Duration::from_secs(60), at_shutdown: true });
        let lag = self.lag.clone();
        self.runner.spawn("lag probes", move |stop| lag.run(stop));
        let second = Every { period: Duration::from_secs(1), at_shutdown: true };
        self.runner.every(Arc::new(LagKeeper(self.lag.clone())), second);
        let checks = self.checks.clone();
        self.runner.spawn("check runs", move |stop| checks.work(stop));
        let checks = self.checks.clone();
        self.runner.spawn("check verifiers", move |stop| checks.verify(stop));
        self.runner.listen(Arc::new(AlertEvaluator(self.alerts.clone())), self.metrics.scrapes());
        let alerts = self.alerts.clone();
        self.runner.spawn("alert delivery", move |stop| async move { alerts.deliver(stop).await });
        let minute = Every { period: Duration::from_secs(30), at_shutdown: false };
        self.runner.every(Arc::new(crate::consistency::CheckSchedule(self.checks.clone())), minute);
    }

    pub async fn status(&self) -> HubStatus {
        HubStatus {
            version: env!("CARGO_PKG_VERSION").to_string(),
            store_engine: self.store.engine().as_str().to_string(),
            store_ok: self.store.ping().await,
            started_ms: self.started_ms,
            demo_fleet: self.demo.get().is_some(),
        }
    }
}

/// Removes expired login sessions.
struct SessionCleanup(StoreSessions);

#[async_trait::async_trait]
impl Job for SessionCleanup {
    fn name(&self) -> &'static str {
        "session cleanup"
    }

    async fn run_once(&self) -> Result<(), BackendError> {
        let n = self.0.delete_expired().await?;
        if n > 0 {
            tracing::info!(removed = n, "expired sessions removed");
        }
        Ok(())
    }
}

/// Who is calling and from where; the server's auth middleware puts one in every request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub source: String,
    /// The store failed while identifying the caller: say "unavailable", not "log in".
    pub store_down: bool,
}

impl Caller {
    /// Who is logged in, if anyone; an error when the store could not tell.
    pub fn identity(&self) -> Result<Option<&Principal>, BackendError> {
        if self.store_down {
            return Err(BackendError::StoreDown);
        }
        Ok(self.principal.as_ref())
    }

    /// The logged-in principal, or Unauthenticated.
    pub fn principal(&self) -> Result<&Principal, BackendError> {
        self.identity()?.ok_or(BackendError::Unauthenticated)
    }
}
