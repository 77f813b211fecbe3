//! `Alerts`: rules on the shared metric format's signals, evaluated on every scrape of the
//! service they watch (`eval.rs`), episodes pending → firing → resolved kept in the store,
//! what the failing events share (`context.rs`), notifications through an outbox in the
//! store delivered at once and retried (`deliver.rs`, `payload.rs`), silences and
//! acknowledgements.

mod capture;
mod chart;
pub mod context;
mod deliver;
mod eval;
pub mod events;
mod group;
mod metrics;
pub mod payload;
mod push;
pub mod signal;
mod store;

use crate::audit::{Attempt, AuditLog};
use crate::catalog::Catalog;
use crate::changes::{ChangeLog, ChangeQuery};
use crate::lag::Lag;
use crate::metrics::{ErrorTrace, Metrics};
use crate::profiling::Captures;
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::Notify;
use types::alerts::{AlertDetail, AlertFilter, AlertState, AlertView, NewSilence, SilenceView};
use types::changes::ChangeView;
use types::Role;

pub use eval::{AlertEvaluator, Source};

/// An episode still open, as the evaluator tracks it.
#[derive(Clone, Debug)]
struct Open {
    id: i64,
    state: AlertState,
    onset_ms: i64,
    /// When its value was last written to the store (0: not by this hub yet, so at its next
    /// evaluation), and the worst instance written then.
    written_ms: i64,
    worst: Option<String>,
    /// When its context was last computed (firing; 0: not by this hub yet).
    context_ms: i64,
}

/// Error exemplars remembered per service (for example traces).
const TRACES_KEPT: usize = 256;

pub struct AlertsSetup {
    pub store: Store,
    pub catalog: Arc<Catalog>,
    pub metrics: Arc<Metrics>,
    pub lag: Arc<Lag>,
    pub captures: Captures,
    pub audit: AuditLog,
    pub owner: String,
    /// Changes before an onset, for the alert's page and its notifications.
    pub changes: ChangeLog,
    /// The services an alert's example traces went through (its callees).
    pub traces: Arc<crate::traces::Traces>,
}

pub struct Alerts {
    store: Store,
    changes: ChangeLog,
    kept_traces: Arc<crate::traces::Traces>,
    catalog: Arc<Catalog>,
    metrics: Arc<Metrics>,
    lag: Arc<Lag>,
    captures: Captures,
    audit: AuditLog,
    owner: String,
    /// Until when this hub holds the evaluation lease (as of its last renewal).
    evaluating_until: std::sync::atomic::AtomicI64,
    /// Open episodes by (rule, service); None until read back from the store.
    open: tokio::sync::Mutex<Option<HashMap<(String, String), Open>>>,
    traces: Mutex<HashMap<String, VecDeque<(i64, ErrorTrace)>>>,
    /// Events services pushed, the last hour's.
    events: events::EventLog,
    push_rate: crate::rate::PerSecond,
    /// Wakes the delivery job when a notification is queued.
    wake: Notify,
    delivery: metrics::DeliveryMetrics,
    http: reqwest::Client,
}

impl std::fmt::Debug for Alerts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Alerts").finish_non_exhaustive()
    }
}

impl Alerts {
    pub fn new(s: AlertsSetup) -> Alerts {
        Alerts {
            store: s.store,
            changes: s.changes,
            kept_traces: s.traces,
            catalog: s.catalog,
            metrics: s.metrics,
            lag: s.lag,
            captures: s.captures,
            audit: s.audit,
            owner: s.owner,
            evaluating_until: std::sync::atomic::AtomicI64::new(i64::MIN),
            open: tokio::sync::Mutex::new(None),
            traces: Mutex::default(),
            events: events::EventLog::default(),
            push_rate: crate::rate::PerSecond::new(push::BATCHES_PER_SECOND),
            wake: Notify::new(),
            delivery: metrics::DeliveryMetrics::default(),
            http: crate::http::client(Some(std::time::Duration::from_secs(5))),
        }
    }

    /// Delivery latency per receiver and attempts by outcome, for the hub's /metrics.
    pub fn render_metrics(&self) -> String {
        self.delivery.render()
    }

    /// Episodes, newest first (pending and firing first); one state, the silenced, or all.
    pub async fn list(
        &self,
        _actor: &Principal,
        filter: AlertFilter,
    ) -> Result<Vec<AlertView>, BackendError> {
        let state = match filter {
            AlertFilter::In(s) => Some(s),
            AlertFilter::All | AlertFilter::Silenced => None,
        };
        let mut list = store::list(&self.store, state, 500).await?;
        let silences = store::silences(&self.store, now_ms()).await?;
        for a in &mut list {
            a.silenced = a.state != AlertState::Resolved && silenced_by(&silences, &a.labels, now_ms());
        }
        if filter == AlertFilter::Silenced {
            list.retain(|a| a.silenced);
        }
        list.sort_by_key(|a| (a.state != AlertState::Firing, a.state != AlertState::Pending));
        Ok(list)
    }

    /// One episode as it is kept, without what its page adds (deliveries, changes, silence).
    pub async fn get(&self, id: i64) -> Result<AlertView, BackendError> {
        store::get(&self.store, id).await?.ok_or_else(|| not_found(id))
    }

    /// One episode with whether a silence holds it now.
    pub async fn view(&self, _actor: &Principal, id: i64) -> Result<AlertView, BackendError> {
        let mut alert = self.get(id).await?;
        let silences = store::silences(&self.store, now_ms()).await?;
        alert.silenced = silenced_by(&silences, &alert.labels, now_ms());
        Ok(alert)
    }

    pub async fn detail(&self, actor: &Principal, id: i64) -> Result<AlertDetail, BackendError> {
        let alert = self.view(actor, id).await?;
        Ok(AlertDetail {
            changes: self.changes_before(&alert).await,
            deliveries: store::deliveries(&self.store, id).await?,
            due: store::still_due(&self.store, id).await?,
            alert,
        })
    }

    /// Changes to the alert's service and to the services its example traces went through
    /// (its callees), in the hour before its onset, newest first; none when they cannot be
    /// read (a notification is not held back for them).
    pub(crate) async fn changes_before(&self, alert: &AlertView) -> Vec<ChangeView> {
        let mut services = vec![alert.service.clone()];
        for s in self.kept_traces.services_in(&alert.traces).await {
            if !services.contains(&s) {
                services.push(s);
            }
        }
        let q = ChangeQuery {
            services,
            since_ms: Some(alert.onset_ms - 3_600_000),
            until_ms: Some(alert.onset_ms),
            limit: 20,
        };
        self.changes.list(&q).await.unwrap_or_else(|e| {
            tracing::warn!(alert = alert.id, error = %e, "alerts: cannot read the changes before the onset");
            Vec::new()
        })
    }

    /// Acknowledges a firing alert: no more repeats, shown to everyone. Developers and up.
    pub async fn ack(&self, actor: &Principal, source: &str, id: i64) -> Result<AlertView, BackendError> {
        let result = async {
            actor.require(Role::Developer)?;
            let alert = self.get(id).await?;
            if alert.state == AlertState::Resolved {
                return Err(BackendError::Conflict(format!("alert #{id} is resolved")));
            }
            if !store::ack(&self.store, id, &actor.username, now_ms()).await? {
                return Err(BackendError::Conflict(format!("alert #{id} is acknowledged already")));
            }
            self.get(id).await
        }
        .await;
        self.audit.settle(Attempt::by(actor, "alert.ack", format!("#{id}"), source), result).await
    }

    pub async fn silences(&self, _actor: &Principal) -> Result<Vec<SilenceView>, BackendError> {
        Ok(store::silences(&self.store, now_ms()).await?)
    }

    /// Creates a silence. Developers and up.
    pub async fn silence(
        &self,
        actor: &Principal,
        source: &str,
        new: &NewSilence,
    ) -> Result<SilenceView, BackendError> {
        let target = new.matchers.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",");
        let result = async {
            actor.require(Role::Developer)?;
            let now = now_ms();
            let starts = new.starts_ms.unwrap_or(now);
            validate_silence(new, starts, now)?;
            let id = store::insert_silence(
                &self.store,
                &new.matchers,
                starts,
                new.ends_ms,
                new.comment.trim(),
                &actor.username,
                now,
            )
            .await?;
            Ok(SilenceView {
                id,
                matchers: new.matchers.clone(),
                starts_ms: starts,
                ends_ms: new.ends_ms,
                comment: new.comment.trim().to_string(),
                created_by: actor.username.clone(),
                created_ms: now,
            })
        }
        .await;
        self.audit.settle(Attempt::by(actor, "silence.create", target, source), result).await
    }

    /// Ends a silence now. Developers and up.
    pub async fn end_silence(&self, actor: &Principal, source: &str, id: i64) -> Result<(), BackendError> {
        let result = async {
            actor.require(Role::Developer)?;
            if store::end_silence(&self.store, id, now_ms()).await? {
                Ok(())
            } else {
                Err(BackendError::NotFound(format!("no running silence #{id}")))
            }
        }
        .await;
        self.audit.settle(Attempt::by(actor, "silence.delete", format!("#{id}"), source), result).await
    }

    /// Remembers the error exemplars of a scrape.
    fn remember_traces(&self, service: &str, at_ms: i64, traces: &[ErrorTrace]) {
        if traces.is_empty() {
            return;
        }
        let mut all = self.traces.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = all.entry(service.to_string()).or_default();
        for t in traces {
            if kept.iter().any(|(_, k)| k.trace_id == t.trace_id) {
                continue;
            }
            kept.push_back((at_ms, t.clone()));
            if kept.len() > TRACES_KEPT {
                kept.pop_front();
            }
        }
    }

    /// Remembers the trace of one failing pushed event.
    fn remember_trace(&self, service: &str, at_ms: i64, trace_id: &str, labels: &[(String, String)]) {
        let trace = ErrorTrace { trace_id: trace_id.to_string(), labels: labels.to_vec() };
        self.remember_traces(service, at_ms, std::slice::from_ref(&trace));
    }

    /// Up to five trace ids of failing events seen since `since_ms`, preferring those whose
    /// labels carry the context's first value.
    fn example_traces(&self, service: &str, since_ms: i64, prefer: Option<(&str, &str)>) -> Vec<String> {
        let all = self.traces.lock().unwrap_or_else(PoisonError::into_inner);
        let Some(kept) = all.get(service) else { return Vec::new() };
        let recent: Vec<&ErrorTrace> =
            kept.iter().rev().filter(|(t, _)| *t >= since_ms).map(|(_, e)| e).collect();
        let fits = |e: &ErrorTrace| {
            prefer.is_none_or(|(a, v)| a == "instance" || e.labels.iter().any(|(n, x)| n == a && x == v))
        };
        let mut out: Vec<String> = recent.iter().filter(|e| fits(e)).map(|e| e.trace_id.clone()).collect();
        out.extend(recent.iter().filter(|e| !fits(e)).map(|e| e.trace_id.clone()));
        out.truncate(5);
        out
    }
}

fn not_found(id: i64) -> BackendError {
    BackendError::NotFound(format!("no alert #{id}"))
}

fn validate_silence(new: &NewSilence, starts: i64, now: i64) -> Result<(), BackendError> {
    if new.matchers.is_empty() || new.matchers.len() > 16 {
        return Err(BackendError::Invalid("a silence needs 1 to 16 matchers (label = value)".into()));
    }
    for (k, v) in &new.matchers {
        if k.is_empty() || k.len() > 64 || v.is_empty() || v.len() > 256 {
            return Err(BackendError::Invalid(format!(
                "matcher {k:?} = {v:?}: a label of 1–64 and a value of 1–256 characters"
            )));
        }
    }
    if new.ends_ms <= starts.max(now) {
        return Err(BackendError::Invalid("a silence must end after it starts, and in the future".into()));
    }
    if new.comment.len() > 1000 {
        return Err(BackendError::Invalid("a comment is at most 1000 characters".into()));
    }
    Ok(())
}

/// Whether a running silence matches every one of its matchers on `labels`.
fn silenced_by(silences: &[SilenceView], labels: &BTreeMap<String, String>, now: i64) -> bool {
    silences.iter().any(|s| {
        s.starts_ms <= now && now < s.ends_ms && s.matchers.iter().all(|(k, v)| labels.get(k) == Some(v))
    })
}
