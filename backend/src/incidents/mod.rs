//! Incidents: every alert that fires opens one (its id is the alert's), and its page holds the
//! evidence, read when asked: the alert's context and capture, the changes to the services
//! involved in the hour before, the first failing service over its example traces ("quotes
//! in 19 of 20"), read-model lag and open consistency differences of those services, and a
//! timeline. Developers and up keep notes and a status (audited).

mod store;

use crate::alerts::Alerts;
use crate::audit::{Attempt, AuditLog};
use crate::catalog::Catalog;
use crate::changes::Changes;
use crate::consistency::Checks;
use crate::lag::Lag;
use crate::traces::Traces;
use crate::{now_ms, BackendError, Principal};
use std::sync::Arc;
use types::incidents::{
    ChecksOpen, FirstFailing, IncidentNote, IncidentStatus, IncidentSummary, IncidentView, LagAtOnset,
    TimelineEntry,
};
use types::Role;

/// The longest note kept.
const MAX_NOTE: usize = 4000;

/// What an incident's page is read from.
pub struct IncidentsSetup {
    pub store: crate::store::Store,
    pub catalog: Arc<Catalog>,
    pub audit: AuditLog,
    pub alerts: Arc<Alerts>,
    pub changes: Arc<Changes>,
    pub traces: Arc<Traces>,
    pub lag: Arc<Lag>,
    pub checks: Arc<Checks>,
    /// The capture the alert took, named on the page.
    pub captures: crate::profiling::Captures,
}

pub struct Incidents(IncidentsSetup);

impl std::fmt::Debug for Incidents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Incidents").finish_non_exhaustive()
    }
}

impl Incidents {
    pub fn new(setup: IncidentsSetup) -> Incidents {
        Incidents(setup)
    }

    pub async fn list(&self, _actor: &Principal, limit: i64) -> Result<Vec<IncidentSummary>, BackendError> {
        Ok(store::list(&self.0.store, limit.clamp(1, 500)).await?)
    }

    pub async fn get(&self, actor: &Principal, id: i64) -> Result<IncidentView, BackendError> {
        let s = &self.0;
        // The alert alone: its page's deliveries and changes are not this page's.
        let alert = s.alerts.view(actor, id).await?;
        let Some(fired_ms) = alert.fired_ms else {
            return Err(BackendError::NotFound(format!("alert #{id} has not fired: it has no incident")));
        };
        let traces = s.traces.readable(&alert.traces).await;
        let mut involved = vec![alert.service.clone()];
        for span in traces.iter().flat_map(|t| &t.spans) {
            if !involved.contains(&span.service) {
                involved.push(span.service.clone());
            }
        }
        let blamed = crate::traces::analysis::blame(&traces);
        let changes = s.changes.before(&involved, alert.onset_ms).await?;
        let config = s.catalog.config();
        let lag = config
            .read_models
            .iter()
            .filter(|m| involved.contains(&m.service))
            .map(|m| {
                let name = m.name.get_ref();
                LagAtOnset {
                    read_model: name.clone(),
                    service: m.service.clone(),
                    lag_ms: s.lag.lag_at(name, alert.onset_ms),
                    p99_ms: s.lag.p99_over(name, 60),
                    slo_ms: m.slo_ms,
                }
            })
            .collect();
        let model_service =
            |m: &str| config.read_models.iter().find(|r| r.name.get_ref() == m).map(|r| r.service.clone());
        let consistency = s
            .checks
            .list(actor)
            .await?
            .into_iter()
            .filter(|c| {
                c.read_model.as_deref().and_then(model_service).is_some_and(|svc| involved.contains(&svc))
            })
            .map(|c| ChecksOpen {
                check: c.name,
                read_model: c.read_model,
                open_differences: c.open_differences,
            })
            .collect();
        let taken = match alert.capture_id {
            Some(c) => s.captures.get(actor, c).await.ok(),
            None => None,
        };
        let notes = store::notes(&s.store, id).await?;
        let status = store::status(&s.store, id).await?;
        let capture_target = {
            let (service, seen) = match blamed.first() {
                Some(b) if b.service != alert.service => (b.service.clone(), b.instance.as_deref()),
                _ => (alert.service.clone(), alert.worst_instance.as_deref()),
            };
            config.service(&service).and_then(|d| d.instance_or_first(seen)).map(|i| (service, i))
        };
        let first_failing = blamed
            .into_iter()
            .map(|b| FirstFailing { service: b.service, traces: i64::try_from(b.traces).unwrap_or(i64::MAX) })
            .collect();
        let mut timeline: Vec<TimelineEntry> = changes
            .iter()
            .map(|c| TimelineEntry {
                ts_ms: c.ts_ms,
                kind: "change".into(),
                text: format!("{} of {}: {}", c.kind.as_str(), c.service, c.summary),
            })
            .collect();
        let mut at = |ts_ms: i64, kind: &str, text: String| {
            timeline.push(TimelineEntry { ts_ms, kind: kind.into(), text })
        };
        at(alert.onset_ms, "onset", format!("first bad sample of {} on {}", alert.signal, alert.service));
        at(fired_ms, "fired", format!("{} fired", alert.rule));
        if let Some(c) = alert.capture_id {
            at(fired_ms, "capture", format!("capture #{c} started as it fired"));
        }
        if let Some(t) = alert.delivered_ms {
            at(t, "delivered", "notification delivered".into());
        }
        if let (Some(t), Some(by)) = (alert.acked_ms, &alert.acked_by) {
            at(t, "acknowledged", format!("acknowledged by {by}"));
        }
        for n in &notes {
            match n.status {
                Some(st) => {
                    at(n.created_ms, "status", format!("{} set it {}: {}", n.author, st.as_str(), n.body))
                }
                None => at(n.created_ms, "note", format!("{}: {}", n.author, n.body)),
            }
        }
        if let Some(t) = alert.resolved_ms {
            at(t, "resolved", format!("{} resolved", alert.rule));
        }
        timeline.sort_by_key(|e| e.ts_ms);
        Ok(IncidentView {
            id,
            status,
            changes,
            involved,
            first_failing,
            traces_read: i64::try_from(traces.len()).unwrap_or(0),
            lag,
            consistency,
            notes,
            timeline,
            capture_target,
            taken,
            alert,
        })
    }

    /// A note, with a new status when `status` is set. Developers and up; audited.
    pub async fn note(
        &self,
        actor: &Principal,
        source: &str,
        id: i64,
        body: &str,
        status: Option<IncidentStatus>,
    ) -> Result<IncidentNote, BackendError> {
        let action = if status.is_some() { "incident.status" } else { "incident.note" };
        let target = match status {
            Some(s) => format!("#{id} {}", s.as_str()),
            None => format!("#{id}"),
        };
        let result = async {
            actor.require(Role::Developer)?;
            let body = body.trim();
            if status.is_none() && body.is_empty() {
                return Err(BackendError::Invalid("a note needs some text".into()));
            }
            if body.chars().count() > MAX_NOTE {
                return Err(BackendError::Invalid(format!("a note is at most {MAX_NOTE} characters")));
            }
            let alert = self.0.alerts.get(id).await?;
            if alert.fired_ms.is_none() {
                return Err(BackendError::NotFound(format!("alert #{id} has not fired: it has no incident")));
            }
            Ok(store::add_note(&self.0.store, id, &actor.username, body, status, now_ms()).await?)
        }
        .await;
        self.0.audit.settle(Attempt::by(actor, action, target, source), result).await
    }
}
