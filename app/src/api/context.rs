//! What every server function needs from its request: the hub's services and the caller.

use backend::{Caller, Hub, Principal};
use http::request::Parts;
use leptos::prelude::*;
use types::AppError;

pub fn hub() -> Result<Hub, AppError> {
    use_context::<Hub>().ok_or_else(|| {
        tracing::error!("server function called without the hub in its context");
        AppError::internal()
    })
}

pub fn caller() -> Result<Caller, AppError> {
    use_context::<Parts>().and_then(|parts| parts.extensions.get::<Caller>().cloned()).ok_or_else(|| {
        tracing::error!("server function called without a caller in its request");
        AppError::internal()
    })
}

/// The logged-in principal and the request's source address, or Unauthenticated.
pub fn signed_in() -> Result<(Hub, Principal, String), AppError> {
    let caller = caller()?;
    match caller.principal() {
        Ok(principal) => Ok((hub()?, principal.clone(), caller.source)),
        Err(e) => fail(e),
    }
}

pub fn session() -> Result<tower_sessions::Session, AppError> {
    use_context::<Parts>()
        .and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned())
        .ok_or_else(|| {
            tracing::error!("server function called outside the session layer");
            AppError::internal()
        })
}

/// Sets the response status (and `Retry-After`) from the error, so scripts and logs see
/// the real outcome.
pub fn fail<T>(e: impl Into<AppError>) -> Result<T, AppError> {
    let e = e.into();
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(e.kind.status()) {
            res.set_status(status);
        }
        if let Some(wait) = e.retry_after_s {
            res.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(wait));
        }
    }
    Err(e)
}
