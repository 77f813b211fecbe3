//! Types that cross between the hub's server and the browser: no I/O here.

mod error;
mod role;
mod users;

pub use error::{AppError, ErrorKind};
pub use role::Role;
pub use users::{ApiTokenView, AuditEntryView, AuditFilter, CreatedToken, HubStatus, Me, UserView};
