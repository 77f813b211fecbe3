//! The units the hub's charts and tables speak, and how a value in each reads: the same on
//! the server (axis labels) and in the browser (hover, legends).

use serde::{Deserialize, Serialize};

/// What a series measures. Values travel in base units (seconds, bytes, 0–100 for percent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    Seconds,
    Percent,
    PerSecond,
    Bytes,
    Count,
}

/// Three significant digits, trailing zeros dropped: 12.3, 0.456, 1 230.
fn sig3(v: f64) -> String {
    let a = v.abs();
    let decimals = if a >= 100.0 || a == 0.0 {
        0
    } else if a >= 10.0 {
        1
    } else if a >= 1.0 {
        2
    } else {
        3
    };
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

impl Unit {
    /// The unit as a panel's caption says it ("" when the axis's labels say it, as ms or s).
    pub fn caption(self) -> &'static str {
        match self {
            Unit::Seconds => "",
            Unit::Percent => "%",
            Unit::PerSecond => "per second",
            Unit::Bytes => "bytes",
            Unit::Count => "count",
        }
    }

    /// The divisor and suffix that read best for values up to `max`: lag and latency in ms
    /// below a second and in s above, bytes in KiB/MiB/GiB.
    pub fn scale(self, max: f64) -> (f64, &'static str) {
        let m = max.abs();
        match self {
            Unit::Seconds if m > 0.0 && m < 1e-3 => (1e-6, " µs"),
            Unit::Seconds if m < 1.0 => (1e-3, " ms"),
            Unit::Seconds => (1.0, " s"),
            Unit::Percent => (1.0, " %"),
            Unit::PerSecond if m >= 1e6 => (1e6, "M/s"),
            Unit::PerSecond if m >= 1e3 => (1e3, "k/s"),
            Unit::PerSecond => (1.0, "/s"),
            Unit::Bytes if m >= f64::from(1u32 << 30) => (f64::from(1u32 << 30), " GiB"),
            Unit::Bytes if m >= f64::from(1u32 << 20) => (f64::from(1u32 << 20), " MiB"),
            Unit::Bytes if m >= 1024.0 => (1024.0, " KiB"),
            Unit::Bytes => (1.0, " B"),
            Unit::Count if m >= 1e6 => (1e6, "M"),
            Unit::Count if m >= 1e4 => (1e3, "k"),
            Unit::Count => (1.0, ""),
        }
    }

    /// One value as read on its own: "12.3 ms", "1.25 s", "35.2 %", "12.5/s", "3.2 MiB".
    pub fn format(self, v: f64) -> String {
        if !v.is_finite() {
            return "–".to_string();
        }
        let (div, suffix) = self.scale(v);
        format!("{}{suffix}", sig3(v / div))
    }

    /// A value on an axis scaled for `max` (every tick of one axis in one scale).
    pub fn format_scaled(self, v: f64, max: f64) -> String {
        let (div, suffix) = self.scale(max);
        format!("{}{suffix}", sig3(v / div))
    }
}

#[cfg(test)]
mod tests {
    use super::Unit;

    #[test]
    fn values_read_in_the_unit_that_fits() {
        assert_eq!(Unit::Seconds.format(0.0123), "12.3 ms");
        assert_eq!(Unit::Seconds.format(1.25), "1.25 s");
        assert_eq!(Unit::Seconds.format(0.000_45), "450 µs");
        assert_eq!(Unit::Seconds.format(0.010), "10 ms");
        assert_eq!(Unit::Percent.format(35.0), "35 %");
        assert_eq!(Unit::PerSecond.format(12.5), "12.5/s");
        assert_eq!(Unit::Bytes.format(3.2 * 1024.0 * 1024.0), "3.2 MiB");
        assert_eq!(Unit::Count.format(f64::NAN), "–");
        assert_eq!(Unit::Seconds.format_scaled(0.5, 2.0), "0.5 s");
        assert_eq!(Unit::Seconds.format_scaled(0.005, 0.02), "5 ms");
    }
}
