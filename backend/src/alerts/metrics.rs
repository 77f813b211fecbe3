//! The hub's own delivery figures per receiver, for its /metrics: the time from an alert's
//! first bad sample and from its firing to its firing notice delivered (histograms), and every
//! attempt by outcome (sent, retry, failed).

use crate::prom::{escape, Histogram};
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

/// Seconds: a delivery within a scrape interval is the aim, a day the give-up.
const BOUNDS: &[f64] = &[0.05, 0.1, 0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0];

#[derive(Default)]
struct Receiver {
    /// By `from`: `onset` or `firing`.
    delays: BTreeMap<&'static str, Histogram>,
    attempts: BTreeMap<&'static str, u64>,
}

#[derive(Default)]
pub struct DeliveryMetrics {
    receivers: Mutex<BTreeMap<String, Receiver>>,
}

impl DeliveryMetrics {
    /// One attempt at a notice to `receiver`: `sent`, `retry` (failed, tried again later) or
    /// `failed` (given up).
    pub fn attempt(&self, receiver: &str, outcome: &'static str) {
        let mut all = self.receivers.lock().unwrap_or_else(PoisonError::into_inner);
        *all.entry(receiver.to_string()).or_default().attempts.entry(outcome).or_default() += 1;
    }

    /// A firing notice delivered at `at_ms`.
    pub fn delivered(&self, receiver: &str, onset_ms: i64, fired_ms: Option<i64>, at_ms: i64) {
        let mut all = self.receivers.lock().unwrap_or_else(PoisonError::into_inner);
        let r = all.entry(receiver.to_string()).or_default();
        let seconds = |from: i64| (at_ms - from).max(0) as f64 / 1000.0;
        r.delays.entry("onset").or_insert_with(|| Histogram::new(BOUNDS)).observe(seconds(onset_ms));
        if let Some(fired) = fired_ms {
            r.delays.entry("firing").or_insert_with(|| Histogram::new(BOUNDS)).observe(seconds(fired));
        }
    }

    /// Both families in the Prometheus text format.
    pub fn render(&self) -> String {
        let all = self.receivers.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::new();
        out.push_str("# HELP switchboard_alert_delivery_seconds From an alert's first bad sample (from=\"onset\") or its firing (from=\"firing\") to its firing notice delivered.\n");
        out.push_str("# TYPE switchboard_alert_delivery_seconds histogram\n");
        for (name, r) in all.iter() {
            for (from, h) in &r.delays {
                h.write(
                    &mut out,
                    "switchboard_alert_delivery_seconds",
                    &format!("receiver=\"{}\",from=\"{from}\"", escape(name)),
                );
            }
        }
        out.push_str("# HELP switchboard_alert_delivery_attempts_total Attempts to deliver alert notices, by outcome: sent, retry (failed, tried again later), failed (given up).\n");
        out.push_str("# TYPE switchboard_alert_delivery_attempts_total counter\n");
        for (name, r) in all.iter() {
            for (outcome, n) in &r.attempts {
                let _ = writeln!(
                    out,
                    "switchboard_alert_delivery_attempts_total{{receiver=\"{}\",outcome=\"{outcome}\"}} {n}",
                    escape(name)
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::DeliveryMetrics;

    #[test]
    fn delays_and_attempts_render_per_receiver() {
        let m = DeliveryMetrics::default();
        m.attempt("oncall", "retry");
        m.attempt("oncall", "sent");
        m.delivered("oncall", 1_000, Some(1_200), 2_000);
        let text = m.render();
        assert!(
            text.contains(
                "switchboard_alert_delivery_seconds_bucket{receiver=\"oncall\",from=\"onset\",le=\"1\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "switchboard_alert_delivery_seconds_bucket{receiver=\"oncall\",from=\"firing\",le=\"0.5\"} 0"
            ),
            "{text}"
        );
        assert!(
            text.contains("switchboard_alert_delivery_seconds_sum{receiver=\"oncall\",from=\"firing\"} 0.8"),
            "{text}"
        );
        assert!(
            text.contains(
                "switchboard_alert_delivery_attempts_total{receiver=\"oncall\",outcome=\"retry\"} 1"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "switchboard_alert_delivery_attempts_total{receiver=\"oncall\",outcome=\"sent\"} 1"
            ),
            "{text}"
        );
    }
}
