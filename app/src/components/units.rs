//! Sample values as `go tool pprof` prints them: 1.61s, 153.42MB, 1200.

/// A value in its unit, scaled: nanoseconds to s/ms/us, bytes to kB/MB/GB (powers of 1024).
pub fn value(v: i64, unit: &str) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a display")]
    let f = v as f64;
    let trim = |x: f64, suffix: &str| {
        let s = format!("{x:.2}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        format!("{s}{suffix}")
    };
    match unit {
        "nanoseconds" => match v.unsigned_abs() {
            0 => "0".into(),
            n if n >= 1_000_000_000 => trim(f / 1e9, "s"),
            n if n >= 1_000_000 => trim(f / 1e6, "ms"),
            n if n >= 1_000 => trim(f / 1e3, "us"),
            _ => format!("{v}ns"),
        },
        "bytes" => match v.unsigned_abs() {
            0 => "0".into(),
            n if n >= 1 << 30 => trim(f / f64::from(1u32 << 30), "GB"),
            n if n >= 1 << 20 => trim(f / f64::from(1u32 << 20), "MB"),
            n if n >= 1 << 10 => trim(f / 1024.0, "kB"),
            _ => format!("{v}B"),
        },
        _ => v.to_string(),
    }
}

/// A percentage as go prints it: two decimals, trailing zeros dropped ("98.76%", "100%").
pub fn pct(p: f64) -> String {
    let s = format!("{p:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    format!("{s}%")
}

/// `v` as a fraction of `total` (0 when the total is 0).
#[expect(clippy::cast_precision_loss, reason = "shares of a total")]
pub fn share(v: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        v as f64 / total as f64
    }
}

/// `v` as a percentage of `total`, printed as go prints percentages.
pub fn share_pct(v: i64, total: i64) -> String {
    pct(share(v, total) * 100.0)
}

#[cfg(test)]
mod tests {
    use super::{pct, share_pct, value};

    #[test]
    fn values_read_like_go_tool_pprof() {
        assert_eq!(value(1_610_000_000, "nanoseconds"), "1.61s");
        assert_eq!(value(10_000_000, "nanoseconds"), "10ms");
        assert_eq!(value(160_872_448, "bytes"), "153.42MB");
        assert_eq!(value(0, "bytes"), "0");
        assert_eq!(value(42, "count"), "42");
        assert_eq!(pct(98.7654), "98.77%");
        assert_eq!(pct(100.0), "100%");
        assert_eq!(pct(0.5), "0.5%");
        assert_eq!(share_pct(1, 3), "33.33%");
        assert_eq!(share_pct(5, 0), "0%");
    }
}
