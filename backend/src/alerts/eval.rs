//! Evaluation on every scrape: the rules that watch the scraped service read their signal
//! over their window ending at this scrape, and move the (rule, service) episode through
//! pending → firing → resolved. Firing saves the context and queues the notices in one
//! transaction, then wakes the delivery job: no tick to wait for.

use super::capture::{AlertCapture, CaptureDeps};
use super::context;
use super::signal::{feeds, Reading, Reads, Scope};
use super::store::{self, NewAlert, Queued};
use super::{silenced_by, Alerts, Open};
use crate::config::alerts::{AlertDef, Condition, SignalKind, SignalSource};
use crate::config::{HubConfig, ServiceDef};
use crate::jobs::EventJob;
use crate::metrics::{ScrapeEvent, Signals};
use crate::store::lease;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use types::alerts::AlertState;

/// The shortest baseline a context is compared with.
const MIN_BASELINE_MS: i64 = 5 * 60_000;
/// The lease that one hub of several on a store holds to evaluate the rules, how long it
/// lasts, and how soon its holder renews it.
pub(super) const EVALUATION_LEASE: &str = "alert evaluation";
const LEASE_MS: i64 = 15_000;
const RENEW_AFTER_MS: i64 = 5_000;
/// How often an open episode's value and context are written again.
const REWRITE_MS: i64 = 5_000;
/// The longest stretch of failures a context is computed over.
const MAX_CONTEXT_MS: i64 = 15 * 60_000;

pub(super) fn ms(d: std::time::Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Whether `rule` watches `service`: named, or (by default) the service provides its signal.
/// (`def` is the service's entry in the config, looked up once for all the rules.)
pub(super) fn watches(
    rule: &AlertDef,
    service: &str,
    def: Option<&ServiceDef>,
    config: &HubConfig,
    signals: &Signals,
) -> bool {
    if !rule.services.is_empty() {
        return rule.services.iter().any(|s| s == service);
    }
    let Some(def) = def else { return false };
    match *rule.signal.get_ref() {
        SignalKind::Metric => true,
        SignalKind::ReadModelLag => config.read_models.iter().any(|m| m.service == service),
        signal => signals.provided(feeds(signal), &def.metric_profiles),
    }
}

/// The labels an episode carries (what silences match, what receivers route on).
pub(super) fn labels_of(rule: &AlertDef, service: &str) -> BTreeMap<String, String> {
    let mut labels = rule.labels.clone();
    labels.insert("alertname".into(), rule.name.get_ref().clone());
    labels.insert("service".into(), service.to_string());
    labels.insert("severity".into(), rule.severity.as_str().into());
    labels
}

fn comparison(c: Condition) -> &'static str {
    match c {
        Condition::Above(_) => "above",
        Condition::Below(_) => "below",
        Condition::Anomaly { .. } => "anomaly",
    }
}

/// How far back from now a rule reads: its window, or its anomaly's baseline.
fn reach(rule: &AlertDef) -> i64 {
    match rule.condition() {
        Condition::Anomaly { baseline, .. } => ms(baseline).max(ms(rule.window())),
        _ => ms(rule.window()),
    }
}

/// What set an evaluation off: a scrape evaluates the rules on metrics, a batch of pushed
/// events those on events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Scrape,
    Events,
}

impl Source {
    fn reads(self, rule: &AlertDef) -> bool {
        (rule.source == SignalSource::Events) == (self == Source::Events)
    }
}

/// The evaluation job: one `ScrapeEvent` at a time.
pub struct AlertEvaluator(pub Arc<Alerts>);

#[async_trait::async_trait]
impl EventJob<ScrapeEvent> for AlertEvaluator {
    fn name(&self) -> &'static str {
        "alert evaluation"
    }

    async fn on_event(&self, event: &ScrapeEvent) {
        let alerts = &self.0;
        alerts.remember_traces(&event.service, event.scraped_ms, &event.gauges.error_traces);
        alerts.evaluate(&event.service, event.scraped_ms, Source::Scrape).await;
    }
}

impl Alerts {
    /// Evaluates every rule that watches `service` and reads what `source` brought, at `now`.
    pub async fn evaluate(&self, service: &str, now: i64, source: Source) {
        let config = self.catalog.config();
        let catalog = self.catalog.metric_catalog();
        let mut open = self.open.lock().await;
        if !self.hold_evaluation(&mut open).await {
            return;
        }
        if open.is_none() {
            match store::open(&self.store).await {
                Ok(list) => {
                    let map = list
                        .into_iter()
                        .map(|a| {
                            let episode = Open {
                                id: a.id,
                                state: a.state,
                                onset_ms: a.onset_ms,
                                written_ms: 0,
                                worst: None,
                                context_ms: 0,
                            };
                            ((a.rule, a.service), episode)
                        })
                        .collect();
                    *open = Some(map);
                }
                Err(e) => {
                    tracing::warn!(error = %e, "alerts: cannot read the open alerts back; not evaluating");
                    return;
                }
            }
        }
        let Some(open) = open.as_mut() else { return };
        let def = config.service(service);
        let rules: Vec<&AlertDef> = config
            .alerts
            .iter()
            .filter(|r| source.reads(r) && watches(r, service, def, &config, catalog.signals()))
            .collect();
        // Every rule's reads, anomaly baselines included, from one read of each series.
        let earliest = rules.iter().map(|r| now - reach(r)).min().unwrap_or(now);
        let history = self.metrics.history();
        let reads = Reads::new(history, service, earliest, now);
        for rule in rules {
            if let Err(e) = self.evaluate_rule(rule, &reads, now, catalog.signals(), open).await {
                tracing::warn!(rule = %rule.name.get_ref(), service, error = %e, "alerts: evaluation failed");
            }
        }
    }

    /// Whether this hub evaluates: of several hubs on one store, the one holding the
    /// evaluation lease (renewed every few seconds as it evaluates). A hub that takes the
    /// lease over reads the open episodes back, as the last holder left them.
    async fn hold_evaluation(&self, open: &mut Option<HashMap<(String, String), Open>>) -> bool {
        let now = crate::now_ms();
        let held = self.evaluating_until.load(Ordering::Relaxed);
        if held.saturating_sub(now) > LEASE_MS - RENEW_AFTER_MS {
            return true;
        }
        match lease::hold(&self.store, EVALUATION_LEASE, &self.owner, now, now + LEASE_MS).await {
            Ok(true) => {
                if held < now {
                    *open = None;
                    tracing::info!(hub = %self.owner, "alerts: this hub evaluates the rules");
                }
                self.evaluating_until.store(now + LEASE_MS, Ordering::Relaxed);
                true
            }
            Ok(false) => {
                if held >= now {
                    tracing::info!(hub = %self.owner, "alerts: another hub evaluates the rules now");
                }
                self.evaluating_until.store(i64::MIN, Ordering::Relaxed);
                *open = None;
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, "alerts: cannot renew the evaluation lease");
                held > now
            }
        }
    }

    /// Whether this hub held the evaluation lease at `now`, as of its last renewal.
    pub(super) fn evaluates(&self, now: i64) -> bool {
        self.evaluating_until.load(Ordering::Relaxed) > now
    }

    pub(super) fn read(
        &self,
        rule: &AlertDef,
        reads: &Reads<'_>,
        from: i64,
        to: i64,
        signals: &Signals,
    ) -> Option<Reading> {
        let service = reads.service();
        if rule.source == SignalSource::Events {
            let events = self.events.between(service, from, to);
            return match *rule.signal.get_ref() {
                SignalKind::LatencyP95 => super::events::latency_p95(&events),
                _ => super::events::error_ratio(&events),
            };
        }
        if *rule.signal.get_ref() == SignalKind::ReadModelLag {
            let config = self.catalog.config();
            let minutes = ((to - from) / 60_000).max(1);
            return config
                .read_models
                .iter()
                .filter(|m| m.service == service)
                .filter(|m| rule.read_model.as_ref().is_none_or(|r| r == m.name.get_ref()))
                .filter_map(|m| {
                    self.lag.p99_over(m.name.get_ref(), minutes).map(|v| (m.name.get_ref().clone(), v))
                })
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(model, value)| Reading { value, worst_instance: Some(model) });
        }
        Scope { reads, signals, from, to }.read(*rule.signal.get_ref(), rule.metric.as_ref())
    }

    async fn evaluate_rule(
        &self,
        rule: &AlertDef,
        reads: &Reads<'_>,
        now: i64,
        signals: &Signals,
        open: &mut HashMap<(String, String), Open>,
    ) -> Result<(), sqlx::Error> {
        let service = reads.service();
        let window = ms(rule.window());
        let Some(reading) = self.read(rule, reads, now - window, now, signals) else { return Ok(()) };
        let condition = rule.condition();
        let (bad, threshold) = match condition {
            Condition::Above(t) => (reading.value > t, Some(t)),
            Condition::Below(t) => (reading.value < t, Some(t)),
            Condition::Anomaly { baseline, factor, floor } => {
                let base = self.read(rule, reads, now - ms(baseline), now - window, signals);
                let t = base.map_or(floor, |b| (b.value * factor).max(floor));
                (reading.value > t, Some(t))
            }
        };
        let key = (rule.name.get_ref().clone(), service.to_string());
        let worst = reading.worst_instance.as_deref();
        match (open.get(&key).cloned(), bad) {
            (None, true) => {
                let labels = labels_of(rule, service);
                let new = NewAlert {
                    rule: rule.name.get_ref(),
                    service,
                    state: AlertState::Pending,
                    severity: rule.severity.as_str(),
                    signal: rule.signal.get_ref().as_str(),
                    comparison: comparison(condition),
                    value: reading.value,
                    threshold,
                    worst_instance: worst,
                    onset_ms: now,
                    labels: &labels,
                };
                let id = store::insert(&self.store, &new).await?;
                tracing::info!(alert = id, rule = %key.0, service, value = reading.value, "alert pending");
                let mut episode = Open {
                    id,
                    state: AlertState::Pending,
                    onset_ms: now,
                    written_ms: now,
                    worst: worst.map(str::to_string),
                    context_ms: 0,
                };
                if rule.hold().is_zero() {
                    self.fire(rule, service, &episode, &reading, now, signals).await?;
                    episode.state = AlertState::Firing;
                    episode.context_ms = now;
                }
                open.insert(key, episode);
            }
            (Some(mut episode), true) => {
                // The value and context of an open episode are rewritten every few seconds
                // (what its page shows), the worst instance when it moves: a write and a
                // context per rule per scrape were most of an evaluation's cost.
                let firing = episode.state == AlertState::Firing;
                // The notice carried what the first failures shared; the page firms it up with
                // every failure since the onset.
                let context = (firing && now - episode.context_ms >= REWRITE_MS)
                    .then(|| self.context(rule, service, episode.onset_ms, now, signals));
                if context.is_some()
                    || now - episode.written_ms >= REWRITE_MS
                    || episode.worst.as_deref() != worst
                {
                    let shared = context.as_ref().map(|(rows, traces)| (rows.as_slice(), traces.as_slice()));
                    store::update_value(
                        &self.store,
                        episode.id,
                        (reading.value, threshold, worst),
                        now,
                        shared,
                    )
                    .await?;
                    episode.written_ms = now;
                    episode.worst = worst.map(str::to_string);
                    if context.is_some() {
                        episode.context_ms = now;
                    }
                }
                if episode.state == AlertState::Pending && now - episode.onset_ms >= ms(rule.hold()) {
                    self.fire(rule, service, &episode, &reading, now, signals).await?;
                    episode.state = AlertState::Firing;
                    episode.context_ms = now;
                }
                open.insert(key, episode);
            }
            (Some(episode), false) if episode.state == AlertState::Pending => {
                store::drop_pending(&self.store, episode.id).await?;
                open.remove(&key);
            }
            (Some(episode), false) => {
                let notices = self.notices(rule, service, "resolved").await?;
                store::resolve(&self.store, episode.id, now, &notices).await?;
                tracing::info!(alert = episode.id, rule = %key.0, service, value = reading.value, "alert resolved");
                open.remove(&key);
                self.wake.notify_one();
            }
            (None, false) => {}
        }
        Ok(())
    }

    /// Each receiver of the rule, with its notice `due` or `silenced` and when it goes out: a
    /// firing notice waits the receiver's `group_wait`, or goes with a group of its already
    /// waiting; a resolve notice goes at once.
    async fn notices(&self, rule: &AlertDef, service: &str, kind: &str) -> Result<Vec<Queued>, sqlx::Error> {
        let now = crate::now_ms();
        let silences = store::silences(&self.store, now).await?;
        let labels = labels_of(rule, service);
        let state = if silenced_by(&silences, &labels, now) { "silenced" } else { "due" };
        let config = self.catalog.config();
        let mut out = Vec::new();
        for name in &rule.receivers {
            let wait =
                config.receivers.iter().find(|r| r.name.get_ref() == name).map(|r| (r, r.group_wait()));
            let due_ms = match wait {
                Some((receiver, wait)) if kind == "firing" && !wait.is_zero() => {
                    let key = receiver.group_key(&labels);
                    let joined = store::waiting(&self.store, name, now)
                        .await?
                        .into_iter()
                        .filter(|(_, l)| serde_json::from_str(l).is_ok_and(|l| receiver.group_key(&l) == key))
                        .map(|(due, _)| due)
                        .min();
                    joined.unwrap_or(now.saturating_add(ms(wait)))
                }
                _ => now,
            };
            out.push(Queued { receiver: name.clone(), state, due_ms });
        }
        Ok(out)
    }

    /// What the failures since the onset (and the window before it, at most 15 minutes)
    /// share, and example traces of them.
    fn context(
        &self,
        rule: &AlertDef,
        service: &str,
        onset_ms: i64,
        now: i64,
        signals: &Signals,
    ) -> (Vec<types::alerts::ContextRow>, Vec<String>) {
        let window = ms(rule.window());
        let from = (onset_ms - window).max(now - MAX_CONTEXT_MS).min(now - window);
        let context = if rule.source == SignalSource::Events {
            // The failing events of the stretch against every event of the baseline and it.
            let baseline = (window * 10).max(MIN_BASELINE_MS);
            let all = self.events.between(service, from - baseline, now);
            let failing: Vec<_> = all.iter().filter(|e| e.ts_ms > from && e.error).cloned().collect();
            let ok = super::events::values_of_ok(&all);
            let cause = |l: &(String, String)| l.0 == "instance" || ok.contains(l);
            let mut rows = context::compare(
                &super::events::as_series(service, &failing, cause),
                &super::events::as_series(service, &all, cause),
            );
            rows.extend(super::events::failure_marks(&failing, &ok));
            rows
        } else if *rule.signal.get_ref() == SignalKind::ErrorRatio {
            let baseline = (window * 10).max(MIN_BASELINE_MS);
            let reads = Reads::new(self.metrics.history(), service, from - baseline, now);
            context::of_errors(&Scope { reads: &reads, signals, from, to: now }, baseline)
        } else {
            Vec::new()
        };
        let prefer = context.first().map(|c| (c.attribute.as_str(), c.value.as_str()));
        let traces = self.example_traces(service, onset_ms - window, prefer);
        (context, traces)
    }

    async fn fire(
        &self,
        rule: &AlertDef,
        service: &str,
        episode: &Open,
        reading: &Reading,
        now: i64,
        signals: &Signals,
    ) -> Result<(), sqlx::Error> {
        let (context, traces) = self.context(rule, service, episode.onset_ms, now, signals);
        let notices = self.notices(rule, service, "firing").await?;
        store::fire(&self.store, episode.id, now, &context, &traces, &notices).await?;
        self.wake.notify_one();
        tracing::warn!(
            alert = episode.id,
            rule = %rule.name.get_ref(),
            service,
            value = reading.value,
            context = %context.first().map(types::alerts::ContextRow::sentence).unwrap_or_default(),
            "alert firing"
        );
        if let Some(kind) = rule.capture_kind() {
            let errors = *rule.signal.get_ref() == SignalKind::ErrorRatio;
            let capture = AlertCapture {
                alert: episode.id,
                rule: rule.name.get_ref().clone(),
                service: service.to_string(),
                worst_instance: reading.worst_instance.clone(),
                traces: if errors { traces } else { Vec::new() },
                kind,
            };
            let deps = CaptureDeps {
                captures: self.captures.clone(),
                traces: self.kept_traces.clone(),
                catalog: self.catalog.clone(),
                store: self.store.clone(),
            };
            tokio::spawn(capture.take(deps));
        }
        Ok(())
    }
}
