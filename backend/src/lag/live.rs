//! What the hub knows of one read model's lag right now: the probes of the last day, the
//! heartbeat on its way, breaches and unknown periods — and the figures over a window.

use super::histogram::LagHistogram;
use crate::config::read_models::BreachAfter;
use std::collections::VecDeque;
use std::time::Duration;
use types::lag::{LagBreach, LagPositions, LagState};

/// Probes kept at full resolution.
pub const KEEP_MS: i64 = 24 * 3_600_000;

/// One probe: when it arrived and how long the heartbeat took (ms).
pub type Probe = (i64, f64);

#[derive(Debug)]
pub struct Live {
    pub slo_ms: f64,
    pub breach_after: BreachAfter,
    pub probes: VecDeque<Probe>,
    /// The heartbeat on its way: written at (wall ms).
    pub outstanding: Option<i64>,
    over_in_a_row: u32,
    /// When the first probe of the current run over the SLO arrived, and its worst lag.
    run_started: Option<i64>,
    run_worst: f64,
    pub breach: Option<LagBreach>,
    /// Breaches that ended and are not saved yet, and every breach of the last day.
    pub ended: Vec<LagBreach>,
    pub recent_breaches: VecDeque<LagBreach>,
    /// Why the state is unknown, since when.
    pub unknown: Option<(i64, String)>,
    /// Unknown periods of the last day (start, end).
    pub unknown_spans: VecDeque<(i64, i64)>,
    pub positions: Option<LagPositions>,
    /// How far behind the read side's position was, once a second over the last day.
    pub behind: VecDeque<(i64, f64)>,
    /// Why the positions could not be read.
    pub positions_error: Option<String>,
    pub metric_ms: Option<f64>,
    /// Closed minutes of the SLO window: (minute, probes, good).
    pub minutes: VecDeque<(i64, u64, u64)>,
    /// Closed minutes of the last day as histograms: what figures over hours are read from.
    pub minute_hists: VecDeque<(i64, LagHistogram)>,
    /// The last minute kept as a histogram.
    pub minute_saved: Option<i64>,
    /// Probes not yet saved.
    pub unsaved: Vec<Probe>,
    pub breach_changed: bool,
}

impl Live {
    pub fn new(slo_ms: f64, breach_after: BreachAfter) -> Live {
        Live {
            slo_ms,
            breach_after,
            probes: VecDeque::new(),
            outstanding: None,
            over_in_a_row: 0,
            run_started: None,
            run_worst: 0.0,
            breach: None,
            ended: Vec::new(),
            recent_breaches: VecDeque::new(),
            unknown: Some((crate::now_ms(), "no heartbeat has come through yet".into())),
            unknown_spans: VecDeque::new(),
            positions: None,
            behind: VecDeque::new(),
            positions_error: None,
            metric_ms: None,
            minutes: VecDeque::new(),
            minute_hists: VecDeque::new(),
            minute_saved: None,
            unsaved: Vec::new(),
            breach_changed: false,
        }
    }

    pub fn state(&self) -> LagState {
        if self.unknown.is_some() {
            LagState::Unknown
        } else if self.breach.is_some() {
            LagState::Breach
        } else {
            LagState::Ok
        }
    }

    /// A side could not be reached (or the heartbeat cannot be written or read).
    pub fn set_unknown(&mut self, now: i64, reason: String) {
        match &mut self.unknown {
            Some((_, r)) => *r = reason,
            None => self.unknown = Some((now, reason)),
        }
    }

    fn known(&mut self, now: i64) {
        if let Some((since, _)) = self.unknown.take() {
            self.unknown_spans.push_back((since, now));
        }
    }

    /// A heartbeat was written at `now` and is on its way.
    pub fn written(&mut self, now: i64) {
        self.outstanding = Some(now);
    }

    fn open_breach(&mut self, start: i64, worst: f64) {
        match &mut self.breach {
            Some(b) => b.worst_ms = b.worst_ms.max(worst),
            None => {
                self.breach = Some(LagBreach { start_ms: start, end_ms: None, worst_ms: worst });
            }
        }
        self.breach_changed = true;
    }

    fn close_breach(&mut self, now: i64) {
        if let Some(mut b) = self.breach.take() {
            b.end_ms = Some(now);
            self.ended.push(b.clone());
            self.recent_breaches.push_back(b);
            self.breach_changed = true;
        }
    }

    /// The heartbeat on its way is `age` old at `now`: a breach once it has been over the SLO
    /// for `breach_after`.
    pub fn waiting(&mut self, now: i64, age: Duration) {
        let age_ms = age.as_secs_f64() * 1000.0;
        if age_ms > self.slo_ms
            && age.saturating_sub(Duration::from_secs_f64(self.slo_ms / 1000.0))
                >= self.breach_after.outstanding
        {
            #[expect(clippy::cast_possible_truncation, reason = "ms of a lag")]
            let start = now - (age_ms - self.slo_ms) as i64;
            self.open_breach(start, age_ms);
        } else if let Some(b) = &mut self.breach {
            b.worst_ms = b.worst_ms.max(age_ms);
        }
    }

    /// The heartbeat arrived at `now`, `lag_ms` after it was written.
    pub fn arrived(&mut self, now: i64, lag_ms: f64) {
        self.known(now);
        self.outstanding = None;
        self.probes.push_back((now, lag_ms));
        self.unsaved.push((now, lag_ms));
        if lag_ms > self.slo_ms {
            self.over_in_a_row += 1;
            let started = *self.run_started.get_or_insert(now);
            self.run_worst = self.run_worst.max(lag_ms);
            if self.breach.is_some() || self.over_in_a_row >= self.breach_after.probes {
                self.open_breach(started, self.run_worst);
            }
        } else {
            self.over_in_a_row = 0;
            self.run_started = None;
            self.run_worst = 0.0;
            self.close_breach(now);
        }
        self.prune(now);
    }

    fn prune(&mut self, now: i64) {
        let horizon = now - KEEP_MS;
        while self.probes.front().is_some_and(|p| p.0 < horizon) {
            self.probes.pop_front();
        }
        while self.unknown_spans.front().is_some_and(|s| s.1 < horizon) {
            self.unknown_spans.pop_front();
        }
        while self.recent_breaches.front().is_some_and(|b| b.end_ms.is_some_and(|e| e < horizon)) {
            self.recent_breaches.pop_front();
        }
    }

    /// The lag now: the last probe's, or the age of the heartbeat on its way once that is past
    /// both the last probe's and the SLO (a lag of at least that much; below the SLO a
    /// heartbeat in flight says nothing new), None when unknown.
    pub fn current(&self, now: i64) -> Option<(f64, bool)> {
        if self.unknown.is_some() {
            return None;
        }
        #[expect(clippy::cast_precision_loss, reason = "ms of a lag")]
        let waiting = self.outstanding.map(|w| (now - w).max(0) as f64);
        let last = self.probes.back().map(|p| p.1);
        match (waiting, last) {
            (Some(w), Some(l)) if w > l && w > self.slo_ms => Some((w, true)),
            (_, Some(l)) => Some((l, false)),
            (Some(w), None) => Some((w, true)),
            (None, None) => None,
        }
    }

    /// The probes that arrived in `[from, to]` (they are in time order).
    pub fn between(&self, from: i64, to: i64) -> impl Iterator<Item = &Probe> {
        let start = self.probes.partition_point(|p| p.0 < from);
        let end = self.probes.partition_point(|p| p.0 <= to).max(start);
        self.probes.range(start..end)
    }

    /// Figures over `[from, to]`: exact up to an hour; over longer spans from the closed
    /// minutes' histograms (within a bucket, ~9 %) and the exact probes since, so that a
    /// day's figures cost a merge, not a sort of a day of probes.
    pub fn figures(&self, from: i64, to: i64) -> Figures {
        let since = self.minute_saved.map(|m| m + 60_000);
        match since {
            Some(since) if to - from > 3_600_000 && since > from => {
                let mut h = LagHistogram::default();
                let (mut probes, mut good) = (0u64, 0u64);
                for (_, minute) in self.minute_hists.iter().filter(|(m, _)| *m >= from) {
                    h.merge(minute);
                }
                for (m, p, g) in self.minutes.iter().filter(|(m, ..)| *m >= from && *m < since) {
                    let _ = m;
                    probes += p;
                    good += g;
                }
                for (_, lag) in self.between(since, to) {
                    h.add(lag * 1000.0);
                    probes += 1;
                    good += u64::from(*lag <= self.slo_ms);
                }
                Figures::of_histogram(&h, probes, good)
            }
            _ => Figures::of(self.between(from, to).map(|p| p.1), self.slo_ms),
        }
    }

    /// Whether the read model was in breach or unknown at any time in `[from, to]`.
    pub fn troubled_between(&self, from: i64, to: i64) -> bool {
        let overlaps = |(a, b): (i64, i64)| a < to && b > from;
        let breaches = self.recent_breaches.iter().chain(self.breach.iter());
        breaches.map(|b| (b.start_ms, b.end_ms.unwrap_or(i64::MAX))).any(overlaps)
            || self.unknown_spans.iter().copied().any(overlaps)
            || self.unknown.as_ref().is_some_and(|(since, _)| overlaps((*since, i64::MAX)))
    }

    /// Unknown time in `[from, to]`, in ms.
    pub fn unknown_ms(&self, from: i64, to: i64) -> i64 {
        let open = self.unknown.as_ref().map(|(s, _)| (*s, to));
        self.unknown_spans.iter().copied().chain(open).map(|(a, b)| (b.min(to) - a.max(from)).max(0)).sum()
    }
}

/// Figures over a set of probes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Figures {
    pub probes: u64,
    pub good: u64,
    pub p50: Option<f64>,
    pub p95: Option<f64>,
    pub p99: Option<f64>,
}

impl Figures {
    /// Exact percentiles of these lags (ms), and how many were within `slo_ms`.
    pub fn of(lags: impl Iterator<Item = f64>, slo_ms: f64) -> Figures {
        let mut sorted: Vec<f64> = lags.filter(|v| v.is_finite()).collect();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let at = |q: f64| {
            #[expect(
                clippy::cast_precision_loss,
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "a rank"
            )]
            let i = ((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
            sorted.get(i).copied()
        };
        Figures {
            probes: n as u64,
            good: sorted.iter().filter(|v| **v <= slo_ms).count() as u64,
            p50: at(0.5),
            p95: at(0.95),
            p99: at(0.99),
        }
    }

    /// From minute histograms (for windows past the last day).
    pub fn of_histogram(h: &LagHistogram, probes: u64, good: u64) -> Figures {
        let ms = |q| h.quantile(q).map(|us| us / 1000.0);
        Figures { probes, good, p50: ms(0.5), p95: ms(0.95), p99: ms(0.99) }
    }

    #[expect(clippy::cast_precision_loss, reason = "shares of counts")]
    pub fn compliance(&self) -> Option<f64> {
        (self.probes > 0).then(|| self.good as f64 / self.probes as f64)
    }

    /// The error budget left: 1 − bad ÷ ((1 − objective) × probes).
    #[expect(clippy::cast_precision_loss, reason = "shares of counts")]
    pub fn budget_left(&self, objective: f64) -> Option<f64> {
        let budget = (1.0 - objective) * self.probes as f64;
        (self.probes > 0 && budget > 0.0).then(|| 1.0 - (self.probes - self.good) as f64 / budget)
    }

    /// How fast the budget burns: the bad share over the allowed bad share (1 = on budget).
    pub fn burn(&self, objective: f64) -> Option<f64> {
        self.compliance().map(|c| (1.0 - c) / (1.0 - objective))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn live() -> Live {
        Live::new(10.0, BreachAfter { probes: 3, outstanding: Duration::from_millis(300) })
    }

    #[test]
    fn three_slow_probes_make_a_breach_and_a_fast_one_ends_it() {
        let mut l = live();
        assert_eq!(l.state(), LagState::Unknown, "nothing measured yet");
        l.arrived(1000, 2.0);
        assert_eq!(l.state(), LagState::Ok);
        l.arrived(1100, 30.0);
        l.arrived(1200, 40.0);
        assert_eq!(l.state(), LagState::Ok);
        l.arrived(1300, 35.0);
        assert_eq!(l.state(), LagState::Breach);
        assert_eq!(l.breach.as_ref().map(|b| (b.start_ms, b.worst_ms)), Some((1100, 40.0)));
        l.arrived(1400, 3.0);
        assert_eq!(l.state(), LagState::Ok);
        assert_eq!(l.ended[0].end_ms, Some(1400));
    }

    #[test]
    fn a_heartbeat_that_does_not_arrive_breaches_and_grows() {
        let mut l = live();
        l.arrived(0, 2.0);
        l.written(1000);
        l.waiting(1200, Duration::from_millis(200));
        assert_eq!(l.state(), LagState::Ok, "over the SLO, not yet for 300 ms");
        assert_eq!(l.current(1200), Some((200.0, true)), "at least the age of the heartbeat");
        l.waiting(1400, Duration::from_millis(400));
        assert_eq!(l.state(), LagState::Breach);
        assert_eq!(l.breach.as_ref().unwrap().start_ms, 1010);
        l.set_unknown(1500, "the read side does not answer".into());
        assert_eq!((l.state(), l.current(1500)), (LagState::Unknown, None), "unknown is never zero");
        l.arrived(2000, 1000.0);
        assert_eq!(l.unknown_ms(0, 3000), 500);
    }

    #[test]
    fn figures_and_the_error_budget() {
        let lags = (1..=100).map(f64::from);
        let f = Figures::of(lags, 99.0);
        assert_eq!((f.p50, f.p99, f.probes, f.good), (Some(50.0), Some(99.0), 100, 99));
        assert_eq!(f.compliance(), Some(0.99));
        assert!(f.budget_left(0.99).unwrap().abs() < 1e-9, "one bad probe of a 1 % budget of 100");
        assert!((f.burn(0.99).unwrap() - 1.0).abs() < 1e-9);
        assert_eq!(Figures::of(std::iter::empty(), 10.0).compliance(), None);
    }

    #[test]
    fn a_days_figures_read_the_minutes_then_the_probes_since() {
        let mut l = live();
        let day = 86_400_000;
        for minute in [day, day + 60_000] {
            let mut h = LagHistogram::default();
            (0..60).for_each(|_| h.add(5_000.0));
            l.minute_hists.push_back((minute, h));
            l.minutes.push_back((minute, 60, 60));
        }
        l.minute_saved = Some(day + 60_000);
        // Probes of the closed minutes are still there in full, and newer ones at 30 ms.
        (0..120).for_each(|i| l.arrived(day + i * 1000, 5.0));
        (0..40).for_each(|i| l.arrived(day + 120_000 + i * 1000, 30.0));
        let f = l.figures(0, day + 200_000);
        assert_eq!((f.probes, f.good), (160, 120), "each probe once");
        assert!((f.p50.unwrap() / 5.0 - 1.0).abs() < 0.1, "{f:?}");
        assert!((f.p99.unwrap() / 30.0 - 1.0).abs() < 0.1, "{f:?}");
        let hour = l.figures(day + 200_000 - 3_600_000, day + 200_000);
        assert_eq!(hour.p99, Some(30.0), "an hour is exact");
    }

    #[test]
    fn troubled_periods_are_breaches_and_unknown_spans() {
        let t0 = crate::now_ms();
        let mut l = live();
        assert!(l.troubled_between(t0, t0 + 10), "nothing measured yet is unknown");
        l.arrived(t0 + 1000, 2.0);
        assert!(!l.troubled_between(t0 + 1000, t0 + 2000));
        for t in [1100, 1200, 1300] {
            l.arrived(t0 + t, 50.0);
        }
        l.arrived(t0 + 1400, 2.0);
        assert!(l.troubled_between(t0 + 1250, t0 + 1260) && !l.troubled_between(t0 + 1500, t0 + 1600));
        l.set_unknown(t0 + 2000, "gone".into());
        assert!(l.troubled_between(t0 + 5000, t0 + 6000), "still unknown");
    }
}
