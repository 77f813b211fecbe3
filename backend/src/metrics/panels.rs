//! The standard panels every service gets, derived from its history: request rate, error
//! ratio, p95 latency from the histogram, worker-pool utilisation (exhaustion marked) and
//! consumer lag. One line per instance.

use super::histogram::latency;
use super::history::{History, SeriesKey};
use super::signals::{Feed, Signals};
use std::collections::BTreeMap;
use types::charts::RefLine;
use types::units::Unit;

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

    /// The feeds a panel reads; the first decides whether a service has the panel.
    pub fn feeds(self) -> &'static [Feed] {
        match self {
            PanelKind::RequestRate => &[Feed::Requests],
            PanelKind::ErrorRatio => &[Feed::Requests, Feed::Errors],
            PanelKind::LatencyP95 => &[Feed::Latency],
            PanelKind::PoolUtilisation => &[Feed::PoolActive, Feed::PoolMax, Feed::PoolQueued],
            PanelKind::ConsumerLag => &[Feed::ConsumerLagSeconds],
        }
    }

    /// Whether a service implementing `profiles` gets this panel.
    pub fn shown_for(self, signals: &Signals, profiles: &[String]) -> bool {
        match self {
            // The lag panel is for consumers and for read models alike.
            PanelKind::ConsumerLag => {
                signals.provided(&[Feed::ConsumerLagSeconds, Feed::ReadModelLag], profiles)
            }
            _ => signals.provided(&self.feeds()[..1], profiles),
        }
    }

    pub fn unit(self) -> Unit {
        match self {
            PanelKind::RequestRate => Unit::PerSecond,
            PanelKind::ErrorRatio | PanelKind::PoolUtilisation => Unit::Percent,
            PanelKind::LatencyP95 | PanelKind::ConsumerLag => Unit::Seconds,
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
    /// Reference lines (the 10 ms read-model SLO on the lag panel).
    pub refs: Vec<RefLine>,
    pub from: i64,
    pub to: i64,
}

type Points = Vec<(i64, f64)>;

/// Sums series that share timestamps (the series of one instance come from one scrape).
pub(crate) fn sum_by_time<'a>(series: impl Iterator<Item = &'a Points>) -> Points {
    let mut sums: BTreeMap<i64, f64> = BTreeMap::new();
    for points in series {
        for (t, v) in points {
            *sums.entry(*t).or_default() += v;
        }
    }
    sums.into_iter().collect()
}

/// Per-second increase between consecutive points; a counter reset counts from zero. No rate
/// is made across a gap (more than three usual steps: the hub or the instance was down), where
/// it would average the outage into a dip.
pub(crate) fn rate(points: &Points) -> Points {
    let mut steps: Vec<i64> = points.windows(2).map(|w| w[1].0 - w[0].0).filter(|d| *d > 0).collect();
    steps.sort_unstable();
    let gap = steps.get(steps.len() / 2).map_or(i64::MAX, |s| s.saturating_mul(3));
    points
        .windows(2)
        .filter(|w| w[1].0 > w[0].0 && w[1].0 - w[0].0 <= gap)
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

type ByInstance = BTreeMap<String, Vec<(SeriesKey, Points)>>;

/// The series of one feed over the range (and a minute before it, so the first rate in
/// range can be computed), by instance; none when the catalog has no family for it.
struct Source<'a> {
    history: &'a History,
    signals: &'a Signals,
    service: &'a str,
    from: i64,
    to: i64,
}

impl Source<'_> {
    fn series(&self, feed: Feed, suffix: &str) -> ByInstance {
        let Some(family) = self.signals.family(feed) else { return ByInstance::new() };
        by_instance(self.history.query(
            self.service,
            None,
            &format!("{family}{suffix}"),
            self.from - 60_000,
            self.to,
        ))
    }
}

/// The series of one instance summed by time, looked up by time.
fn summed(map: &ByInstance, instance: &str) -> BTreeMap<i64, f64> {
    map.get(instance).map(|s| sum_by_time(s.iter().map(|x| &x.1)).into_iter().collect()).unwrap_or_default()
}

fn request_rate(src: &Source<'_>) -> Vec<Line> {
    src.series(Feed::Requests, "")
        .into_iter()
        .map(|(i, s)| Line { label: i, points: rate(&sum_by_time(s.iter().map(|x| &x.1))) })
        .collect()
}

fn error_ratio(src: &Source<'_>) -> Vec<Line> {
    let errors = src.series(Feed::Errors, "");
    src.series(Feed::Requests, "")
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
                    (t, if r > 0.0 { 100.0 * failed.get(&t).copied().unwrap_or(0.0) / r } else { 0.0 })
                })
                .collect();
            Line { label: i, points }
        })
        .collect()
}

/// Utilisation per instance, and the spans where the pool was exhausted (every worker busy
/// and tasks queued).
fn pool_utilisation(src: &Source<'_>) -> (Vec<Line>, Vec<(i64, i64)>) {
    let (max, queued) = (src.series(Feed::PoolMax, ""), src.series(Feed::PoolQueued, ""));
    let mut alarms = Vec::new();
    let lines = src
        .series(Feed::PoolActive, "")
        .into_iter()
        .map(|(i, s)| {
            let active = sum_by_time(s.iter().map(|x| &x.1));
            let (cap, waiting) = (summed(&max, &i), summed(&queued, &i));
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
        .collect();
    (lines, alarms)
}

/// The worst lag of each instance's consumers, in seconds.
fn consumer_lag(src: &Source<'_>) -> Vec<Line> {
    src.series(Feed::ConsumerLagSeconds, "")
        .into_iter()
        .map(|(i, s)| {
            let mut worst: BTreeMap<i64, f64> = BTreeMap::new();
            for (_, points) in &s {
                for (t, v) in points {
                    let e = worst.entry(*t).or_insert(0.0);
                    *e = e.max(*v);
                }
            }
            Line { label: i, points: worst.into_iter().collect() }
        })
        .collect()
}

/// The 10 ms read-model SLO, drawn on the lag panel (seconds).
pub const LAG_SLO_S: f64 = 0.010;

/// The SLO line of the lag panel.
pub fn lag_slo() -> RefLine {
    RefLine { label: "SLO 10 ms".into(), value: LAG_SLO_S }
}

pub struct PanelQuery<'a> {
    pub service: &'a str,
    pub kind: PanelKind,
    pub from: i64,
    pub to: i64,
}

pub fn compute(history: &History, signals: &Signals, q: &PanelQuery<'_>) -> Panel {
    let src = Source { history, signals, service: q.service, from: q.from, to: q.to };
    let mut alarms = Vec::new();
    let mut refs = Vec::new();
    let lines = match q.kind {
        PanelKind::RequestRate => request_rate(&src),
        PanelKind::ErrorRatio => error_ratio(&src),
        PanelKind::LatencyP95 => src
            .series(Feed::Latency, "_bucket")
            .into_iter()
            .map(|(i, s)| Line { label: i, points: latency(&s) })
            .collect(),
        PanelKind::PoolUtilisation => {
            let (lines, spans) = pool_utilisation(&src);
            alarms = spans;
            lines
        }
        PanelKind::ConsumerLag => {
            refs.push(lag_slo());
            consumer_lag(&src)
        }
    };
    let lines = lines
        .into_iter()
        .map(|l| Line { points: l.points.into_iter().filter(|(t, _)| *t >= q.from).collect(), ..l })
        .filter(|l| !l.points.is_empty())
        .collect();
    Panel { kind: q.kind, lines, alarms, refs, from: q.from, to: q.to }
}

#[cfg(test)]
#[path = "panels_tests.rs"]
mod tests;
