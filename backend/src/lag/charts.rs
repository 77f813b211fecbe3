//! A read model's charts: its lag as percentile lines per step with the p50–p99 band, the
//! service's own lag metric and the SLO line, breaches and unknown periods shaded; and, on the
//! same time axis, how far behind its stream position is.

use super::histogram::LagHistogram;
use super::live::{Figures, Live};
use super::{store, Lag, ReadModel};
use crate::metrics::chart::{chart, ChartInput};
use crate::metrics::panels::Line;
use crate::{now_ms, BackendError, Principal};
use types::charts::RefLine;
use types::lag::LagCharts;
use types::units::Unit;

/// Steps a chart's percentiles are taken over, the first that gives at most ~100 of them.
const STEPS_MS: [i64; 18] = [
    1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
    3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

fn step_for(extent_ms: i64) -> i64 {
    STEPS_MS.iter().copied().find(|s| extent_ms / s <= 100).unwrap_or(86_400_000)
}

fn step_label(step_ms: i64) -> String {
    match step_ms {
        s if s < 60_000 => format!("{} s", s / 1000),
        s if s < 3_600_000 => format!("{} min", s / 60_000),
        s => format!("{} h", s / 3_600_000),
    }
}

/// p50, p95 and p99 lines over steps, each point at the middle of its step (seconds).
struct Percentiles {
    p50: Vec<(i64, f64)>,
    p95: Vec<(i64, f64)>,
    p99: Vec<(i64, f64)>,
}

impl Percentiles {
    fn push(&mut self, at: i64, f: &Figures, scale: f64) {
        if let (Some(p50), Some(p95), Some(p99)) = (f.p50, f.p95, f.p99) {
            self.p50.push((at, p50 * scale));
            self.p95.push((at, p95 * scale));
            self.p99.push((at, p99 * scale));
        }
    }

    /// From the probes of the last day (ms).
    fn of_probes(live: &Live, from: i64, to: i64, step: i64) -> Percentiles {
        let mut out = Percentiles { p50: Vec::new(), p95: Vec::new(), p99: Vec::new() };
        let probes: Vec<(i64, f64)> = live.between(from, to).copied().collect();
        for chunk in probes.chunk_by(|a, b| a.0.div_euclid(step) == b.0.div_euclid(step)) {
            let at = chunk[0].0.div_euclid(step) * step + step / 2;
            out.push(at, &Figures::of(chunk.iter().map(|p| p.1), f64::MAX), 0.001);
        }
        out
    }

    /// From the minutes kept for the SLO window.
    fn of_minutes(minutes: &[store::Minute], step: i64) -> Percentiles {
        let mut out = Percentiles { p50: Vec::new(), p95: Vec::new(), p99: Vec::new() };
        for chunk in minutes.chunk_by(|a, b| a.minute_ms.div_euclid(step) == b.minute_ms.div_euclid(step)) {
            let mut h = LagHistogram::default();
            chunk.iter().for_each(|m| h.merge(&m.histogram));
            let at = chunk[0].minute_ms.div_euclid(step) * step + step / 2;
            out.push(at, &Figures::of_histogram(&h, h.count(), 0), 0.001);
        }
        out
    }

    fn lines(self, step: i64) -> Vec<Line> {
        let per = step_label(step);
        vec![
            Line { label: format!("p50 (per {per})"), points: self.p50 },
            Line { label: format!("p95 (per {per})"), points: self.p95 },
            Line { label: format!("p99 (per {per})"), points: self.p99 },
        ]
    }
}

/// The heartbeat still on its way once it is past the SLO: its age, growing from the SLO
/// line to now (a stalled read model's lag is at least that; no probe has arrived to say so).
fn on_its_way(live: &Live, slo_ms: f64, now: i64) -> Option<Line> {
    let written = live.outstanding.filter(|_| live.unknown.is_none())?;
    #[expect(clippy::cast_precision_loss, reason = "ms of a lag")]
    let age_ms = (now - written) as f64;
    #[expect(clippy::cast_possible_truncation, reason = "ms of a lag")]
    let crossed = written + slo_ms as i64;
    (age_ms > slo_ms).then(|| Line {
        label: "heartbeat on its way (at least)".into(),
        points: vec![(crossed, slo_ms / 1000.0), (now, age_ms / 1000.0)],
    })
}

/// Breaches and unknown periods of the last day.
fn shaded(live: &Live, now: i64) -> Vec<(i64, i64)> {
    let mut shaded: Vec<(i64, i64)> = live
        .recent_breaches
        .iter()
        .chain(live.breach.iter())
        .map(|b| (b.start_ms, b.end_ms.unwrap_or(now)))
        .collect();
    shaded.extend(live.unknown_spans.iter().copied());
    if let Some((since, _)) = &live.unknown {
        shaded.push((*since, now));
    }
    shaded
}

impl Lag {
    /// The charts of one read model over the last `span` ms: the last day from its probes,
    /// longer spans from its minutes.
    pub async fn charts(
        &self,
        _actor: &Principal,
        name: &str,
        span: i64,
        log: bool,
    ) -> Result<LagCharts, BackendError> {
        let m = self.model(name)?;
        let now = now_ms();
        let from = now - span;
        let long = span > super::live::KEEP_MS;
        let minutes = if long { store::minutes_since(&self.store, name, from).await? } else { Vec::new() };
        let breaches = if long { store::breaches_since(&self.store, name, from).await? } else { Vec::new() };
        let metric = self.own_metric(&m, from, now);
        let live = m.lock();
        // A fresh hub's data starts late: the axis starts with it, for both charts.
        let first = if long {
            minutes.first().map(|m| m.minute_ms)
        } else {
            live.between(from, now).next().map(|p| p.0)
        };
        let first = first.unwrap_or(from).max(from);
        let step = step_for(now - first);
        let (mut lines, mut shade) = if long {
            let spans = breaches.iter().map(|b| (b.start_ms, b.end_ms.unwrap_or(now))).collect();
            (Percentiles::of_minutes(&minutes, step).lines(step), spans)
        } else {
            (Percentiles::of_probes(&live, from, now, step).lines(step), shaded(&live, now))
        };
        shade.retain(|s| s.1 >= first);
        let band = (lines[0].label.clone(), lines[2].label.clone());
        lines.extend(on_its_way(&live, m.def.slo_ms, now));
        lines.extend(metric);
        let slo = RefLine { label: format!("SLO {} ms", m.def.slo_ms), value: m.def.slo_ms / 1000.0 };
        let input = ChartInput {
            markers: &[],
            exemplars: &[],
            lines: &lines,
            shaded: &shade,
            refs: &[slo],
            bands: &[(&band.0, &band.1)],
            unit: Unit::Seconds,
            from: first,
            to: now,
            fit: false,
            log,
        };
        let lag = chart(&input).map_err(|e| BackendError::Internal(e.to_string()))?;
        let positions = m.def.positions.as_ref().map(|_| {
            let points = live.behind.iter().copied().filter(|b| b.0 >= first).collect();
            let behind = [Line { label: "messages behind".into(), points }];
            let input =
                ChartInput { lines: &behind, refs: &[], bands: &[], unit: Unit::Count, log: false, ..input };
            chart(&input).map_err(|e| BackendError::Internal(e.to_string()))
        });
        Ok(LagCharts { lag, positions: positions.transpose()?, step_ms: step })
    }

    /// The lag the service reports itself (its scraped family), in seconds.
    fn own_metric(&self, m: &ReadModel, from: i64, to: i64) -> Option<Line> {
        let family = m.def.metric.as_ref()?;
        let points = self
            .metrics
            .history()
            .query(&m.def.service, None, family, from, to)
            .into_iter()
            .max_by_key(|(_, p)| p.len())
            .map(|(_, p)| p)
            .unwrap_or_default();
        Some(Line { label: format!("{family} (the service's own)"), points })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round_and_about_a_hundred_to_a_chart() {
        assert_eq!(step_for(300_000), 5_000);
        assert_eq!(step_for(3_600_000), 60_000);
        assert_eq!(step_for(28 * 86_400_000), 43_200_000);
        assert_eq!(step_label(5_000), "5 s");
        assert_eq!(step_label(21_600_000), "6 h");
    }
}
