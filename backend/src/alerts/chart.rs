//! The panel of an alert's signal: its value around the episode, read exactly as the
//! evaluator reads it (same window, same source), with the threshold as a line and the
//! episode (onset → resolved, or now) shaded.

use super::signal::Reads;
use super::{not_found, store, Alerts};
use crate::config::alerts::SignalKind;
use crate::metrics::chart::{chart, ChartInput};
use crate::metrics::panels::Line;
use crate::{now_ms, BackendError, Principal};
use types::charts::{ChartView, RefLine};
use types::units::Unit;

/// How far before the onset and after the end the panel reaches.
const BEFORE_MS: i64 = 10 * 60_000;
const AFTER_MS: i64 = 2 * 60_000;
/// At most this long a span: a long episode shows its last two hours.
const MOST_MS: i64 = 2 * 3_600_000;
/// Readings across the span (each one a window's read of the history).
const STEPS: i64 = 150;

/// A signal's values as the chart draws them: ratios in percent, read-model lag (ms) in seconds.
fn unit_of(signal: SignalKind) -> (Unit, f64) {
    match signal {
        SignalKind::ErrorRatio | SignalKind::PoolUtilisation => (Unit::Percent, 100.0),
        SignalKind::LatencyP95 | SignalKind::ConsumerLagSeconds => (Unit::Seconds, 1.0),
        SignalKind::ReadModelLag => (Unit::Seconds, 0.001),
        SignalKind::Metric => (Unit::Count, 1.0),
    }
}

/// The span drawn for an episode: from before its onset to a little after its end, at most
/// [`MOST_MS`], never past now.
pub(super) fn span(onset_ms: i64, resolved_ms: Option<i64>, now: i64) -> (i64, i64) {
    let to = resolved_ms.map_or(now, |r| (r + AFTER_MS).min(now));
    let from = (onset_ms - BEFORE_MS).max(to - MOST_MS);
    (from, to.max(from + 1))
}

impl Alerts {
    /// The alert's signal around its episode. The rule must still be in the config (the
    /// panel reads the signal as the rule says); the history reaches back as far as the hub
    /// keeps it, and events an hour.
    pub async fn signal_chart(&self, _actor: &Principal, id: i64) -> Result<ChartView, BackendError> {
        let alert = store::get(&self.store, id).await?.ok_or_else(|| not_found(id))?;
        let config = self.catalog.config();
        let rule = config.alerts.iter().find(|r| r.name.get_ref() == &alert.rule).ok_or_else(|| {
            BackendError::NotFound(format!(
                "the rule {} is no longer in the config, so its signal cannot be read again",
                alert.rule
            ))
        })?;
        let catalog = self.catalog.metric_catalog();
        let signal = *rule.signal.get_ref();
        let (unit, scale) = unit_of(signal);
        let window = super::eval::ms(rule.window());
        let (from, to) = span(alert.onset_ms, alert.resolved_ms, now_ms());
        let step = ((to - from) / STEPS).max(1_000);
        // The lag service keeps its own history, charted on the Lag page.
        let lag = signal == SignalKind::ReadModelLag;
        let reads = Reads::new(self.metrics.history(), &alert.service, from - window, to);
        let points: Vec<(i64, f64)> = (0..=(to - from) / step)
            .filter(|_| !lag)
            .map(|i| from + i * step)
            .filter_map(|t| {
                self.read(rule, &reads, t - window, t, catalog.signals()).map(|r| (t, r.value * scale))
            })
            .collect();
        let lines = [Line { label: signal.as_str().to_string(), points }];
        let refs: Vec<RefLine> = alert
            .threshold
            .map(|t| RefLine { label: format!("threshold ({})", alert.comparison), value: t * scale })
            .into_iter()
            .collect();
        let episode = [(alert.onset_ms, alert.resolved_ms.unwrap_or(to))];
        let input = ChartInput {
            markers: &[],
            exemplars: &[],
            lines: &lines,
            shaded: &episode,
            refs: &refs,
            bands: &[],
            unit,
            from,
            to,
            fit: true,
            log: false,
        };
        let mut view = chart(&input).map_err(|e| BackendError::Internal(e.to_string()))?;
        if lag {
            view.note = Some(format!(
                "The read model's lag is charted on the Lag page (/lag/{}).",
                alert.worst_instance.as_deref().unwrap_or("")
            ));
        }
        Ok(view)
    }
}

#[cfg(test)]
mod tests {
    use super::span;

    #[test]
    fn the_span_frames_the_episode_and_stops_at_now() {
        let min = 60_000;
        assert_eq!(span(100 * min, None, 103 * min), (90 * min, 103 * min));
        assert_eq!(span(100 * min, Some(105 * min), 200 * min), (90 * min, 107 * min));
        // A resolve a moment ago: not past now.
        assert_eq!(span(100 * min, Some(105 * min), 106 * min), (90 * min, 106 * min));
        // A long episode: its last two hours.
        assert_eq!(span(0, None, 300 * min), (180 * min, 300 * min));
    }
}
