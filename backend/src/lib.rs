//! The hub's domain layer: everything the UI and the JSON API do, in plain Rust.
//! One folder per capability; `store` holds the pool and the migrations, `jobs` the runner
//! every background job runs on. See docs/ARCHITECTURE.md.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod catalog;
pub mod changes;
mod clock;
pub mod config;
pub mod connections;
pub mod consistency;
mod error;
pub mod http;
pub mod incidents;
pub mod jobs;
pub mod lag;
pub mod metrics;
mod overview;
pub mod profiling;
pub mod prom;
pub mod rate;
pub mod store;
pub mod traces;

pub use clock::now_ms;
pub use error::BackendError;

/// What a request is allowed to do, and where it came from: built once per request.
#[derive(Clone, Debug)]
pub struct Principal {
    pub user_id: i64,
    pub username: String,
    pub role: types::Role,
    pub via_token: bool,
    /// A token bound to a service: it may only push that service's events.
    pub service: Option<String>,
}

impl Principal {
    /// Refuses with Forbidden unless this principal holds `role` or above.
    pub fn require(&self, role: types::Role) -> Result<(), BackendError> {
        if self.role.allows(role) {
            Ok(())
        } else {
            Err(BackendError::Forbidden(format!(
                "this needs the {role} role; {} is {}",
                self.username, self.role
            )))
        }
    }
}

mod hub;
pub use hub::{Caller, Hub, HubSetup};
