//! Events services push (`POST /api/v1/events`): one per request, with its outcome and what
//! it was (route, user group, error kind, trace id, attributes). Validated whole before any
//! is kept (a bad batch stores nothing), kept in memory for an hour per service, and read by
//! rules with `source = "events"` — their error ratio and p95 — and by every alert's context.

use super::signal::Reading;
use crate::metrics::history::SeriesKey;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use types::alerts::ContextRow;

/// The most events one batch may hold.
pub const MAX_BATCH: usize = 5000;
/// The largest body `POST /api/v1/events` reads.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Events kept per service, and for how long.
const KEPT_PER_SERVICE: usize = 200_000;
const KEPT_MS: i64 = 3_600_000;
/// How far from the hub's clock an event's time may be.
const CLOCK_SKEW_MS: i64 = 3_600_000;
const MAX_TEXT: usize = 256;
const MAX_ATTRIBUTES: usize = 32;

/// One pushed event, as it comes.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PushedEvent {
    pub service: String,
    #[serde(default)]
    pub instance: Option<String>,
    pub ts_ms: i64,
    pub outcome: String,
    #[serde(default)]
    pub route: Option<String>,
    #[serde(default)]
    pub user_group: Option<String>,
    #[serde(default)]
    pub error_kind: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub duration_ms: Option<f64>,
    #[serde(default)]
    pub attributes: BTreeMap<String, serde_json::Value>,
}

/// An event as kept: its attributes flattened to text.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    pub ts_ms: i64,
    pub error: bool,
    pub duration_ms: Option<f64>,
    pub trace_id: Option<String>,
    /// instance, route, user_group, error_kind and the attributes, sorted by name.
    pub labels: Vec<(String, String)>,
}

/// Why a batch was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    #[error("a batch is a JSON array of 1 to {MAX_BATCH} events")]
    Size,
    #[error("event {index}: {why}")]
    Event { index: usize, why: String },
}

fn text_ok(s: &str) -> bool {
    !s.is_empty() && s.len() <= MAX_TEXT && !s.chars().any(char::is_control)
}

/// Checks a whole batch against the services the hub knows and the one a token may push
/// for, and turns it into kept events by service; nothing is kept from a bad batch.
pub fn validate(
    batch: Vec<PushedEvent>,
    known: &dyn Fn(&str) -> bool,
    only: Option<&str>,
    now: i64,
) -> Result<BTreeMap<String, Vec<Event>>, BatchError> {
    if batch.is_empty() || batch.len() > MAX_BATCH {
        return Err(BatchError::Size);
    }
    let mut out: BTreeMap<String, Vec<Event>> = BTreeMap::new();
    for (index, e) in batch.into_iter().enumerate() {
        let bad = |why: String| BatchError::Event { index, why };
        if !known(&e.service) {
            return Err(bad(format!("unknown service {:?}", e.service)));
        }
        if let Some(s) = only.filter(|s| *s != e.service) {
            return Err(bad(format!("this token pushes for {s} only, not {}", e.service)));
        }
        let error = match e.outcome.as_str() {
            "ok" => false,
            "error" => true,
            other => return Err(bad(format!("outcome must be \"ok\" or \"error\", not {other:?}"))),
        };
        if (e.ts_ms - now).abs() > CLOCK_SKEW_MS {
            return Err(bad(format!("ts_ms {} is more than an hour from the hub's clock", e.ts_ms)));
        }
        if e.duration_ms.is_some_and(|d| !(d.is_finite() && d >= 0.0)) {
            return Err(bad("duration_ms must be a number of 0 or more".into()));
        }
        if e.attributes.len() > MAX_ATTRIBUTES {
            return Err(bad(format!("at most {MAX_ATTRIBUTES} attributes")));
        }
        let mut labels: Vec<(String, String)> = Vec::new();
        let named = [
            ("instance", &e.instance),
            ("route", &e.route),
            ("user_group", &e.user_group),
            ("error_kind", &e.error_kind),
        ];
        for (name, value) in named {
            if let Some(v) = value {
                if !text_ok(v) {
                    return Err(bad(format!("{name} must be 1 to {MAX_TEXT} printable characters")));
                }
                labels.push((name.to_string(), v.clone()));
            }
        }
        for (k, v) in &e.attributes {
            if !text_ok(k) || named.iter().any(|(n, _)| n == k) {
                return Err(bad(format!("attribute name {k:?} is empty, too long or a field's own name")));
            }
            let v = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                _ => return Err(bad(format!("attribute {k:?} must be a string, number or boolean"))),
            };
            if v.len() > MAX_TEXT {
                return Err(bad(format!("attribute {k:?} is over {MAX_TEXT} characters")));
            }
            labels.push((k.clone(), v));
        }
        labels.sort();
        if let Some(t) = &e.trace_id {
            if !(t.len() <= 64 && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')) || t.is_empty() {
                return Err(bad("trace_id must be 1 to 64 letters, digits or '-'".into()));
            }
        }
        out.entry(e.service).or_default().push(Event {
            ts_ms: e.ts_ms,
            error,
            duration_ms: e.duration_ms,
            trace_id: e.trace_id,
            labels,
        });
    }
    Ok(out)
}

/// The events of the last hour, per service.
#[derive(Debug, Default)]
pub struct EventLog {
    by_service: Mutex<HashMap<String, VecDeque<Event>>>,
}

impl EventLog {
    pub fn add(&self, service: &str, events: Vec<Event>, now: i64) {
        let mut all = self.by_service.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = all.entry(service.to_string()).or_default();
        kept.extend(events);
        while kept.len() > KEPT_PER_SERVICE || kept.front().is_some_and(|e| e.ts_ms < now - KEPT_MS) {
            kept.pop_front();
        }
    }

    /// The events of a service with `from < ts_ms <= to`.
    pub fn between(&self, service: &str, from: i64, to: i64) -> Vec<Event> {
        let all = self.by_service.lock().unwrap_or_else(PoisonError::into_inner);
        all.get(service)
            .map(|k| k.iter().filter(|e| e.ts_ms > from && e.ts_ms <= to).cloned().collect())
            .unwrap_or_default()
    }
}

/// The worst instance among failing events, by error ratio.
fn worst_instance(events: &[Event]) -> Option<String> {
    let mut by: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
    for e in events {
        if let Some((_, i)) = e.labels.iter().find(|(n, _)| n == "instance") {
            let c = by.entry(i.as_str()).or_default();
            c.0 += 1.0;
            if e.error {
                c.1 += 1.0;
            }
        }
    }
    by.into_iter().max_by(|a, b| (a.1 .1 / a.1 .0).total_cmp(&(b.1 .1 / b.1 .0))).map(|(i, _)| i.to_string())
}

/// Errors over events in the window.
pub fn error_ratio(events: &[Event]) -> Option<Reading> {
    if events.is_empty() {
        return None;
    }
    #[expect(clippy::cast_precision_loss, reason = "event counts")]
    let value = events.iter().filter(|e| e.error).count() as f64 / events.len() as f64;
    Some(Reading { value, worst_instance: worst_instance(events) })
}

/// The 95th percentile of the events' `duration_ms`, in seconds (the unit of latency_p95).
pub fn latency_p95(events: &[Event]) -> Option<Reading> {
    let mut d: Vec<f64> = events.iter().filter_map(|e| e.duration_ms).collect();
    if d.is_empty() {
        return None;
    }
    d.sort_by(f64::total_cmp);
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        clippy::cast_precision_loss,
        reason = "an index"
    )]
    let at = ((d.len() as f64 * 0.95).ceil() as usize).clamp(1, d.len()) - 1;
    Some(Reading { value: d[at] / 1000.0, worst_instance: worst_instance(events) })
}

/// The attribute values successful events carry. A value only failures carry (an
/// `error_kind`, a `status` of 500) is a consequence of failing, not a cause the baseline
/// can say anything of.
pub fn values_of_ok(events: &[Event]) -> std::collections::HashSet<(String, String)> {
    events.iter().filter(|e| !e.error).flat_map(|e| e.labels.iter().cloned()).collect()
}

/// What only failures carry, with its share of them (at least half), most common first.
pub fn failure_marks(failing: &[Event], ok: &std::collections::HashSet<(String, String)>) -> Vec<ContextRow> {
    let mut counts: BTreeMap<(String, String), f64> = BTreeMap::new();
    for e in failing {
        for l in e.labels.iter().filter(|l| !ok.contains(*l)) {
            *counts.entry(l.clone()).or_default() += 1.0;
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "event counts")]
    let total = failing.len().max(1) as f64;
    let mut rows: Vec<ContextRow> = counts
        .into_iter()
        .filter(|(_, n)| n / total >= 0.5)
        .map(|((attribute, value), n)| ContextRow {
            attribute,
            value,
            failing_share: n / total,
            baseline_share: None,
            lift: None,
        })
        .collect();
    rows.sort_by(|a, b| b.failing_share.total_cmp(&a.failing_share));
    rows
}

/// Events as the context's series: one per distinct set of labels (those `label` keeps),
/// counted.
pub fn as_series(
    service: &str,
    events: &[Event],
    label: impl Fn(&(String, String)) -> bool,
) -> Vec<(SeriesKey, f64)> {
    let mut counts: BTreeMap<Vec<(String, String)>, f64> = BTreeMap::new();
    for e in events {
        let labels = e.labels.iter().filter(|l| label(l)).cloned().collect();
        *counts.entry(labels).or_default() += 1.0;
    }
    counts
        .into_iter()
        .map(|(labels, n)| {
            let instance =
                labels.iter().find(|(k, _)| k == "instance").map(|(_, v)| v.clone()).unwrap_or_default();
            let labels = labels.into_iter().filter(|(k, _)| k != "instance").collect();
            (SeriesKey { service: service.to_string(), instance, name: "event".into(), labels }, n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(outcome: &str) -> PushedEvent {
        PushedEvent {
            service: "orders-api".into(),
            instance: Some("orders-api-1".into()),
            ts_ms: 1_000,
            outcome: outcome.into(),
            route: Some("/orders".into()),
            user_group: Some("pro".into()),
            error_kind: None,
            trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            duration_ms: Some(12.0),
            attributes: [("region".to_string(), serde_json::json!("eu"))].into_iter().collect(),
        }
    }

    #[test]
    fn a_batch_is_kept_whole_or_refused_with_the_event_and_the_reason() {
        let known = |s: &str| s == "orders-api";
        let ok = validate(vec![event("ok"), event("error")], &known, None, 1_000).expect("valid");
        let kept = &ok["orders-api"];
        assert_eq!(kept.len(), 2);
        assert!(kept[1].error && kept[1].labels.contains(&("region".into(), "eu".into())));
        let mut unknown = event("ok");
        unknown.service = "billing".into();
        let e = validate(vec![event("ok"), unknown], &known, None, 1_000).expect_err("refused");
        assert_eq!(e.to_string(), "event 1: unknown service \"billing\"");
        let e = validate(vec![event("maybe")], &known, None, 1_000).expect_err("refused");
        assert!(e.to_string().contains("outcome must be"), "{e}");
        let e = validate(vec![event("ok")], &known, Some("other"), 1_000).expect_err("refused");
        assert!(e.to_string().contains("this token pushes for other only"), "{e}");
        assert_eq!(validate(Vec::new(), &known, None, 1_000), Err(BatchError::Size));
        let e = validate(vec![event("ok")], &known, None, 1_000 + 2 * CLOCK_SKEW_MS).expect_err("refused");
        assert!(e.to_string().contains("more than an hour"), "{e}");
    }

    #[test]
    fn ratio_and_p95_from_events() {
        let known = |_: &str| true;
        let mut batch: Vec<PushedEvent> = (0..20).map(|_| event("ok")).collect();
        batch.extend((0..5).map(|_| event("error")));
        let events =
            validate(batch, &known, None, 1_000).expect("valid").remove("orders-api").unwrap_or_default();
        assert_eq!(error_ratio(&events).map(|r| r.value), Some(0.2));
        assert_eq!(latency_p95(&events).map(|r| r.value), Some(0.012));
        let failing: Vec<Event> = events.iter().filter(|e| e.error).cloned().collect();
        let series = as_series("orders-api", &failing, |_| true);
        assert_eq!(series.len(), 1);
        assert_eq!(series[0].1, 5.0);
        assert_eq!(series[0].0.instance, "orders-api-1");
    }
}
