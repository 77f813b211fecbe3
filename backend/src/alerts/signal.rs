//! A rule's signal now, from the embedded history: for the service (and its worst instance).
//! Counters are read as their increase over the window, starting from the last scrape at or
//! before the window's start — so a window shorter than two scrapes uses the last two.

use crate::config::alerts::{MetricMode, MetricSignalDef, SignalKind};
use crate::metrics::histogram::histogram_quantile;
use crate::metrics::history::{History, SeriesKey};
use crate::metrics::{Feed, Signals};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

type Points = Vec<(i64, f64)>;
/// A sample name's series with their points.
type Family = Arc<[(SeriesKey, Points)]>;

/// The signal's value for the service, and the instance where it is worst.
#[derive(Clone, Debug, PartialEq)]
pub struct Reading {
    pub value: f64,
    pub worst_instance: Option<String>,
}

/// How far before a window the history is read, to find the scrape before it.
const LOOKBACK_MS: i64 = 120_000;

/// A service's series by sample name, each read from the history once over the widest range
/// any reading needs and shared by every reading within it: a scrape evaluates every rule on
/// the service (each rule read the requests series up to three times), an alert's panel reads
/// its signal 150 times.
pub struct Reads<'a> {
    history: &'a History,
    service: &'a str,
    from: i64,
    to: i64,
    read: Mutex<HashMap<String, Family>>,
}

impl<'a> Reads<'a> {
    /// Reads for windows that start at or after `from` and end by `to`.
    pub fn new(history: &'a History, service: &'a str, from: i64, to: i64) -> Reads<'a> {
        Reads { history, service, from: from - LOOKBACK_MS, to, read: Mutex::default() }
    }

    pub fn service(&self) -> &'a str {
        self.service
    }

    /// The series of `name` with their points in [from, to]; outside the range read at
    /// construction, straight from the history.
    fn get(&self, name: &str, from: i64, to: i64) -> Loaded {
        let all = if from < self.from || to > self.to {
            Arc::from(self.history.query(self.service, None, name, from, to))
        } else {
            let mut read = self.read.lock().unwrap_or_else(PoisonError::into_inner);
            read.entry(name.to_string())
                .or_insert_with(|| {
                    Arc::from(self.history.query(self.service, None, name, self.from, self.to))
                })
                .clone()
        };
        Loaded { all, from, to }
    }
}

/// Series read once, seen through one range.
struct Loaded {
    all: Family,
    from: i64,
    to: i64,
}

impl Loaded {
    fn iter(&self) -> impl Iterator<Item = (&SeriesKey, &[(i64, f64)])> {
        self.all
            .iter()
            .map(|(k, p)| {
                let lo = p.partition_point(|(t, _)| *t < self.from);
                let hi = p.partition_point(|(t, _)| *t <= self.to);
                (k, &p[lo..hi.max(lo)])
            })
            .filter(|(_, p)| !p.is_empty())
    }

    fn is_empty(&self) -> bool {
        self.iter().next().is_none()
    }
}

/// Where and over what a signal is read.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pub reads: &'a Reads<'a>,
    pub signals: &'a Signals,
    pub from: i64,
    pub to: i64,
}

/// The increase of one counter series over (from, to]. A series the instance started to
/// expose inside the range (its instance was scraped before without it) counts from zero.
pub(super) fn increase(points: &[(i64, f64)], from: i64, instance_first: i64) -> Option<f64> {
    let start = points.iter().rposition(|(t, _)| *t <= from).unwrap_or(0);
    let pts = &points[start..];
    let born = pts.first().is_some_and(|(t, _)| *t > from && *t > instance_first);
    let mut total = if born { pts.first().map_or(0.0, |p| p.1) } else { 0.0 };
    if pts.len() < 2 && !born {
        return None;
    }
    for w in pts.windows(2) {
        total += if w[1].1 >= w[0].1 { w[1].1 - w[0].1 } else { w[1].1 };
    }
    Some(total)
}

impl Scope<'_> {
    fn series(&self, name: &str) -> Loaded {
        self.reads.get(name, self.from - LOOKBACK_MS, self.to)
    }

    fn family(&self, feed: Feed) -> Option<&str> {
        self.signals.family(feed)
    }

    /// Each instance's first point of any of `series`, to tell a new series from an old one.
    fn first_seen<'s>(series: impl IntoIterator<Item = &'s Loaded>) -> BTreeMap<String, i64> {
        let mut first: BTreeMap<String, i64> = BTreeMap::new();
        for list in series {
            for (k, p) in list.iter() {
                if let Some((t, _)) = p.first() {
                    let e = first.entry(k.instance.clone()).or_insert(*t);
                    *e = (*e).min(*t);
                }
            }
        }
        first
    }

    /// Each series' increase of a counter family, with the series' key (labels, `instance`).
    fn each_increase(&self, feed: Feed, from: i64, mut each: impl FnMut(&SeriesKey, f64)) {
        let Some(family) = self.family(feed) else { return };
        let requests = self.family(Feed::Requests).map(|r| self.series(r));
        let series = self.series(family);
        let first = Self::first_seen(requests.iter().chain(std::iter::once(&series)));
        for (k, p) in series.iter() {
            let instance_first = first.get(&k.instance).copied().unwrap_or(i64::MAX);
            if let Some(v) = increase(p, from, instance_first) {
                each(k, v);
            }
        }
    }

    /// Increases of a counter family per series, with each series' labels (plus `instance`).
    pub(super) fn increases(&self, feed: Feed, from: i64) -> Vec<(SeriesKey, f64)> {
        let mut out = Vec::new();
        self.each_increase(feed, from, |k, v| out.push((k.clone(), v)));
        out
    }

    /// Increases of a counter family summed per instance.
    fn increase_per_instance(&self, feed: Feed) -> BTreeMap<String, f64> {
        let mut out: BTreeMap<String, f64> = BTreeMap::new();
        self.each_increase(feed, self.from, |k, v| {
            if let Some(sum) = out.get_mut(&k.instance) {
                *sum += v;
            } else {
                out.insert(k.instance.clone(), v);
            }
        });
        out
    }

    fn error_ratio(&self) -> Option<Reading> {
        let requests = self.increase_per_instance(Feed::Requests);
        let errors = self.increase_per_instance(Feed::Errors);
        let total: f64 = requests.values().sum();
        if total <= 0.0 {
            return None;
        }
        let failed: f64 = errors.values().sum();
        let worst = requests
            .iter()
            .filter(|(_, r)| **r > 0.0)
            .map(|(i, r)| (i, errors.get(i).copied().unwrap_or(0.0) / r))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i.clone());
        Some(Reading { value: failed / total, worst_instance: worst })
    }

    fn latency_p95(&self) -> Option<Reading> {
        let family = self.family(Feed::Latency)?;
        let buckets = self.series(&format!("{family}_bucket"));
        let requests = self.family(Feed::Requests).map(|r| self.series(r));
        let first = Self::first_seen(requests.iter().chain(std::iter::once(&buckets)));
        // Cumulative increase per le, per instance.
        let mut by: BTreeMap<String, BTreeMap<u64, (f64, f64)>> = BTreeMap::new();
        for (k, p) in buckets.iter() {
            let Some(le) = k.label("le").and_then(|l| l.parse::<f64>().ok()) else { continue };
            let instance_first = first.get(&k.instance).copied().unwrap_or(i64::MAX);
            let Some(inc) = increase(p, self.from, instance_first) else { continue };
            by.entry(k.instance.clone()).or_default().entry(le.to_bits()).or_insert((le, 0.0)).1 += inc;
        }
        let sorted = |m: &BTreeMap<u64, (f64, f64)>| {
            let mut b: Vec<(f64, f64)> = m.values().copied().collect();
            b.sort_by(|x, y| x.0.total_cmp(&y.0));
            b
        };
        let mut all: BTreeMap<u64, (f64, f64)> = BTreeMap::new();
        for m in by.values() {
            for (bits, (le, c)) in m {
                all.entry(*bits).or_insert((*le, 0.0)).1 += c;
            }
        }
        let value = histogram_quantile(0.95, &sorted(&all))?;
        let worst = by
            .iter()
            .filter_map(|(i, m)| histogram_quantile(0.95, &sorted(m)).map(|v| (i, v)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(i, _)| i.clone());
        Some(Reading { value, worst_instance: worst })
    }

    /// Each instance's latest value of a family, summed over its series (those of the
    /// latest scrape only).
    fn latest(&self, name: &str, keep: impl Fn(&SeriesKey) -> bool) -> BTreeMap<String, f64> {
        let mut last: BTreeMap<String, (i64, f64)> = BTreeMap::new();
        for (k, p) in self.series(name).iter().filter(|(k, _)| keep(k)) {
            let Some((t, v)) = p.last().filter(|(t, v)| *t >= self.from - LOOKBACK_MS && v.is_finite())
            else {
                continue;
            };
            let e = last.entry(k.instance.clone()).or_insert((*t, 0.0));
            if *t > e.0 {
                *e = (*t, 0.0);
            }
            if *t == e.0 {
                e.1 += v;
            }
        }
        last.into_iter().map(|(i, (_, v))| (i, v)).collect()
    }

    fn pool_utilisation(&self) -> Option<Reading> {
        let active = self.latest(self.family(Feed::PoolActive)?, |_| true);
        let max = self.latest(self.family(Feed::PoolMax)?, |_| true);
        worst(active.iter().filter_map(|(i, a)| max.get(i).filter(|m| **m > 0.0).map(|m| (i.clone(), a / m))))
    }

    fn consumer_lag(&self) -> Option<Reading> {
        let family = self.family(Feed::ConsumerLagSeconds)?;
        let mut worst_of: BTreeMap<String, f64> = BTreeMap::new();
        for (k, p) in self.series(family).iter() {
            if let Some((_, v)) = p.last().filter(|(t, v)| *t >= self.from - LOOKBACK_MS && v.is_finite()) {
                let e = worst_of.entry(k.instance.clone()).or_insert(f64::MIN);
                *e = e.max(*v);
            }
        }
        worst(worst_of.into_iter())
    }

    fn metric(&self, def: &MetricSignalDef) -> Option<Reading> {
        let matches = |k: &SeriesKey| {
            def.matchers
                .iter()
                .all(|(n, v)| if n == "instance" { &k.instance == v } else { k.label(n) == Some(v) })
        };
        let name = if self.series(&def.family).is_empty() {
            format!("{}_total", def.family)
        } else {
            def.family.clone()
        };
        match def.mode {
            MetricMode::Value => worst(self.latest(&name, matches).into_iter()),
            MetricMode::Rate => {
                let series = self.series(&name);
                let first = Self::first_seen([&series]);
                #[expect(clippy::cast_precision_loss, reason = "a window in ms")]
                let seconds = ((self.to - self.from).max(1) as f64) / 1000.0;
                let mut by: BTreeMap<String, f64> = BTreeMap::new();
                for (k, p) in series.iter().filter(|(k, _)| matches(k)) {
                    let f = first.get(&k.instance).copied().unwrap_or(i64::MAX);
                    if let Some(v) = increase(p, self.from, f) {
                        *by.entry(k.instance.clone()).or_default() += v / seconds;
                    }
                }
                if by.is_empty() {
                    return None;
                }
                let value = by.values().sum();
                let worst_instance = by.iter().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i.clone());
                Some(Reading { value, worst_instance })
            }
        }
    }

    /// The signal now; None when the history holds nothing to compute it from.
    pub fn read(&self, signal: SignalKind, metric: Option<&MetricSignalDef>) -> Option<Reading> {
        match signal {
            SignalKind::ErrorRatio => self.error_ratio(),
            SignalKind::LatencyP95 => self.latency_p95(),
            SignalKind::PoolUtilisation => self.pool_utilisation(),
            SignalKind::ConsumerLagSeconds => self.consumer_lag(),
            SignalKind::Metric => metric.and_then(|m| self.metric(m)),
            // Read from the lag service by the evaluator.
            SignalKind::ReadModelLag => None,
        }
    }
}

/// The largest of per-instance values, and where.
fn worst(values: impl Iterator<Item = (String, f64)>) -> Option<Reading> {
    values.max_by(|a, b| a.1.total_cmp(&b.1)).map(|(i, value)| Reading { value, worst_instance: Some(i) })
}

/// The feeds a signal reads, to tell which services provide it.
pub fn feeds(signal: SignalKind) -> &'static [Feed] {
    match signal {
        SignalKind::ErrorRatio => &[Feed::Errors],
        SignalKind::LatencyP95 => &[Feed::Latency],
        SignalKind::PoolUtilisation => &[Feed::PoolActive],
        SignalKind::ConsumerLagSeconds => &[Feed::ConsumerLagSeconds],
        SignalKind::ReadModelLag | SignalKind::Metric => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::increase;

    #[test]
    fn increase_starts_at_the_scrape_before_the_window_and_survives_resets() {
        let p = [(0, 10.0), (1000, 12.0), (2000, 15.0), (3000, 2.0)];
        assert_eq!(increase(&p, 1500, 0), Some(3.0 + 2.0), "from the 1000 scrape; a reset counts from 0");
        assert_eq!(increase(&p, 2500, 0), Some(2.0), "a window shorter than a scrape: the last two");
        assert_eq!(increase(&p[..1], 0, 0), None, "one point is no increase");
        let born = [(5000, 4.0), (6000, 6.0)];
        assert_eq!(increase(&born, 4500, 0), Some(6.0), "a series new since the instance was first seen");
        assert_eq!(increase(&born, 4500, 5000), Some(2.0), "an old series the hub just began to see");
    }
}
