//! Quantiles from Prometheus histograms: cumulative bucket counts per scrape, the increase
//! between scrapes, and the quantile of that increase as `histogram_quantile` computes it.

use super::history::SeriesKey;
use std::collections::BTreeMap;

type Points = Vec<(i64, f64)>;

/// Quantile `q` of a histogram from cumulative bucket counts `(le, count)`, sorted by le,
/// interpolating linearly inside the bucket as Prometheus's histogram_quantile does.
pub fn histogram_quantile(q: f64, buckets: &[(f64, f64)]) -> Option<f64> {
    let total = buckets.last()?.1;
    if total <= 0.0 {
        return None;
    }
    let rank = q * total;
    let mut prev = (0.0, 0.0);
    for &(le, count) in buckets {
        if count >= rank {
            if le.is_infinite() {
                return Some(prev.0);
            }
            let in_bucket = count - prev.1;
            let fraction = if in_bucket > 0.0 { (rank - prev.1) / in_bucket } else { 1.0 };
            return Some(prev.0 + (le - prev.0) * fraction);
        }
        prev = (le, count);
    }
    None
}

/// The p95 in seconds between consecutive scrapes of one instance's bucket series (summed over
/// their other labels, such as routes).
pub fn latency(series: &[(SeriesKey, Points)]) -> Points {
    quantile_over_time(series, 0.95)
}

/// Quantile `q` of the observations between consecutive scrapes of bucket series (summed
/// over their labels other than `le`).
pub fn quantile_over_time(series: &[(SeriesKey, Points)], q: f64) -> Points {
    // Cumulative count per (time, le), summed over routes.
    let mut at: BTreeMap<i64, BTreeMap<u64, (f64, f64)>> = BTreeMap::new();
    for (k, points) in series {
        let Some(le) = k.label("le").and_then(|l| l.parse::<f64>().ok()) else { continue };
        for (t, v) in points {
            at.entry(*t).or_default().entry(le.to_bits()).or_insert((le, 0.0)).1 += v;
        }
    }
    let snapshots: Vec<(i64, Vec<(f64, f64)>)> = at
        .into_iter()
        .map(|(t, m)| {
            let mut b: Vec<(f64, f64)> = m.into_values().collect();
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            (t, b)
        })
        .collect();
    snapshots
        .windows(2)
        .filter_map(|w| {
            let (prev, now) = (&w[0].1, &w[1].1);
            if prev.len() != now.len() {
                return None;
            }
            let delta: Vec<(f64, f64)> =
                now.iter().zip(prev).map(|(n, p)| (n.0, (n.1 - p.1).max(0.0))).collect();
            histogram_quantile(q, &delta).map(|s| (w[1].0, s))
        })
        .collect()
}
