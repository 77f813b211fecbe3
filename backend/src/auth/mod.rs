//! Users, roles, passwords, API tokens, login sessions and login throttling.

mod manage;
mod model;
mod passwords;
mod service;
mod session;
mod store;
mod throttle;
mod tokens;

pub use model::{Password, User, Username};
pub use service::{Accounts, LoginAttempt};
pub use session::session_user;
pub use throttle::LoginThrottle;
