//! The shared metric format: the catalog of families, the conformance rules, and the
//! latest scrape of every instance as parsed and checked.

pub mod board;
pub mod catalog;
pub mod conformance;
pub mod explore;
pub mod history;
pub mod merge;
pub mod panels;
pub mod remote;
pub mod render;

pub use board::{InstanceReport, MetricsBoard, ScrapeInput};
pub use catalog::MetricCatalog;
