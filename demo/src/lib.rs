//! The demo fleet: real services the hub watches from its first start. `fleet` supervises
//! one OS process per instance; each instance serves metrics, profiles, thread dumps and
//! chaos. See README "Demo fleet".

pub mod chaos;
mod control;
pub mod db;
pub mod events;
pub mod instance;
pub mod metrics;
pub mod orders_api;
pub mod pool;
pub mod portfolio_bff;
pub mod process;
pub mod profiling;
pub mod projector;
pub mod quotes;
pub mod run;
pub mod serve;
pub mod supervisor;
pub mod telemetry;
pub mod threads;
pub mod writer;

/// The line the fleet prints once every instance listens: the hub reads it.
pub const MANIFEST_PREFIX: &str = "SWITCHBOARD_FLEET ";
/// The line an instance prints once it listens.
pub const LISTENING_PREFIX: &str = "LISTENING ";
