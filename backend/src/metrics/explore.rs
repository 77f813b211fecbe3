//! The metric explorer: any family a service exposes, filtered by labels, from the history.
//! Counters are drawn as per-second rates and histograms as p50/p95/p99 unless the raw
//! values are asked for; a label filter that does not read is said beside the field.

use super::chart::{chart, ChartInput, DrawError};
use super::histogram::quantile_over_time;
use super::history::{History, SeriesKey};
use super::panels::{rate, Line};
use exposition::MetricType;
use std::collections::BTreeMap;
use types::units::Unit;
use types::{ExploreRow, ExploreView};

const MAX_ROWS: usize = 200;

/// A series and its points.
type Found = (SeriesKey, Vec<(i64, f64)>);
const QUANTILES: [(f64, &str); 3] = [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")];

/// `name=value, name2=value2` (exact matches); an error names the part it cannot read.
pub fn parse_matchers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(n, v)| (n.trim().to_string(), v.trim().trim_matches('"').to_string()))
                .filter(|(n, v)| !n.is_empty() && !v.is_empty())
                .ok_or_else(|| format!("{p:?} is not name=value (for example pool=orders-api-workers)"))
        })
        .collect()
}

fn label_text(k: &SeriesKey) -> String {
    k.labels.iter().map(|(n, v)| format!("{n}=\"{v}\"")).collect::<Vec<_>>().join(", ")
}

pub struct Query<'a> {
    pub services: Vec<String>,
    pub service: &'a str,
    pub metric: &'a str,
    pub labels: &'a str,
    /// `raw` for the values as scraped; anything else lets the metric's type decide.
    pub mode: &'a str,
    pub from: i64,
    pub to: i64,
    pub fit: bool,
}

/// How a metric is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shown {
    Value,
    Rate,
    Quantiles,
}

impl Shown {
    fn text(self) -> &'static str {
        match self {
            Shown::Value => "value",
            Shown::Rate => "rate per second",
            Shown::Quantiles => "p50, p95, p99",
        }
    }
}

/// The names to pick from: every sample name, and each histogram by its family name.
fn names(history: &History, service: &str) -> Vec<String> {
    let mut names = history.names(service);
    let histograms: Vec<String> = names
        .iter()
        .filter_map(|n| n.strip_suffix("_bucket"))
        .filter(|base| matches!(history.kind_of(service, base), Some(MetricType::Histogram)))
        .map(str::to_string)
        .collect();
    names.extend(histograms);
    names.sort_unstable();
    names.dedup();
    names
}

fn unit_of(metric: &str, shown: Shown) -> Unit {
    let base = metric.trim_end_matches("_total");
    match shown {
        Shown::Rate => Unit::PerSecond,
        _ if base.ends_with("_seconds") => Unit::Seconds,
        _ if base.ends_with("_bytes") => Unit::Bytes,
        _ => Unit::Count,
    }
}

pub fn explore(history: &History, q: &Query<'_>) -> Result<ExploreView, DrawError> {
    let mut view = ExploreView {
        services: q.services.clone(),
        names: if q.service.is_empty() { vec![] } else { names(history, q.service) },
        shown: String::new(),
        chart: None,
        rows: vec![],
        truncated: false,
        label_error: None,
    };
    if q.metric.is_empty() {
        return Ok(view);
    }
    let matchers = match parse_matchers(q.labels) {
        Ok(m) => m,
        Err(why) => {
            view.label_error = Some(why);
            return Ok(view);
        }
    };
    let histogram = matches!(history.kind_of(q.service, q.metric), Some(MetricType::Histogram))
        && !q.metric.ends_with("_bucket");
    let counter = matches!(history.kind_of(q.service, q.metric), Some(MetricType::Counter))
        || q.metric.ends_with("_total")
        || (q.metric.ends_with("_count") || q.metric.ends_with("_sum"))
            && matches!(
                history.kind_of(q.service, q.metric),
                Some(MetricType::Histogram | MetricType::Summary)
            );
    let shown = match (q.mode, histogram, counter) {
        ("raw", false, _) => Shown::Value,
        (_, true, _) => Shown::Quantiles,
        (_, false, true) => Shown::Rate,
        _ => Shown::Value,
    };
    let name = if histogram { format!("{}_bucket", q.metric) } else { q.metric.to_string() };
    // One point before the range, so the first rate in it can be computed.
    let found: Vec<Found> = history
        .query(q.service, None, &name, q.from - 60_000, q.to)
        .into_iter()
        .filter(|(k, _)| matchers.iter().all(|(n, v)| k.label(n) == Some(v.as_str())))
        .collect();
    let lines = match shown {
        Shown::Value => found.iter().map(|(k, p)| series_line(k, p.clone())).collect(),
        Shown::Rate => found.iter().map(|(k, p)| series_line(k, rate(p))).collect(),
        Shown::Quantiles => quantile_lines(&found),
    };
    let lines: Vec<Line> = lines
        .into_iter()
        .map(|l: Line| Line { points: l.points.into_iter().filter(|(t, _)| *t >= q.from).collect(), ..l })
        .collect();
    let input = ChartInput {
        markers: &[],
        exemplars: &[],
        lines: &lines,
        shaded: &[],
        refs: &[],
        bands: &[],
        unit: unit_of(q.metric, shown),
        from: q.from,
        to: q.to,
        fit: q.fit,
        log: false,
    };
    view.chart = Some(chart(&input)?);
    view.shown = shown.text().to_string();
    view.truncated = found.len() > MAX_ROWS;
    view.rows = found.iter().take(MAX_ROWS).map(|(k, p)| row(k, p, q.from)).collect();
    Ok(view)
}

fn series_line(k: &SeriesKey, points: Vec<(i64, f64)>) -> Line {
    let labels = label_text(k);
    let label = if labels.is_empty() { k.instance.clone() } else { format!("{} {{{labels}}}", k.instance) };
    Line { label, points }
}

/// p50, p95 and p99 per instance, from the buckets summed over their other labels.
fn quantile_lines(found: &[Found]) -> Vec<Line> {
    let mut by_instance: BTreeMap<&str, Vec<Found>> = BTreeMap::new();
    for (k, p) in found {
        by_instance.entry(&k.instance).or_default().push((k.clone(), p.clone()));
    }
    by_instance
        .into_iter()
        .flat_map(|(instance, series)| {
            QUANTILES.map(|(q, name)| Line {
                label: format!("{instance} {name}"),
                points: quantile_over_time(&series, q),
            })
        })
        .collect()
}

fn row(k: &SeriesKey, p: &[(i64, f64)], from: i64) -> ExploreRow {
    let in_range: Vec<f64> = p.iter().filter(|(t, _)| *t >= from).map(|x| x.1).collect();
    let values = in_range.iter().copied().filter(|v| v.is_finite());
    ExploreRow {
        instance: k.instance.clone(),
        labels: label_text(k),
        last: in_range.last().copied().unwrap_or(f64::NAN),
        min: values.clone().fold(f64::INFINITY, f64::min),
        max: values.fold(f64::NEG_INFINITY, f64::max),
        points: in_range.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exposition::{parse, Format, Limits};
    use std::time::Duration;

    fn history() -> History {
        let h = History::new(Duration::from_secs(3600));
        for t in 0..5i64 {
            let n = t * 10;
            let body = format!(
                "# TYPE m gauge\nm{{zone=\"a\"}} {t}\nm{{zone=\"b\"}} {}\n# TYPE c counter\nc_total {n}\n\
                 # TYPE h histogram\nh_bucket{{le=\"0.1\"}} {n}\nh_bucket{{le=\"1\"}} {}\nh_bucket{{le=\"+Inf\"}} {}\nh_count {}\n",
                t * 2,
                n * 2,
                n * 2,
                n * 2
            );
            h.append(
                "svc",
                "svc-1",
                &parse(&body, Format::Text, &Limits::default()).expect("parses"),
                t * 1000,
            );
        }
        h
    }

    fn query<'a>(metric: &'a str, labels: &'a str, mode: &'a str) -> Query<'a> {
        Query {
            services: vec!["svc".into()],
            service: "svc",
            metric,
            labels,
            mode,
            from: 0,
            to: 10_000,
            fit: false,
        }
    }

    #[test]
    fn picks_a_family_and_filters_by_labels() {
        let h = history();
        let view = explore(&h, &query("m", "zone = \"b\"", "")).expect("explores");
        assert!(view.names.contains(&"h".to_string()), "a histogram by its family: {:?}", view.names);
        assert_eq!(view.shown, "value");
        assert_eq!(view.rows.len(), 1);
        assert_eq!(view.rows[0].labels, "zone=\"b\"");
        assert_eq!(
            (view.rows[0].last, view.rows[0].min, view.rows[0].max, view.rows[0].points),
            (8.0, 0.0, 8.0, 5)
        );
        assert!(view.chart.is_some_and(|c| c.series[0].label.contains("svc-1")));
    }

    #[test]
    fn counters_are_rates_histograms_quantiles_and_a_bad_filter_is_said() {
        let h = history();
        let rate = explore(&h, &query("c_total", "", "")).expect("explores");
        assert_eq!(rate.shown, "rate per second");
        assert_eq!(rate.chart.as_ref().unwrap().series[0].last, Some(10.0));
        let raw = explore(&h, &query("c_total", "", "raw")).expect("explores");
        assert_eq!(raw.chart.unwrap().series[0].last, Some(40.0));
        let q = explore(&h, &query("h", "", "")).expect("explores");
        assert_eq!(q.shown, "p50, p95, p99");
        let labels: Vec<String> = q.chart.unwrap().series.iter().map(|s| s.label.clone()).collect();
        assert!(labels.contains(&"svc-1 p95".to_string()), "{labels:?}");
        let bad = explore(&h, &query("m", "zone", "")).expect("explores");
        assert!(bad.label_error.is_some_and(|e| e.contains("\"zone\" is not name=value")));
        assert!(bad.chart.is_none() && !bad.names.is_empty(), "the form keeps its choices");
    }
}
