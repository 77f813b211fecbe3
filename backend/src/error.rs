use std::time::Duration;
use types::{AppError, ErrorKind};

/// Everything the domain layer can refuse or fail with, in the user's terms.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("wrong username or password")]
    BadCredentials,
    #[error("please log in")]
    Unauthenticated,
    /// Too many of something; it ends by itself after `retry_after`.
    #[error("{message}")]
    RateLimited { message: String, retry_after: Duration },
    #[error("{0}")]
    Unavailable(String),
    /// The hub's own store could not be reached (noticed before a query was made).
    #[error("the hub's store is unavailable")]
    StoreDown,
    #[error("the hub's store did not answer: {0}")]
    Store(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

impl BackendError {
    /// Store errors that mean "cannot reach it" rather than "bad query".
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            BackendError::StoreDown
                | BackendError::Store(
                    sqlx::Error::PoolTimedOut
                        | sqlx::Error::PoolClosed
                        | sqlx::Error::Io(_)
                        | sqlx::Error::WorkerCrashed
                )
        )
    }

    /// A refusal of who is asking (role, limits), as opposed to a failure of what they asked.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            BackendError::Forbidden(_) | BackendError::Unauthenticated | BackendError::RateLimited { .. }
        )
    }
}

/// Whole seconds, never zero: a client told "retry in 0 s" would hammer.
fn whole_seconds(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0).max(u64::from(d.as_secs() == 0))
}

impl From<BackendError> for AppError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::Invalid(m) => AppError::invalid(m),
            BackendError::NotFound(m) => AppError::not_found(m),
            BackendError::Conflict(m) => AppError::new(ErrorKind::Conflict, m),
            BackendError::Forbidden(m) => AppError::forbidden(m),
            BackendError::BadCredentials => {
                AppError::new(ErrorKind::Unauthenticated, "Wrong username or password.")
            }
            BackendError::Unauthenticated => AppError::unauthenticated(),
            BackendError::Unavailable(m) => AppError::unavailable(m),
            BackendError::RateLimited { message, retry_after } => {
                AppError::too_many_requests(message, whole_seconds(retry_after))
            }
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "store unavailable");
                AppError::store_down()
            }
            e => {
                tracing::error!(error = %e, "internal error");
                AppError::internal()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_retry_delay_travels_as_data() {
        let e = BackendError::RateLimited {
            message: "30 captures in the last hour".into(),
            retry_after: Duration::from_millis(1_800_400),
        };
        let app = AppError::from(e);
        assert_eq!((app.kind, app.retry_after_s), (ErrorKind::TooManyRequests, Some(1801)));
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_secs(60)), 60);
    }
}
