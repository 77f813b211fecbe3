//! Consistency checks between the source of truth and its CQRS read models: a residual batch
//! that compares whole tables by checksums the databases compute, a real-time verifier that
//! follows recent changes and waits out the read model's lag, and the reports team leads
//! review.

pub mod canon;
pub mod columns;
pub mod filter;
pub mod schedule;
pub mod side;

use crate::connections::DbError;
use crate::BackendError;

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
pub mod diff;
pub mod residual;
pub mod scan;
