//! Consistency checks between the source of truth and its CQRS read models: a residual batch
//! that compares whole tables by checksums the databases compute, a real-time verifier that
//! follows recent changes and waits out the read model's lag, and the reports team leads
//! review.

pub mod canon;
pub mod columns;
pub mod filter;
mod lookup;
pub mod schedule;
pub mod service;
pub mod side;
mod verifier;
mod worker;

pub use scheduled::CheckSchedule;
pub use worker::WAIT_FOR_DATABASE;

use crate::audit::AuditLog;
use crate::catalog::Catalog;
use crate::connections::{Connections, DbError};
use crate::lag::Lag;
use crate::store::Store;
use crate::BackendError;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// A run this hub works on: its token, and why it was cancelled (None: the hub stopping).
type Running = (CancellationToken, Arc<Mutex<Option<String>>>);

/// The consistency-check service.
pub struct Checks {
    store: Store,
    catalog: Arc<Catalog>,
    connections: Connections,
    lag: Arc<Lag>,
    audit: AuditLog,
    /// This hub among those sharing the store.
    owner: String,
    running: Mutex<HashMap<i64, Running>>,
    /// Checks defined in the UI, and who defined each.
    defined: std::sync::RwLock<Vec<(crate::config::checks::CheckDef, String)>>,
    /// Bumped when the UI's checks change (the verifiers start anew).
    changes: tokio::sync::watch::Sender<u64>,
    /// The verifiers' suspected differences, by check.
    suspects: Mutex<HashMap<String, Vec<types::checks::Suspect>>>,
    /// How long a run waits for a database that stopped answering.
    pub wait_for_database: Duration,
}

impl std::fmt::Debug for Checks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Checks").field("owner", &self.owner).finish_non_exhaustive()
    }
}

/// What the check service is made of.
pub struct ChecksSetup {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub connections: Connections,
    pub lag: Arc<Lag>,
    pub audit: AuditLog,
    pub owner: String,
}

impl Checks {
    pub fn new(s: ChecksSetup) -> Checks {
        Checks {
            store: s.store,
            catalog: s.catalog,
            connections: s.connections,
            lag: s.lag,
            audit: s.audit,
            owner: s.owner,
            running: Mutex::default(),
            suspects: Mutex::default(),
            defined: std::sync::RwLock::default(),
            changes: tokio::sync::watch::channel(0).0,
            wait_for_database: WAIT_FOR_DATABASE,
        }
    }
}

/// What can go wrong with a check, in its user's words.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    /// The check does not fit its tables (a column missing, a type that cannot compare).
    #[error("{0}")]
    Definition(String),
    #[error("{side}: {error}")]
    Database { side: String, error: DbError },
    #[error("no check named {0}")]
    Unknown(String),
    #[error("the hub's store: {0}")]
    Store(#[from] sqlx::Error),
}

impl CheckError {
    pub fn db(side: &str, error: DbError) -> CheckError {
        CheckError::Database { side: side.to_string(), error }
    }
}

impl From<CheckError> for BackendError {
    fn from(e: CheckError) -> BackendError {
        match e {
            CheckError::Definition(m) => BackendError::Invalid(m),
            CheckError::Unknown(name) => BackendError::NotFound(format!("no check named {name}")),
            CheckError::Database { .. } => BackendError::Unavailable(e.to_string()),
            CheckError::Store(s) => BackendError::Store(s),
        }
    }
}
pub mod defined;
pub mod diff;
pub mod export;
pub mod findings;
pub mod recent;
pub mod repair;
pub mod residual;
pub mod scan;
mod scheduled;
pub mod store;
mod trend;
mod values;
mod verifier_store;
