//! Users, roles, passwords, API tokens and login throttling.

mod model;
mod passwords;
mod service;
mod store;
mod throttle;
mod tokens;

pub use model::{Password, User, Username};
pub use service::{Accounts, LoginAttempt};
pub use throttle::LoginThrottle;
