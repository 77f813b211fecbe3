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
    #[error("too many failed logins; try again in {0} s")]
    Throttled(u64),
    #[error("{0}")]
    RateLimited(String),
    #[error("{0}")]
    Unavailable(String),
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
            BackendError::Store(
                sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::Io(_)
                    | sqlx::Error::WorkerCrashed
            )
        )
    }
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
            BackendError::Throttled(s) => AppError::new(
                ErrorKind::TooManyRequests,
                format!("Too many failed logins; try again in {s} s."),
            ),
            BackendError::RateLimited(m) => AppError::new(ErrorKind::TooManyRequests, m),
            e if e.is_unavailable() => {
                tracing::error!(error = %e, "store unavailable");
                AppError::unavailable("The hub's store is unavailable; retrying on its own.")
            }
            e => {
                tracing::error!(error = %e, "internal error");
                AppError::internal()
            }
        }
    }
}
