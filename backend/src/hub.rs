//! The services the adapters (server functions, JSON API, jobs) call, built once at start.

use crate::audit::AuditLog;
use crate::auth::Accounts;
use crate::store::{Store, StoreSessions};
use crate::{BackendError, Principal};
use types::HubStatus;

#[derive(Clone, Debug)]
pub struct Hub {
    pub store: Store,
    pub accounts: Accounts,
    pub audit: AuditLog,
    pub sessions: StoreSessions,
    pub started_ms: i64,
}

impl Hub {
    pub fn new(store: Store) -> Self {
        let audit = AuditLog::new(store.clone());
        Self {
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
