//! The audit log: who did what, to what, with which outcome, from where.

mod store;

use crate::store::Store;
use crate::{BackendError, Principal};
use types::{AuditEntryView, AuditFilter, Role};

/// One action to record. `actor` is a username, or what an anonymous caller claimed to be.
#[derive(Clone, Debug)]
pub struct AuditEvent<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: Outcome,
    pub source: &'a str,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Denied,
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Failed => "failed",
        }
    }
}

pub const PAGE_SIZE: i64 = 100;

#[derive(Clone, Debug)]
pub struct AuditLog {
    store: Store,
}

impl AuditLog {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    /// Writes the event; a failure is logged and returned, never swallowed.
    pub async fn record(&self, event: AuditEvent<'_>) -> Result<(), BackendError> {
        tracing::info!(
            actor = event.actor,
            action = event.action,
            target = event.target,
            outcome = event.outcome.as_str(),
            source = event.source,
            "audit"
        );
        store::insert(&self.store, &event, crate::now_ms()).await?;
        Ok(())
    }

    /// Newest first, a page at a time; leads and admins only.
    pub async fn list(
        &self,
        actor: &Principal,
        filter: &AuditFilter,
    ) -> Result<Vec<AuditEntryView>, BackendError> {
        actor.require(Role::Lead)?;
        Ok(store::list(&self.store, filter, PAGE_SIZE).await?)
    }
}
