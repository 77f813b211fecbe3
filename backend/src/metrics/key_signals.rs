//! A service's (or an instance's) key signals now — request rate, error ratio, p95 latency,
//! pool utilisation — with a sparkline of the last minutes, from the same panels the service
//! page draws, so the list and the page never disagree.

use super::panels::{compute, Line, PanelKind, PanelQuery};
use super::Metrics;
use crate::{now_ms, Principal};
use types::{KeySignal, KeySignals};

/// How far back a sparkline reaches, and in how many steps.
const WINDOW_MS: i64 = 15 * 60_000;
const STEPS: usize = 30;
/// Where a signal turns bad.
const BAD_ERROR_RATIO: f64 = 5.0;
const BAD_POOL: f64 = 90.0;

const KEY: [PanelKind; 4] =
    [PanelKind::RequestRate, PanelKind::ErrorRatio, PanelKind::LatencyP95, PanelKind::PoolUtilisation];

/// How the lines of several instances make one value: requests add up, the rest take the
/// worst instance.
fn combine(kind: PanelKind, values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    Some(match kind {
        PanelKind::RequestRate => values.iter().sum(),
        _ => values.iter().copied().fold(f64::MIN, f64::max),
    })
}

/// The lines bucketed into `STEPS` steps from `from` to `to` (each instance's mean in a step,
/// combined across instances).
fn spark(kind: PanelKind, lines: &[Line], from: i64, to: i64) -> Vec<Option<f64>> {
    let step = ((to - from) / i64::try_from(STEPS).unwrap_or(1)).max(1);
    (0..STEPS)
        .map(|i| {
            let (a, b) = (
                from + step * i64::try_from(i).unwrap_or(0),
                from + step * i64::try_from(i + 1).unwrap_or(0),
            );
            let per_instance: Vec<f64> = lines
                .iter()
                .filter_map(|l| {
                    let in_step: Vec<f64> = l
                        .points
                        .iter()
                        .filter(|(t, v)| *t >= a && *t < b && v.is_finite())
                        .map(|p| p.1)
                        .collect();
                    #[expect(clippy::cast_precision_loss, reason = "a handful of points")]
                    let mean =
                        (!in_step.is_empty()).then(|| in_step.iter().sum::<f64>() / in_step.len() as f64);
                    mean
                })
                .collect();
            combine(kind, &per_instance)
        })
        .collect()
}

fn is_bad(kind: PanelKind, value: Option<f64>) -> bool {
    match (kind, value) {
        (PanelKind::ErrorRatio, Some(v)) => v >= BAD_ERROR_RATIO,
        (PanelKind::PoolUtilisation, Some(v)) => v >= BAD_POOL,
        _ => false,
    }
}

impl Metrics {
    /// The key signals of every service, or of the instances of one.
    fn key_signals_of(&self, service: &str, instance: Option<&str>, profiles: &[String]) -> KeySignals {
        let (to, catalog) = (now_ms(), self.catalog.metric_catalog());
        let from = to - WINDOW_MS;
        let signals = KEY
            .into_iter()
            .filter(|k| k.shown_for(catalog.signals(), profiles))
            .map(|kind| {
                let panel =
                    compute(&self.history, catalog.signals(), &PanelQuery { service, kind, from, to });
                let lines: Vec<Line> =
                    panel.lines.into_iter().filter(|l| instance.is_none_or(|i| l.label == i)).collect();
                let spark = spark(kind, &lines, from, to);
                let latest: Vec<f64> = lines
                    .iter()
                    .filter_map(|l| l.points.iter().rev().map(|p| p.1).find(|v| v.is_finite()))
                    .collect();
                let value = combine(kind, &latest);
                KeySignal {
                    id: kind.id().to_string(),
                    label: kind.title().to_string(),
                    unit: kind.unit(),
                    value,
                    spark,
                    bad: is_bad(kind, value),
                }
            })
            .collect();
        KeySignals { service: service.to_string(), instance: instance.map(str::to_string), signals }
    }

    /// Every service's key signals now; any logged-in user may look.
    pub fn key_signals(&self, _actor: &Principal) -> Vec<KeySignals> {
        let config = self.catalog.config();
        config
            .services
            .iter()
            .map(|s| self.key_signals_of(s.name.get_ref(), None, &s.metric_profiles))
            .collect()
    }

    /// The key signals of one instance of a service.
    pub fn instance_signals(&self, _actor: &Principal, service: &str, instance: &str) -> Option<KeySignals> {
        let config = self.catalog.config();
        let s = config.service(service)?;
        Some(self.key_signals_of(service, Some(instance), &s.metric_profiles))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instances_combine_and_bad_is_past_the_line() {
        let lines = [
            Line { label: "a".into(), points: vec![(0, 10.0), (60_000, 20.0)] },
            Line { label: "b".into(), points: vec![(0, 5.0)] },
        ];
        let s = spark(PanelKind::RequestRate, &lines, 0, 90_000);
        assert_eq!(s[0], Some(15.0), "requests add up");
        assert_eq!(spark(PanelKind::LatencyP95, &lines, 0, 90_000)[0], Some(10.0), "the worst instance");
        assert!(s.iter().skip(1).take(10).all(Option::is_none));
        assert!(is_bad(PanelKind::ErrorRatio, Some(35.0)) && is_bad(PanelKind::PoolUtilisation, Some(100.0)));
        assert!(!is_bad(PanelKind::ErrorRatio, Some(1.0)) && !is_bad(PanelKind::RequestRate, Some(1e6)));
    }
}
