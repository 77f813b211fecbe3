//! Types that cross between the hub's server and the browser: no I/O here, and no parser
//! (the browser bundle must stay small).

pub mod alerts;
mod captures;
mod catalog;
pub mod changes;
pub mod charts;
pub mod checks;
mod error;
pub mod incidents;
pub mod lag;
mod metrics;
pub mod profiles;
mod role;
pub mod threads;
pub mod time;
pub mod traces;
pub mod units;
pub mod url;
mod users;

pub use captures::{ArtifactKind, CaptureKind, CaptureState, CaptureView};
pub use catalog::{
    ConfigView, ConformanceTrouble, DemoChaos, DemoFault, DemoInstanceView, DiffLine, DiffOp, FleetInstance,
    FleetManifest, InstanceTrouble, InstanceView, LinksView, Overview, ReloadOutcome, ServiceDetail,
    ServiceView,
};
pub use error::{AppError, ErrorKind};
pub use metrics::{
    CatalogFamilyView, ConformanceMatrix, ExploreRow, ExploreView, InstanceScrape, KeySignal, KeySignals,
    MatrixRow, PanelView, RuleResult, RuleStatus, ScrapeReport, ServiceConformance, TimeRange,
};
pub use role::Role;
pub use users::{ApiTokenView, AuditEntryView, AuditFilter, CreatedToken, HubStatus, Me, UserView};
