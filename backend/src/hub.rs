//! The services the adapters (server functions, JSON API, jobs) call, built once at start.

use crate::audit::AuditLog;
use crate::auth::Accounts;
use crate::catalog::{Catalog, DemoControls};
use crate::config::{ConfigFile, HubConfig};
use crate::store::{Store, StoreSessions};
use crate::{BackendError, Principal};
use std::sync::{Arc, OnceLock};
use types::HubStatus;

#[derive(Clone, Debug)]
pub struct Hub {
    pub store: Store,
    pub accounts: Accounts,
    pub audit: AuditLog,
    pub sessions: StoreSessions,
    pub catalog: Arc<Catalog>,
    pub captures: crate::profiling::Captures,
    /// Set once the demo fleet has started; absent without it.
    pub demo: Arc<OnceLock<DemoControls>>,
    pub started_ms: i64,
}

/// What the hub is built from, besides its store.
pub struct HubSetup {
    pub config_file: ConfigFile,
    pub config: HubConfig,
    pub config_text: String,
    pub metric_catalog: crate::metrics::MetricCatalog,
    pub demo_enabled: bool,
    /// Where captured artifacts are kept.
    pub artifacts_dir: std::path::PathBuf,
}

impl Hub {
    pub fn new(store: Store, setup: HubSetup) -> Self {
        let audit = AuditLog::new(store.clone());
        let artifacts = setup.artifacts_dir.clone();
        let catalog = Arc::new(Catalog::new(setup, audit.clone()));
        Self {
            captures: crate::profiling::Captures::new(
                store.clone(),
                catalog.clone(),
                audit.clone(),
                artifacts,
            ),
            catalog,
            demo: Arc::new(OnceLock::new()),
            accounts: Accounts::new(store.clone(), audit.clone()),
            sessions: StoreSessions::new(store.clone()),
            audit,
            store,
            started_ms: crate::now_ms(),
        }
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

/// Who is calling and from where; the server's auth middleware puts one in every request.
#[derive(Clone, Debug)]
pub struct Caller {
    pub principal: Option<Principal>,
    pub source: String,
    /// The store failed while identifying the caller: say "unavailable", not "log in".
    pub store_down: bool,
}

impl Caller {
    pub fn principal(&self) -> Result<&Principal, BackendError> {
        self.principal.as_ref().ok_or(BackendError::Unauthenticated)
    }
}
