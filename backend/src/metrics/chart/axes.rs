//! The chart's axes for plotters: time on round boundaries (every 15 s, 5 min, 1 h, 1 d…)
//! labelled as clock times, and values on 1-2-5 steps (or decades, on a log scale) labelled
//! in the unit that reads best.

use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use std::ops::Range;
use types::units::Unit;

const SECOND: i64 = 1000;
const MINUTE: i64 = 60 * SECOND;
const HOUR: i64 = 60 * MINUTE;
const DAY: i64 = 24 * HOUR;
const STEPS: [i64; 22] = [
    SECOND,
    2 * SECOND,
    5 * SECOND,
    10 * SECOND,
    15 * SECOND,
    30 * SECOND,
    MINUTE,
    2 * MINUTE,
    5 * MINUTE,
    10 * MINUTE,
    15 * MINUTE,
    30 * MINUTE,
    HOUR,
    2 * HOUR,
    3 * HOUR,
    6 * HOUR,
    12 * HOUR,
    DAY,
    2 * DAY,
    7 * DAY,
    14 * DAY,
    28 * DAY,
];

/// Unix-ms time, ticks on the round boundaries of the first step that gives at most
/// `max_ticks` of them.
#[derive(Clone, Debug)]
pub struct TimeAxis {
    pub from: i64,
    pub to: i64,
}

impl TimeAxis {
    pub fn step(&self, max_ticks: usize) -> i64 {
        let span = (self.to - self.from).max(1);
        let max = i64::try_from(max_ticks.max(1)).unwrap_or(1);
        STEPS.into_iter().find(|s| span / s <= max).unwrap_or(28 * DAY)
    }

    pub fn ticks(&self, max_ticks: usize) -> Vec<i64> {
        let step = self.step(max_ticks);
        let first =
            self.from.div_euclid(step) * step + if self.from.rem_euclid(step) == 0 { 0 } else { step };
        (0..).map(|i| first + i * step).take_while(|t| *t <= self.to).collect()
    }

    /// A tick's label: the clock time (UTC), with seconds when the step is under a minute
    /// and the date when it is a day or more.
    pub fn label(&self, t: i64) -> String {
        let step = self.step(6);
        let s = t.div_euclid(1000);
        let (h, m, sec) = (s.rem_euclid(86_400) / 3600, s.rem_euclid(3600) / 60, s.rem_euclid(60));
        if step >= DAY {
            let (_, month, day) = types::time::civil_from_days(t.div_euclid(DAY));
            format!("{month:02}-{day:02}")
        } else if step < MINUTE {
            format!("{h:02}:{m:02}:{sec:02}")
        } else {
            format!("{h:02}:{m:02}")
        }
    }
}

fn map_linear(v: f64, lo: f64, hi: f64, limit: (i32, i32)) -> i32 {
    let span = if hi > lo { hi - lo } else { 1.0 };
    let f = ((v - lo) / span).clamp(-0.05, 1.05);
    #[expect(clippy::cast_possible_truncation, reason = "pixels of a chart")]
    let px = (f64::from(limit.0) + f * f64::from(limit.1 - limit.0)).round() as i32;
    px
}

impl Ranged for TimeAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = i64;

    fn map(&self, value: &i64, limit: (i32, i32)) -> i32 {
        #[expect(clippy::cast_precision_loss, reason = "unix ms fit an f64 well enough for pixels")]
        let (v, lo, hi) = (*value as f64, self.from as f64, self.to as f64);
        map_linear(v, lo, hi, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<i64> {
        self.ticks(hint.max_num_points().min(7))
    }

    fn range(&self) -> Range<i64> {
        self.from..self.to
    }
}

impl ValueFormatter<i64> for TimeAxis {
    fn format_ext(&self, value: &i64) -> String {
        self.label(*value)
    }
}

/// Values from 0 (or, on a log scale, from the decade below the smallest value) to `max`.
#[derive(Clone, Debug)]
pub struct ValueAxis {
    pub min: f64,
    pub max: f64,
    pub unit: Unit,
    pub log: bool,
}

/// The 1-2-5 step that cuts `max` into at most `n` parts.
fn nice_step(max: f64, n: usize) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "a handful of ticks")]
    let raw = max / n.max(1) as f64;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude)
}

impl ValueAxis {
    /// An axis over values up to `peak`, rounded up to a tick, with headroom.
    pub fn linear(peak: f64, unit: Unit) -> ValueAxis {
        let top = if peak.is_finite() && peak > 0.0 { peak * 1.1 } else { 1.0 };
        let top = if unit == Unit::Percent && top <= 100.0 { 100.0 } else { top };
        // Counts are whole: an axis of a few messages ticks 0, 1, 2…, never 0.25.
        let top = if unit == Unit::Count { top.max(5.0) } else { top };
        let step = nice_step(top, 5);
        ValueAxis { min: 0.0, max: (top / step).ceil() * step, unit, log: false }
    }

    /// A log axis from the decade below `low` to the decade above `peak`.
    pub fn log(low: f64, peak: f64, unit: Unit) -> ValueAxis {
        let low = if low.is_finite() && low > 0.0 { low } else { 1e-6 };
        let peak = if peak.is_finite() && peak > low { peak } else { low * 10.0 };
        ValueAxis {
            min: 10f64.powf(low.log10().floor()),
            max: 10f64.powf(peak.log10().ceil()),
            unit,
            log: true,
        }
    }

    pub fn ticks(&self, n: usize) -> Vec<f64> {
        if self.log {
            let (a, b) = (self.min.log10().round(), self.max.log10().round());
            #[expect(clippy::cast_possible_truncation, reason = "a few decades")]
            return (a as i32..=b as i32).map(|e| 10f64.powi(e)).collect();
        }
        let step = nice_step(self.max, n);
        (0..=n * 2).map(|i| step * i as f64).take_while(|v| *v <= self.max * 1.000_001).collect()
    }
}

impl Ranged for ValueAxis {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        if self.log {
            let v = value.max(self.min * 0.5);
            map_linear(v.log10(), self.min.log10(), self.max.log10(), limit)
        } else {
            map_linear(*value, self.min, self.max, limit)
        }
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        self.ticks(hint.max_num_points().clamp(2, 5))
    }

    fn range(&self) -> Range<f64> {
        self.min..self.max
    }
}

impl ValueFormatter<f64> for ValueAxis {
    fn format_ext(&self, value: &f64) -> String {
        self.unit.format_scaled(*value, self.max)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_ticks_fall_on_round_boundaries() {
        let axis = TimeAxis { from: 1_796_083_207_000, to: 1_796_083_207_000 + HOUR };
        let ticks = axis.ticks(6);
        assert_eq!(axis.step(6), 10 * MINUTE);
        assert!(ticks.iter().all(|t| t % (10 * MINUTE) == 0), "{ticks:?}");
        assert_eq!(ticks.len(), 6);
        let fine = TimeAxis { from: 0, to: 5 * MINUTE };
        assert_eq!(fine.step(6), MINUTE);
        assert_eq!(fine.label(90 * SECOND), "00:01");
        let short = TimeAxis { from: 0, to: 40 * SECOND };
        assert_eq!(short.label(15 * SECOND), "00:00:15");
        let month = TimeAxis { from: 1_796_083_200_000, to: 1_796_083_200_000 + 28 * DAY };
        assert_eq!(month.label(1_796_083_200_000), "12-01");
    }

    #[test]
    fn value_ticks_step_by_one_two_five() {
        let axis = ValueAxis::linear(17.0, Unit::PerSecond);
        assert_eq!(axis.max, 20.0);
        assert_eq!(axis.ticks(5), [0.0, 5.0, 10.0, 15.0, 20.0]);
        assert_eq!(ValueAxis::linear(35.0, Unit::Percent).max, 100.0);
        let lag = ValueAxis::linear(0.012, Unit::Seconds);
        assert_eq!(lag.format_ext(&0.005), "5 ms");
        let log = ValueAxis::log(0.002, 0.9, Unit::Seconds);
        assert_eq!((log.min, log.max), (0.001, 1.0));
        assert_eq!(log.ticks(5).len(), 4);
    }
}
