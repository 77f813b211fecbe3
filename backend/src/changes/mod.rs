//! Recent changes to services — deploys, config, flags, migrations — the first thing an
//! on-call engineer asks about. Services and people push them (`POST /api/v1/changes`); the
//! hub records its own config reloads and the demo's chaos and deploys; a service's page, its
//! panels and an alert's context read them.

mod store;
mod validate;

pub use store::{ChangeLog, ChangeQuery, NewChangeRow, HUB};
pub use validate::PushedChange;

use crate::audit::{Attempt, AuditLog};
use crate::catalog::Catalog;
use crate::rate::PerSecond;
use crate::{now_ms, BackendError, Principal};
use std::sync::Arc;
use types::changes::ChangeView;
use types::charts::Marker;
use types::Role;

/// Changes one caller may push per second.
const PUSHES_PER_SECOND: u32 = 20;
/// The most changes one list returns.
pub const MAX_LIST: i64 = 1000;

#[derive(Debug)]
pub struct Changes {
    log: ChangeLog,
    catalog: Arc<Catalog>,
    audit: AuditLog,
    rate: PerSecond,
}

impl Changes {
    pub fn new(log: ChangeLog, catalog: Arc<Catalog>, audit: AuditLog) -> Changes {
        Changes { log, catalog, audit, rate: PerSecond::new(PUSHES_PER_SECOND) }
    }

    pub fn log(&self) -> &ChangeLog {
        &self.log
    }

    /// Keeps a change a service (its bound token) or a developer and up pushed; audited.
    pub async fn push(
        &self,
        actor: &Principal,
        source: &str,
        change: PushedChange,
    ) -> Result<ChangeView, BackendError> {
        let target = format!("{} {}", change.service, change.kind);
        let result = self.push_checked(actor, change).await;
        self.audit.settle(Attempt::by(actor, "change.record", target, source), result).await
    }

    async fn push_checked(
        &self,
        actor: &Principal,
        change: PushedChange,
    ) -> Result<ChangeView, BackendError> {
        if actor.service.is_none() {
            actor.require(Role::Developer)?;
        }
        let now = now_ms();
        self.rate.admit(actor, now, "changes")?;
        let config = self.catalog.config();
        let known = |s: &str| config.service(s).is_some();
        let row = validate::validate(change, &known, actor.service.as_deref(), now)
            .map_err(|e| BackendError::Invalid(format!("the change was not kept: {e}")))?;
        let id = self.log.insert(&row, &actor.username).await?;
        Ok(ChangeView {
            id,
            service: row.service,
            kind: row.kind,
            version: row.version,
            summary: row.summary,
            url: row.url,
            ts_ms: row.ts_ms,
            author: row.author,
            recorded_by: actor.username.clone(),
        })
    }

    /// Changes, newest first; any signed-in user reads them.
    pub async fn list(
        &self,
        _actor: &Principal,
        mut q: ChangeQuery,
    ) -> Result<Vec<ChangeView>, BackendError> {
        if q.limit <= 0 || q.limit > MAX_LIST {
            q.limit = MAX_LIST;
        }
        self.log.list(&q).await
    }

    /// A service's changes between `from_ms` and `to_ms` as markers for its panels; none
    /// when they cannot be read (the panels are drawn without them).
    pub async fn markers(&self, service: &str, from_ms: i64, to_ms: i64) -> Vec<Marker> {
        let q = ChangeQuery {
            services: vec![service.to_string()],
            since_ms: Some(from_ms),
            until_ms: Some(to_ms),
            limit: 200,
        };
        match self.log.list(&q).await {
            Ok(list) => list
                .into_iter()
                .map(|c| Marker { ts_ms: c.ts_ms, kind: c.kind.as_str().to_string(), label: c.summary })
                .collect(),
            Err(e) => {
                tracing::warn!(service, error = %e, "cannot read the changes to mark on the panels");
                Vec::new()
            }
        }
    }

    /// The changes to `services` in the hour before `onset_ms` (and up to it), newest first:
    /// what an alert's context and an incident list.
    pub async fn before(&self, services: &[String], onset_ms: i64) -> Result<Vec<ChangeView>, BackendError> {
        let q = ChangeQuery {
            services: services.to_vec(),
            since_ms: Some(onset_ms - 3_600_000),
            until_ms: Some(onset_ms),
            limit: 100,
        };
        self.log.list(&q).await
    }
}
