//! Changes to services (deploys, config, flags, migrations), as the API and pages report them.

use serde::{Deserialize, Serialize};

/// What changed: `deploy`, `config`, `flag` or `migration`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChangeKind {
    Deploy,
    Config,
    Flag,
    Migration,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 4] =
        [ChangeKind::Deploy, ChangeKind::Config, ChangeKind::Flag, ChangeKind::Migration];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Deploy => "deploy",
            ChangeKind::Config => "config",
            ChangeKind::Flag => "flag",
            ChangeKind::Migration => "migration",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One recorded change: `GET /api/v1/changes` returns a list of these, newest first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeView {
    pub id: i64,
    pub service: String,
    pub kind: ChangeKind,
    pub version: Option<String>,
    pub summary: String,
    pub url: Option<String>,
    /// When the change happened (the pusher's clock, within an hour of the hub's).
    pub ts_ms: i64,
    /// Who made the change, as the pusher says (a person, a pipeline).
    pub author: Option<String>,
    /// Who recorded it in the hub: a user, a token's owner, or `hub` for its own reloads and
    /// the demo's chaos.
    pub recorded_by: String,
}
