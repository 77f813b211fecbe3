//! The standard panels every service gets, derived from its history: request rate, error
//! ratio, p95 latency from the histogram, worker-pool utilisation (exhaustion marked) and
//! consumer lag. One line per instance.

use super::history::{History, SeriesKey};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PanelKind {
    RequestRate,
    ErrorRatio,
    LatencyP95,
    PoolUtilisation,
    ConsumerLag,
}

impl PanelKind {
    pub const ALL: [PanelKind; 5] = [
        PanelKind::RequestRate,
        PanelKind::ErrorRatio,
        PanelKind::LatencyP95,
        PanelKind::PoolUtilisation,
        PanelKind::ConsumerLag,
    ];

    pub fn id(self) -> &'static str {
        match self {
            PanelKind::RequestRate => "request_rate",
            PanelKind::ErrorRatio => "error_ratio",
            PanelKind::LatencyP95 => "latency_p95",
            PanelKind::PoolUtilisation => "pool_utilisation",
            PanelKind::ConsumerLag => "consumer_lag",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            PanelKind::RequestRate => "Request rate",
            PanelKind::ErrorRatio => "Error ratio",
            PanelKind::LatencyP95 => "p95 latency",
            PanelKind::PoolUtilisation => "Worker-pool utilisation",
            PanelKind::ConsumerLag => "Consumer lag",
        }
    }

    /// The metric profile whose families feed this panel.
    pub fn profiles(self) -> &'static [&'static str] {
        match self {
            PanelKind::RequestRate | PanelKind::ErrorRatio | PanelKind::LatencyP95 => &["http"],
            PanelKind::PoolUtilisation => &["worker_pool"],
            PanelKind::ConsumerLag => &["consumer", "read_model"],
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            PanelKind::RequestRate => "requests/s",
            PanelKind::ErrorRatio | PanelKind::PoolUtilisation => "%",
            PanelKind::LatencyP95 | PanelKind::ConsumerLag => "ms",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Line {
    pub label: String,
    pub points: Vec<(i64, f64)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    pub kind: PanelKind,
    pub lines: Vec<Line>,
    /// Time spans to highlight (the pool exhausted: every worker busy and tasks queued).
    pub alarms: Vec<(i64, i64)>,
    /// A reference line (the 10 ms read-model SLO on consumer lag).
    pub threshold: Option<f64>,
    pub from: i64,
    pub to: i64,
}

type Points = Vec<(i64, f64)>;

/// Sums series that share timestamps (the series of one instance come from one scrape).
fn sum_by_time<'a>(series: impl Iterator<Item = &'a Points>) -> Points {
    let mut sums: BTreeMap<i64, f64> = BTreeMap::new();
    for points in series {
        for (t, v) in points {
            *sums.entry(*t).or_default() += v;
        }
    }
    sums.into_iter().collect()
}

/// Per-second increase between consecutive points; a counter reset counts from zero.
fn rate(points: &Points) -> Points {
    points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0)
        .map(|w| {
            let dv = if w[1].1 >= w[0].1 { w[1].1 - w[0].1 } else { w[1].1 };
            #[expect(clippy::cast_precision_loss, reason = "millisecond spans are small")]
            let dt = (w[1].0 - w[0].0) as f64 / 1000.0;
            (w[1].0, dv / dt)
        })
        .collect()
}

fn by_instance(found: Vec<(SeriesKey, Points)>) -> BTreeMap<String, Vec<(SeriesKey, Points)>> {
    let mut map: BTreeMap<String, Vec<(SeriesKey, Points)>> = BTreeMap::new();
    for (k, p) in found {
        map.entry(k.instance.clone()).or_default().push((k, p));
    }
    map
}

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

fn latency(series: &[(SeriesKey, Points)]) -> Points {
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
            histogram_quantile(0.95, &delta).map(|s| (w[1].0, s * 1000.0))
        })
        .collect()
}

pub fn compute(history: &History, service: &str, kind: PanelKind, from: i64, to: i64) -> Panel {
    // One point before the range, so the first rate in range can be computed.
    let q = |name: &str| by_instance(history.query(service, None, name, from - 60_000, to));
    let mut alarms = Vec::new();
    let mut threshold = None;
    let lines: Vec<Line> = match kind {
        PanelKind::RequestRate => q("http_requests_total")
            .into_iter()
            .map(|(i, s)| Line { label: i, points: rate(&sum_by_time(s.iter().map(|x| &x.1))) })
            .collect(),
        PanelKind::ErrorRatio => {
            let errors = q("http_request_errors_total");
            q("http_requests_total")
                .into_iter()
                .map(|(i, s)| {
                    let requests = rate(&sum_by_time(s.iter().map(|x| &x.1)));
                    let failed: BTreeMap<i64, f64> = errors
                        .get(&i)
                        .map(|e| rate(&sum_by_time(e.iter().map(|x| &x.1))).into_iter().collect())
                        .unwrap_or_default();
                    let points = requests
                        .into_iter()
                        .map(|(t, r)| {
                            (
                                t,
                                if r > 0.0 {
                                    100.0 * failed.get(&t).copied().unwrap_or(0.0) / r
                                } else {
                                    0.0
                                },
                            )
                        })
                        .collect();
                    Line { label: i, points }
                })
                .collect()
        }
        PanelKind::LatencyP95 => q("http_request_duration_seconds_bucket")
            .into_iter()
            .map(|(i, s)| Line { label: i, points: latency(&s) })
            .collect(),
        PanelKind::PoolUtilisation => {
            let max = q("worker_pool_max_workers");
            let queued = q("worker_pool_queued_tasks");
            q("worker_pool_active_workers")
                .into_iter()
                .map(|(i, s)| {
                    let active = sum_by_time(s.iter().map(|x| &x.1));
                    let cap: BTreeMap<i64, f64> = max
                        .get(&i)
                        .map(|m| sum_by_time(m.iter().map(|x| &x.1)).into_iter().collect())
                        .unwrap_or_default();
                    let waiting: BTreeMap<i64, f64> = queued
                        .get(&i)
                        .map(|m| sum_by_time(m.iter().map(|x| &x.1)).into_iter().collect())
                        .unwrap_or_default();
                    let mut points = Vec::new();
                    let mut open: Option<i64> = None;
                    for (t, a) in active {
                        let Some(c) = cap.get(&t).filter(|c| **c > 0.0) else { continue };
                        points.push((t, 100.0 * a / c));
                        let exhausted = a >= *c && waiting.get(&t).copied().unwrap_or(0.0) > 0.0;
                        match (exhausted, open) {
                            (true, None) => open = Some(t),
                            (false, Some(start)) => {
                                alarms.push((start, t));
                                open = None;
                            }
                            _ => {}
                        }
                    }
                    if let (Some(start), Some(last)) = (open, points.last()) {
                        alarms.push((start, last.0));
                    }
                    Line { label: i, points }
                })
                .collect()
        }
        PanelKind::ConsumerLag => {
            threshold = Some(10.0);
            q("consumer_lag_seconds")
                .into_iter()
                .map(|(i, s)| {
                    let mut worst: BTreeMap<i64, f64> = BTreeMap::new();
                    for (_, points) in &s {
                        for (t, v) in points {
                            let e = worst.entry(*t).or_insert(0.0);
                            *e = e.max(v * 1000.0);
                        }
                    }
                    Line { label: i, points: worst.into_iter().collect() }
                })
                .collect()
        }
    };
    let lines = lines
        .into_iter()
        .map(|l| Line { points: l.points.into_iter().filter(|(t, _)| *t >= from).collect(), ..l })
        .filter(|l| !l.points.is_empty())
        .collect();
    Panel { kind, lines, alarms, threshold, from, to }
}

#[cfg(test)]
#[path = "panels_tests.rs"]
mod tests;
