use crate::Role;
use serde::{Deserialize, Serialize};

/// The logged-in user as the browser and `/api/v1/me` see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub username: String,
    pub role: Role,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_ms: i64,
    pub last_login_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiTokenView {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub revoked: bool,
    /// The service it is bound to: it then only pushes that service's events.
    #[serde(default)]
    pub service: Option<String>,
}

/// A token as it is shown once, right after it was created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreatedToken {
    pub token: ApiTokenView,
    pub secret: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntryView {
    pub id: i64,
    pub at_ms: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub source: String,
}

/// Filters of the Audit page, kept in its URL.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    pub actor: Option<String>,
    pub action: Option<String>,
    pub outcome: Option<String>,
    /// Entries older than this id (the next page).
    pub before_id: Option<i64>,
    /// Entries at or after this time (unix ms).
    #[serde(default)]
    pub since_ms: Option<i64>,
}

/// The hub's own health, shown on the home page and in the store banner.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HubStatus {
    pub version: String,
    pub store_engine: String,
    pub store_ok: bool,
    pub started_ms: i64,
    /// The demo fleet runs beside this hub (its controls exist only then).
    pub demo_fleet: bool,
}
