//! Types that cross between the hub's server and the browser: no I/O here.

mod catalog;
mod error;
mod metrics;
mod role;
mod users;

pub use catalog::{
    ConfigView, DemoChaos, DemoFault, DemoInstanceView, DiffLine, DiffOp, FleetInstance, FleetManifest,
    InstanceView, LinksView, ReloadOutcome, ServiceDetail, ServiceView,
};
pub use error::{AppError, ErrorKind};
pub use metrics::{
    CaptureView, CatalogFamilyView, ConformanceMatrix, ExploreRow, ExploreView, InstanceScrape, MatrixRow,
    PanelView, RuleResult, RuleStatus, ScrapeReport, ServiceConformance, TimeRange,
};
pub use role::Role;
pub use users::{ApiTokenView, AuditEntryView, AuditFilter, CreatedToken, HubStatus, Me, UserView};
