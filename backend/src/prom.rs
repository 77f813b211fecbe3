//! A cumulative histogram written in the Prometheus text format, for the hub's own /metrics.

use std::fmt::Write;

#[derive(Clone, Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Observations at or under each bound (cumulative, as the format has them).
    counts: Vec<u64>,
    count: u64,
    sum: f64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram { bounds, counts: vec![0; bounds.len()], count: 0, sum: 0.0 }
    }

    pub fn observe(&mut self, value: f64) {
        for (n, le) in self.counts.iter_mut().zip(self.bounds) {
            if value <= *le {
                *n += 1;
            }
        }
        self.count += 1;
        self.sum += value;
    }

    /// `name_bucket{labels,le=…}` lines with +Inf, then `_sum` and `_count`; `labels` is the
    /// inside of the braces, already escaped.
    pub fn write(&self, out: &mut String, name: &str, labels: &str) {
        for (le, n) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"{le}\"}} {n}");
        }
        let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", self.count);
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

/// A label value as the text format needs it.
pub fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}
