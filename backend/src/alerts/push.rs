//! `POST /api/v1/events`: who may push (a token bound to the service, or a developer and up),
//! how often (a rate per caller), and what happens then: the batch is kept whole and the
//! rules with `source = "events"` of each service in it are evaluated at once.

use super::events::{validate, PushedEvent};
use super::Alerts;
use crate::{now_ms, BackendError, Principal};
use types::Role;

/// Batches one caller may push per second.
pub(super) const BATCHES_PER_SECOND: u32 = 50;

impl Alerts {
    /// Keeps a batch of events (whole, or none of it) and evaluates the rules that read them;
    /// how many were kept.
    pub async fn push_events(
        &self,
        actor: &Principal,
        batch: Vec<PushedEvent>,
    ) -> Result<usize, BackendError> {
        if actor.service.is_none() {
            actor.require(Role::Developer)?;
        }
        let now = now_ms();
        self.push_rate.admit(actor, now, "batches of events")?;
        let config = self.catalog.config();
        let known = |s: &str| config.service(s).is_some();
        let by_service = validate(batch, &known, actor.service.as_deref(), now)
            .map_err(|e| BackendError::Invalid(format!("nothing was kept: {e}")))?;
        let mut kept = 0;
        for (service, events) in by_service {
            kept += events.len();
            for e in events.iter().filter(|e| e.error) {
                if let Some(t) = &e.trace_id {
                    self.remember_trace(&service, e.ts_ms, t, &e.labels);
                }
            }
            self.events.add(&service, events, now);
            self.evaluate(&service, now, super::eval::Source::Events).await;
        }
        Ok(kept)
    }
}
