//! Thin server functions: who is calling → one backend service → AppError.

pub mod alerts;
pub mod audit;
pub mod auth;
pub mod captures;
pub mod catalog;
pub mod changes;
pub mod checks;
pub mod demo;
pub mod incidents;
pub mod lag;
pub mod metrics;
pub mod tokens;
pub mod traces;
pub mod users;

#[cfg(feature = "ssr")]
pub(crate) mod context;
