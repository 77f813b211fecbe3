//! Captures the hub takes by itself: `[[services.capture_triggers]]` ("a thread dump when
//! the pool passes 90 %"), checked on every scrape of the service's instances, at most once
//! per cooldown per instance and trigger, so the evidence exists at the moment it happened.

use super::Captures;
use crate::audit::{AuditEvent, Outcome};
use crate::config::TriggerMetric;
use crate::jobs::EventJob;
use crate::metrics::ScrapeEvent;
use crate::{now_ms, BackendError};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

/// The capture-trigger job: one check per scrape.
pub struct CaptureTriggers {
    captures: Captures,
    /// When each (service, instance, trigger) last fired.
    last_ms: Mutex<HashMap<(String, String, usize), i64>>,
}

impl CaptureTriggers {
    pub fn new(captures: Captures) -> CaptureTriggers {
        CaptureTriggers { captures, last_ms: Mutex::default() }
    }

    /// Whether the trigger may fire now (and, if so, that it did).
    fn take_turn(&self, key: (String, String, usize), cooldown_ms: i64) -> bool {
        let now = now_ms();
        let mut last = self.last_ms.lock().unwrap_or_else(PoisonError::into_inner);
        if last.get(&key).is_some_and(|at| now - at < cooldown_ms) {
            return false;
        }
        last.insert(key, now);
        true
    }
}

#[async_trait::async_trait]
impl EventJob<ScrapeEvent> for CaptureTriggers {
    fn name(&self) -> &'static str {
        "capture triggers"
    }

    /// Checks the triggers of the scraped instance's service.
    async fn on_event(&self, event: &ScrapeEvent) {
        let config = self.captures.catalog.config();
        let Some(service) = config.service(&event.service) else { return };
        for (index, trigger) in service.capture_triggers.iter().enumerate() {
            let value = match trigger.metric.get_ref() {
                TriggerMetric::PoolUtilisation => event.gauges.pool_utilisation,
            };
            let Some(value) = value.filter(|v| *v > trigger.above) else { continue };
            let cooldown = i64::try_from(trigger.cooldown().as_millis()).unwrap_or(i64::MAX);
            if !self.take_turn((event.service.clone(), event.instance.clone(), index), cooldown) {
                continue;
            }
            let reason = format!(
                "trigger: {} {:.0}% > {:.0}%",
                trigger.metric.get_ref(),
                value * 100.0,
                trigger.above * 100.0
            );
            let captures = &self.captures;
            match captures
                .start(&event.service, &event.instance, trigger.kind, (trigger.seconds, None), &reason)
                .await
            {
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
                    if let Err(e) = captures.audit.record(audit).await {
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
