//! The capture an alert takes as it fires. An error-ratio alert with example traces takes it
//! where they say the failures started (another service's instance, when the traces name
//! one); anything else of the alerted service's worst instance. Run beside the evaluation:
//! the traces' spans are exported every half second or so, and the first failing service is
//! only known once those of every service involved have arrived.

use super::store;
use crate::catalog::Catalog;
use crate::profiling::Captures;
use crate::store::Store;
use crate::traces::Traces;
use std::sync::Arc;
use std::time::Duration;
use types::CaptureKind;

/// How long the spans of an example trace are given to arrive before they are read.
const SPANS_SETTLE: Duration = Duration::from_millis(1500);
/// How long after that the traces are read again while none says where it failed.
const SPANS_WAIT: Duration = Duration::from_secs(3);

pub(super) struct AlertCapture {
    pub alert: i64,
    pub rule: String,
    pub service: String,
    pub worst_instance: Option<String>,
    /// The example traces to follow; empty: capture the worst instance at once.
    pub traces: Vec<String>,
    pub kind: CaptureKind,
}

pub(super) struct CaptureDeps {
    pub captures: Captures,
    pub traces: Arc<Traces>,
    pub catalog: Arc<Catalog>,
    pub store: Store,
}

impl AlertCapture {
    pub async fn take(self, deps: CaptureDeps) {
        let Some((service, instance)) = self.target(&deps).await else { return };
        let reason = format!("alert #{}: {}", self.alert, self.rule);
        match deps.captures.start(&service, &instance, self.kind, (None, None), &reason).await {
            Ok(capture) => {
                if let Err(e) = store::set_capture(&deps.store, self.alert, capture).await {
                    tracing::warn!(alert = self.alert, error = %e, "alerts: cannot record the alert's capture");
                }
            }
            Err(e) => {
                tracing::warn!(alert = self.alert, service, instance, error = %e, "alerts: the capture could not start")
            }
        }
    }

    async fn target(&self, deps: &CaptureDeps) -> Option<(String, String)> {
        if !self.traces.is_empty() {
            tokio::time::sleep(SPANS_SETTLE).await;
            let deadline = tokio::time::Instant::now() + SPANS_WAIT;
            let blame = loop {
                let blame = deps.traces.blame(&self.traces).await;
                if blame.is_some() || tokio::time::Instant::now() >= deadline {
                    break blame;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            };
            if let Some(blame) = blame.filter(|b| b.service != self.service) {
                let config = deps.catalog.config();
                let instance =
                    config.service(&blame.service)?.instance_or_first(blame.instance.as_deref())?;
                tracing::info!(alert = self.alert, service = %self.service, blamed = %blame.service, instance, traces = blame.traces, "alerts: capturing where the traces say the failures started");
                return Some((blame.service, instance));
            }
        }
        Some((self.service.clone(), self.worst_instance.clone()?))
    }
}
