//! What the failing events have in common (BubbleUp's idea): for each attribute of the
//! error counter's series (its labels, and the instance), the share of the errors in the
//! alert's window each value holds, against that value's share of the requests in the
//! baseline before the window. Values far over their share are what the failures share.

use super::signal::Scope;
use crate::metrics::history::SeriesKey;
use crate::metrics::Feed;
use std::collections::BTreeMap;
use types::alerts::ContextRow;

/// A value is over-represented when it holds at least this share of the failures…
const MIN_SHARE: f64 = 0.2;
/// …this many times its share of the baseline…
const MIN_LIFT: f64 = 1.5;
/// …in at least this many failing events…
const MIN_EVENTS: f64 = 3.0;
/// …and more than chance would give: this many standard deviations over the count its
/// baseline share predicts (a handful of failures on a quiet service is mostly noise).
const MIN_Z: f64 = 2.5;
/// A value of an attribute the baseline does not carry is named only above this share.
const ALONE_SHARE: f64 = 0.5;
/// Rows kept.
const MAX_ROWS: usize = 12;

type Series = [(SeriesKey, f64)];

/// Labels that say nothing about a request.
fn ignored(label: &str) -> bool {
    matches!(label, "le" | "quantile" | "job" | "__name__")
}

fn value_of<'a>(k: &'a SeriesKey, attribute: &str) -> Option<&'a str> {
    if attribute == "instance" {
        Some(&k.instance)
    } else {
        k.label(attribute)
    }
}

/// (attribute, value) → summed increase, and the total, over the series `keep` admits.
fn shares(list: &Series, keep: &dyn Fn(&SeriesKey) -> bool) -> (BTreeMap<(String, String), f64>, f64) {
    let mut by: BTreeMap<(String, String), f64> = BTreeMap::new();
    let mut total = 0.0;
    for (k, v) in list.iter().filter(|(k, v)| *v > 0.0 && keep(k)) {
        total += v;
        *by.entry(("instance".into(), k.instance.clone())).or_default() += v;
        for (n, value) in k.labels.iter().filter(|(n, _)| !ignored(n)) {
            *by.entry((n.clone(), value.clone())).or_default() += v;
        }
    }
    (by, total)
}

/// How far `k` of `n` failures lie above what a baseline share `p` predicts, in standard
/// deviations (binomial).
fn z_score(k: f64, n: f64, p: f64) -> f64 {
    if p <= 0.0 {
        return if k > 0.0 { f64::INFINITY } else { 0.0 };
    }
    if p >= 1.0 {
        return 0.0;
    }
    (k - n * p) / (n * p * (1.0 - p)).sqrt()
}

/// The rows of the values over-represented among `failing` against `baseline` (both only
/// over the series `keep` admits), with each row's z-score.
fn candidates(
    failing: &Series,
    baseline: &Series,
    keep: &dyn Fn(&SeriesKey) -> bool,
) -> Vec<(ContextRow, f64)> {
    let (failed_by, failed) = shares(failing, keep);
    let (base_by, traffic) = shares(baseline, keep);
    if failed <= 0.0 {
        return Vec::new();
    }
    let carried: std::collections::HashSet<&str> = base_by.keys().map(|(a, _)| a.as_str()).collect();
    failed_by
        .iter()
        .filter_map(|((attribute, value), k)| {
            let failing_share = k / failed;
            let base = carried.contains(attribute.as_str()).then(|| {
                base_by.get(&(attribute.clone(), value.clone())).copied().unwrap_or(0.0)
                    / traffic.max(f64::MIN_POSITIVE)
            });
            let lift = base.filter(|b| *b > 0.0).map(|b| failing_share / b);
            let z = base.map_or(0.0, |b| z_score(*k, failed, b));
            let telling = match base {
                Some(_) => {
                    *k >= MIN_EVENTS
                        && failing_share >= MIN_SHARE
                        && lift.is_none_or(|l| l >= MIN_LIFT)
                        && z >= MIN_Z
                }
                None => *k >= MIN_EVENTS && failing_share >= ALONE_SHARE,
            };
            let row = ContextRow {
                attribute: attribute.clone(),
                value: value.clone(),
                failing_share,
                baseline_share: base,
                lift,
            };
            telling.then_some((row, z))
        })
        .collect()
}

/// The context of `failing` events (error counter increases) against the `baseline`
/// (request counter increases before them). A value of another attribute that the strongest
/// value explains (no longer over-represented within the events that carry the strongest) is
/// left out: when pro users fail on the route pro users use, the route is not the news.
pub fn compare(failing: &Series, baseline: &Series) -> Vec<ContextRow> {
    let mut rows = candidates(failing, baseline, &|_| true);
    rows.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| b.0.failing_share.total_cmp(&a.0.failing_share)));
    let Some((top, _)) = rows.iter().find(|(r, _)| r.baseline_share.is_some()).cloned() else {
        return rows.into_iter().map(|(r, _)| r).take(MAX_ROWS).collect();
    };
    let within_top = |k: &SeriesKey| value_of(k, &top.attribute) == Some(top.value.as_str());
    let still: std::collections::HashSet<(String, String)> =
        candidates(failing, baseline, &within_top).into_iter().map(|(r, _)| (r.attribute, r.value)).collect();
    rows.into_iter()
        .map(|(r, _)| r)
        .filter(|r| {
            r.attribute == top.attribute
                || r.baseline_share.is_none()
                || still.contains(&(r.attribute.clone(), r.value.clone()))
        })
        .take(MAX_ROWS)
        .collect()
}

/// The context of an error-ratio alert over `scope` (its window), against the requests of
/// the `baseline_ms` before it and of the window.
pub fn of_errors(scope: &Scope<'_>, baseline_ms: i64) -> Vec<ContextRow> {
    let failing = scope.increases(Feed::Errors, scope.from);
    // All the traffic from the baseline's start to now: a value whose traffic began in the
    // window (an instance the hub only just saw) then has its share, not a share of zero.
    let all = Scope { from: scope.from - baseline_ms, ..*scope };
    compare(&failing, &all.increases(Feed::Requests, all.from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::signal::Reads;
    use crate::metrics::catalog::{MetricCatalog, SHIPPED};
    use crate::metrics::history::History;
    use exposition::{parse, Format, Limits};

    fn scrape(h: &History, instance: &str, t: i64, pro_errors: f64, requests: f64) {
        // Pro is a fifth of the traffic on both routes; only pro fails.
        let body = format!(
            "# TYPE http_requests_total counter\n\
             http_requests_total{{route=\"/a\",user_group=\"pro\"}} {r1}\n\
             http_requests_total{{route=\"/a\",user_group=\"retail\"}} {r4}\n\
             http_requests_total{{route=\"/b\",user_group=\"pro\"}} {r1}\n\
             http_requests_total{{route=\"/b\",user_group=\"retail\"}} {r4}\n\
             # TYPE http_request_errors_total counter\n\
             http_request_errors_total{{route=\"/a\",user_group=\"pro\",kind=\"injected\"}} {e}\n\
             http_request_errors_total{{route=\"/b\",user_group=\"pro\",kind=\"injected\"}} {e}\n",
            r1 = requests,
            r4 = requests * 4.0,
            e = pro_errors,
        );
        let exp = parse(&body, Format::Text, &Limits::default()).expect("parses");
        h.append("api", instance, &exp, t);
    }

    #[test]
    fn the_failures_share_the_user_group_not_the_route_or_the_instance() {
        let catalog = MetricCatalog::parse(SHIPPED, "shipped").expect("valid");
        let h = History::new(std::time::Duration::from_secs(3600));
        for (i, t) in (0..=20).map(|s| s * 1000).enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "small")]
            let n = i as f64 * 10.0;
            // Errors from t = 15 s: half of pro's requests.
            let e = if t >= 15_000 { (n - 150.0) * 0.5 } else { 0.0 };
            for inst in ["api-1", "api-2"] {
                scrape(&h, inst, t, e, n);
            }
        }
        let reads = Reads::new(&h, "api", 0, 20_000);
        let scope = Scope { reads: &reads, signals: catalog.signals(), from: 15_000, to: 20_000 };
        let rows = of_errors(&scope, 10_000);
        let named: Vec<String> = rows.iter().map(|r| format!("{}={}", r.attribute, r.value)).collect();
        assert!(named.contains(&"user_group=pro".to_string()), "{named:?}");
        assert!(!named.iter().any(|n| n.starts_with("route=") || n.starts_with("instance=")), "{named:?}");
        let pro = rows.iter().find(|r| r.value == "pro").expect("pro");
        assert!(
            (pro.failing_share - 1.0).abs() < 1e-9 && (pro.baseline_share.unwrap_or(0.0) - 0.2).abs() < 1e-9,
            "{pro:?}"
        );
        assert_eq!(pro.sentence(), "user_group=pro: 100 % of errors, 20 % of traffic");
    }

    fn key(instance: &str, labels: &[(&str, &str)]) -> SeriesKey {
        SeriesKey {
            service: "api".into(),
            instance: instance.into(),
            name: "x".into(),
            labels: labels.iter().map(|(n, v)| ((*n).to_string(), (*v).to_string())).collect(),
        }
    }

    #[test]
    fn a_route_only_the_failing_group_uses_is_explained_by_the_group_and_noise_is_not_news() {
        // Pro users only call /b (as do a few retail users); every pro request fails.
        let baseline = vec![
            (key("i1", &[("route", "/a"), ("user_group", "retail")]), 350.0),
            (key("i1", &[("route", "/b"), ("user_group", "retail")]), 50.0),
            (key("i1", &[("route", "/b"), ("user_group", "pro")]), 100.0),
        ];
        let failing = vec![(key("i1", &[("route", "/b"), ("user_group", "pro")]), 50.0)];
        let rows = compare(&failing, &baseline);
        let named: Vec<String> = rows.iter().map(|r| format!("{}={}", r.attribute, r.value)).collect();
        assert_eq!(named, ["user_group=pro"], "{rows:?}");
        // Two failures out of three on a value with a third of the traffic: chance, not news.
        let baseline = vec![(key("i1", &[("route", "/a")]), 200.0), (key("i1", &[("route", "/b")]), 100.0)];
        let failing = vec![(key("i1", &[("route", "/a")]), 1.0), (key("i1", &[("route", "/b")]), 2.0)];
        assert!(compare(&failing, &baseline).is_empty());
    }
}
