//! The audit log: who did what, to what, with which outcome, from where. Every action
//! that changes state records one row, whether it was done, refused or failed.

mod export;
mod store;

pub use export::{csv_field, csv_row, parse_since, AuditQuery, CSV_HEADER};

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

    /// How a result reads in the log: done, refused (role or limit), or failed.
    pub fn of<T>(result: &Result<T, BackendError>) -> Outcome {
        match result {
            Ok(_) => Outcome::Ok,
            Err(e) if e.is_refusal() => Outcome::Denied,
            Err(_) => Outcome::Failed,
        }
    }
}

/// An action someone attempted, to be recorded with its outcome once it is known.
#[derive(Clone, Debug)]
pub struct Attempt<'a> {
    pub actor: &'a str,
    pub action: &'a str,
    pub target: String,
    pub source: &'a str,
}

impl<'a> Attempt<'a> {
    pub fn by(actor: &'a Principal, action: &'a str, target: impl Into<String>, source: &'a str) -> Self {
        Attempt { actor: &actor.username, action, target: target.into(), source }
    }
}

/// Entries of one page of the log (the Audit page and the API's default).
pub const PAGE_SIZE: i64 = 100;
/// The most entries one API page holds.
pub const MAX_PAGE: i64 = 1000;

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

    /// Records `attempt` with the outcome of `result`, then hands `result` back: the one
    /// way a state-changing use case ends, so that success and refusal are both audited.
    pub async fn settle<T>(
        &self,
        attempt: Attempt<'_>,
        result: Result<T, BackendError>,
    ) -> Result<T, BackendError> {
        let event = AuditEvent {
            actor: attempt.actor,
            action: attempt.action,
            target: &attempt.target,
            outcome: Outcome::of(&result),
            source: attempt.source,
        };
        self.record(event).await?;
        result
    }

    /// Newest first, `limit` at a time (at most MAX_PAGE); leads and admins only.
    pub async fn list(
        &self,
        actor: &Principal,
        filter: &AuditFilter,
        limit: i64,
    ) -> Result<Vec<AuditEntryView>, BackendError> {
        actor.require(Role::Lead)?;
        Ok(store::list(&self.store, filter, limit.clamp(1, MAX_PAGE)).await?)
    }
}
