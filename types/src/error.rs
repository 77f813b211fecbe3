use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};
use std::fmt;

/// What kind of failure reached the user; maps to an HTTP status.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorKind {
    Unauthenticated,
    Forbidden,
    NotFound,
    Invalid,
    Conflict,
    TooManyRequests,
    Unavailable,
    Internal,
}

impl ErrorKind {
    pub fn status(self) -> u16 {
        match self {
            ErrorKind::Unauthenticated => 401,
            ErrorKind::Forbidden => 403,
            ErrorKind::NotFound => 404,
            ErrorKind::Invalid => 400,
            ErrorKind::Conflict => 409,
            ErrorKind::TooManyRequests => 429,
            ErrorKind::Unavailable => 503,
            ErrorKind::Internal => 500,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthenticated => "unauthenticated",
            ErrorKind::Forbidden => "forbidden",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Invalid => "invalid",
            ErrorKind::Conflict => "conflict",
            ErrorKind::TooManyRequests => "too_many_requests",
            ErrorKind::Unavailable => "unavailable",
            ErrorKind::Internal => "internal",
        }
    }
}

/// The only error that crosses to the browser: a kind and a message safe to show.
/// Internal details stay in the server's log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub struct AppError {
    pub kind: ErrorKind,
    pub message: String,
    /// For TooManyRequests: how long to wait before trying again (the `Retry-After` header).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<u64>,
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl AppError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), retry_after_s: None }
    }
    /// A refusal that ends by itself after `retry_after_s` seconds.
    pub fn too_many_requests(message: impl Into<String>, retry_after_s: u64) -> Self {
        Self { retry_after_s: Some(retry_after_s), ..Self::new(ErrorKind::TooManyRequests, message) }
    }
    /// The one answer for "the hub's own store does not answer", wherever it is noticed.
    pub fn store_down() -> Self {
        Self::unavailable("The hub's store is unavailable; retrying on its own.")
    }
    pub fn unauthenticated() -> Self {
        Self::new(ErrorKind::Unauthenticated, "Please log in.")
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Forbidden, message)
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Invalid, message)
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::NotFound, message)
    }
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Unavailable, message)
    }
    pub fn internal() -> Self {
        Self::new(ErrorKind::Internal, "Something went wrong on the hub; the details are in its log.")
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(m) | ServerFnErrorErr::Response(m) => {
                AppError::unavailable(format!("The hub could not be reached: {m}"))
            }
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) => {
                AppError::invalid(format!("Invalid request: {m}"))
            }
            other => AppError::new(ErrorKind::Internal, other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_round_trips_as_json() {
        let e = AppError::forbidden("admins only");
        let s = serde_json::to_string(&e).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&s).unwrap(), e);
        assert_eq!(e.kind.status(), 403);
        let wait = AppError::too_many_requests("later", 3600);
        let s = serde_json::to_string(&wait).unwrap();
        assert_eq!(serde_json::from_str::<AppError>(&s).unwrap().retry_after_s, Some(3600));
    }
}
