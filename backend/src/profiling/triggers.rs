//! Captures the hub takes by itself: `[[services.capture_triggers]]` ("a thread dump when
//! the pool passes 90 %"), checked on every scrape of the service's instances, at most once
//! per cooldown per instance and trigger, so the evidence exists at the moment it happened.

use super::Captures;
use crate::audit::{AuditEvent, Outcome};
use crate::catalog::ScrapeEvent;
use crate::{now_ms, BackendError};
use std::collections::HashMap;
use std::sync::PoisonError;

/// When each (service, instance, trigger) last fired.
#[derive(Debug, Default)]
pub struct TriggerState {
    last_ms: HashMap<(String, String, usize), i64>,
}

impl Captures {
    /// Checks the triggers of the scraped instance's service.
    pub async fn on_scrape(&self, event: &ScrapeEvent) {
        let config = self.catalog.config();
        let Some(service) = config.service(&event.service) else { return };
        for (index, trigger) in service.capture_triggers.iter().enumerate() {
            let value = match trigger.metric.get_ref().as_str() {
                "pool_utilisation" => event.gauges.pool_utilisation,
                _ => None,
            };
            let Some(value) = value.filter(|v| *v > trigger.above) else { continue };
            let key = (event.service.clone(), event.instance.clone(), index);
            let now = now_ms();
            let cooldown = i64::try_from(trigger.cooldown().as_millis()).unwrap_or(i64::MAX);
            {
                let mut state = self.triggers.lock().unwrap_or_else(PoisonError::into_inner);
                if state.last_ms.get(&key).is_some_and(|last| now - last < cooldown) {
                    continue;
                }
                state.last_ms.insert(key, now);
            }
            let reason = format!(
                "trigger: {} {:.0}% > {:.0}%",
                trigger.metric.get_ref(),
                value * 100.0,
                trigger.above * 100.0
            );
            match self.start(&event.service, &event.instance, &trigger.kind, trigger.seconds, &reason).await {
                Ok(id) => {
                    tracing::info!(capture = id, service = %event.service, instance = %event.instance, %reason, "capture triggered");
                    let target =
                        format!("#{id} {}/{} {} ({reason})", event.service, event.instance, trigger.kind);
                    let audit = AuditEvent {
                        actor: "system",
                        action: "capture.trigger",
                        target: &target,
                        outcome: Outcome::Ok,
                        source: "scrape",
                    };
                    if let Err(e) = self.audit.record(audit).await {
                        tracing::warn!(error = %e, "could not audit a triggered capture");
                    }
                }
                // Someone is already capturing this instance: that capture is the evidence.
                Err(BackendError::Conflict(_)) => {}
                Err(e) => {
                    tracing::warn!(service = %event.service, instance = %event.instance, error = %e, "a triggered capture could not start")
                }
            }
        }
    }
}
