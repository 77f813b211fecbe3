//! The conformance rules: one exposition against the shared catalog, like
//! `promtool check metrics` but against the company's own format.

use super::catalog::{CatalogFamily, MetricCatalog, ALWAYS};
use exposition::{Exposition, Family, Format, MetricType, Sample};
use std::collections::{BTreeMap, HashSet};
use types::{RuleResult, RuleStatus};

pub const RULES: [&str; 10] = [
    "family_present",
    "type_matches",
    "unit_suffix",
    "required_labels",
    "allowed_labels",
    "cardinality",
    "snake_case",
    "histogram_buckets",
    "help_present",
    "promtool_lint",
];

const MAX_EXAMPLES: usize = 5;
const NON_BASE_UNITS: [&str; 9] = [
    "_milliseconds",
    "_microseconds",
    "_nanoseconds",
    "_minutes",
    "_hours",
    "_kilobytes",
    "_megabytes",
    "_ms",
    "_percent",
];

/// Collects a rule's findings; the worst finding is the rule's status.
struct Verdict {
    rule: &'static str,
    status: RuleStatus,
    problems: usize,
    examples: Vec<String>,
}

impl Verdict {
    fn new(rule: &'static str) -> Verdict {
        Verdict { rule, status: RuleStatus::Pass, problems: 0, examples: Vec::new() }
    }

    fn flag(&mut self, status: RuleStatus, example: String) {
        self.status = self.status.max(status);
        self.problems += 1;
        if self.examples.len() < MAX_EXAMPLES && !self.examples.contains(&example) {
            self.examples.push(example);
        }
    }

    fn done(self, checked: &str) -> RuleResult {
        let detail = match self.problems {
            0 => format!("ok: {checked}"),
            n => format!("{n} problem{} in {checked}", if n == 1 { "" } else { "s" }),
        };
        RuleResult { rule: self.rule.to_string(), status: self.status, detail, examples: self.examples }
    }
}

/// The name the catalog uses: an OpenMetrics counter family is exposed without `_total`.
fn canonical(f: &Family<'_>, format: Format) -> String {
    if format == Format::OpenMetrics && f.kind == MetricType::Counter && !f.name.ends_with("_total") {
        format!("{}_total", f.name)
    } else {
        f.name.to_string()
    }
}

fn series(exp: &Exposition<'_>, s: &Sample<'_>) -> String {
    let labels: Vec<String> =
        exp.labels_of(s).iter().map(|l| format!("{}=\"{}\"", l.name, l.value)).collect();
    if labels.is_empty() {
        s.name.to_string()
    } else {
        format!("{}{{{}}}", s.name, labels.join(","))
    }
}

fn is_snake(name: &str) -> bool {
    name.bytes().next().is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
        && name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Samples that name one series (not each bucket or quantile of it).
fn is_series_head(f: &Family<'_>, s: &Sample<'_>) -> bool {
    match f.kind {
        MetricType::Histogram | MetricType::GaugeHistogram | MetricType::Summary => {
            s.name.ends_with("_count")
        }
        _ => !s.name.ends_with("_created"),
    }
}

pub fn check(
    exp: &Exposition<'_>,
    format: Format,
    catalog: &MetricCatalog,
    profiles: &[String],
) -> Vec<RuleResult> {
    let present: BTreeMap<String, &Family<'_>> =
        exp.families.iter().map(|f| (canonical(f, format), f)).collect();
    let wanted: Vec<&CatalogFamily> =
        catalog.families.iter().filter(|c| c.profile == ALWAYS || profiles.contains(&c.profile)).collect();
    let known: HashSet<&str> = catalog.profiles().into_iter().collect();
    let mut out = Vec::with_capacity(RULES.len());

    let mut v = Verdict::new("family_present");
    for p in profiles.iter().filter(|p| !known.contains(p.as_str())) {
        v.flag(RuleStatus::Fail, format!("the config names profile {p}, which the catalog does not define"));
    }
    for c in &wanted {
        if !present.contains_key(&c.name) {
            v.flag(RuleStatus::Fail, format!("{} ({} {}) is missing", c.name, c.profile, c.kind));
        }
    }
    out.push(v.done(&format!("{} required families", wanted.len())));

    let mut types = Verdict::new("type_matches");
    let mut units = Verdict::new("unit_suffix");
    let mut required = Verdict::new("required_labels");
    let mut allowed = Verdict::new("allowed_labels");
    let mut cardinality = Verdict::new("cardinality");
    for c in &wanted {
        let Some(f) = present.get(&c.name) else { continue };
        let expected = c.metric_type();
        if !f.typed && format == Format::Text {
            types.flag(RuleStatus::Fail, format!("{}: no TYPE line (expected {})", c.name, c.kind));
        } else if f.kind != expected {
            types.flag(RuleStatus::Fail, format!("{}: {}, expected {}", c.name, f.kind.as_str(), c.kind));
        }
        if let Some(unit) = f.unit.filter(|u| !u.is_empty() && *u != c.unit) {
            units.flag(RuleStatus::Fail, format!("{}: UNIT {unit}, expected {}", c.name, c.unit));
        }
        let mut heads = 0usize;
        for s in exp.samples_of(f) {
            let labels = exp.labels_of(s);
            if let Some(missing) =
                c.required_labels.iter().find(|r| !labels.iter().any(|l| l.name == r.as_str()))
            {
                required.flag(RuleStatus::Fail, format!("{} has no {missing} label", series(exp, s)));
            }
            if let Some(extra) = labels.iter().find(|l| {
                l.name != "le" && l.name != "quantile" && !c.allowed_labels.iter().any(|a| a == l.name)
            }) {
                allowed.flag(
                    RuleStatus::Fail,
                    format!("{}: label {} is not allowed", series(exp, s), extra.name),
                );
            }
            heads += usize::from(is_series_head(f, s));
        }
        let limit = c.max_series.unwrap_or(catalog.default_max_series);
        if heads > limit {
            cardinality.flag(RuleStatus::Fail, format!("{}: {heads} series, limit {limit}", c.name));
        }
    }
    let mut snake = Verdict::new("snake_case");
    let mut buckets = Verdict::new("histogram_buckets");
    let mut help = Verdict::new("help_present");
    let mut lint = Verdict::new("promtool_lint");
    for f in &exp.families {
        let name = canonical(f, format);
        let in_catalog = wanted.iter().any(|c| c.name == name);
        let severity = if in_catalog { RuleStatus::Fail } else { RuleStatus::Warn };
        if f.kind == MetricType::Counter && !name.ends_with("_total") {
            units.flag(severity, format!("{name}: a counter's name ends in _total"));
        }
        if f.kind != MetricType::Counter && f.typed && name.ends_with("_total") {
            lint.flag(
                RuleStatus::Warn,
                format!("{name}: _total is for counters, this is a {}", f.kind.as_str()),
            );
        }
        if let Some(u) = NON_BASE_UNITS.iter().find(|u| name.trim_end_matches("_total").ends_with(*u)) {
            units.flag(RuleStatus::Warn, format!("{name}: use base units ({u} → _seconds or _bytes)"));
        }
        if let Some(c) = wanted.iter().find(|c| c.name == name).filter(|c| !c.unit.is_empty()) {
            if !name.trim_end_matches("_total").ends_with(&format!("_{}", c.unit)) {
                units.flag(RuleStatus::Fail, format!("{name}: should end in _{}", c.unit));
            }
        }
        if !is_snake(f.name) {
            snake.flag(severity, format!("{}: metric names are snake_case", f.name));
        }
        for suffix in ["_gauge", "_counter", "_histogram", "_summary"] {
            if name.trim_end_matches("_total").ends_with(suffix) {
                lint.flag(RuleStatus::Warn, format!("{name}: the name should not repeat its type"));
            }
        }
        if f.help.as_deref().is_none_or(str::is_empty) {
            help.flag(severity, format!("{name} has no HELP"));
        }
        let mut heads = 0usize;
        for s in exp.samples_of(f) {
            for l in exp.labels_of(s) {
                if !is_snake(l.name) {
                    snake.flag(
                        RuleStatus::Warn,
                        format!("{}: label {} is not snake_case", series(exp, s), l.name),
                    );
                }
                if l.name.starts_with("__") {
                    lint.flag(
                        RuleStatus::Fail,
                        format!("{}: label names starting with __ are reserved", series(exp, s)),
                    );
                }
            }
            heads += usize::from(is_series_head(f, s));
        }
        if !in_catalog && heads > catalog.default_max_series {
            cardinality.flag(
                RuleStatus::Warn,
                format!("{name}: {heads} series, default limit {}", catalog.default_max_series),
            );
        }
        if matches!(f.kind, MetricType::Histogram | MetricType::GaugeHistogram) {
            check_buckets(exp, f, &mut buckets);
        }
    }
    let families = exp.families.len();
    out.push(types.done(&format!("{} catalog families", wanted.len())));
    out.push(units.done(&format!("{families} families")));
    out.push(required.done("the catalog families' series"));
    out.push(allowed.done("the catalog families' series"));
    out.push(cardinality.done(&format!("{families} families")));
    out.push(snake.done(&format!("{families} families")));
    out.push(buckets.done("every histogram"));
    out.push(help.done(&format!("{families} families")));
    out.push(lint.done(&format!("{families} families")));
    out
}

/// One histogram series: its buckets (le, count, series text) in exposed order, and `_count`.
type SeriesBuckets = (Vec<(f64, f64, String)>, Option<f64>);

/// `le` parses and rises, `+Inf` is there, counts never fall, `_count` equals `+Inf`.
fn check_buckets(exp: &Exposition<'_>, f: &Family<'_>, v: &mut Verdict) {
    // Per series (labels without le): the buckets in exposed order, and the count.
    let mut by_series: BTreeMap<String, SeriesBuckets> = BTreeMap::new();
    for s in exp.samples_of(f) {
        let key: Vec<String> = exp
            .labels_of(s)
            .iter()
            .filter(|l| l.name != "le")
            .map(|l| format!("{}={}", l.name, l.value))
            .collect();
        let entry = by_series.entry(key.join(",")).or_default();
        if s.name.ends_with("_bucket") {
            match exp.label(s, "le").and_then(|le| le.parse::<f64>().ok()) {
                Some(le) => entry.0.push((le, s.value, series(exp, s))),
                None => {
                    v.flag(RuleStatus::Fail, format!("{}: le is missing or not a number", series(exp, s)))
                }
            }
        } else if s.name.ends_with("_count") {
            entry.1 = Some(s.value);
        }
    }
    for (key, (list, count)) in by_series {
        let name = if key.is_empty() { f.name.to_string() } else { format!("{}{{{key}}}", f.name) };
        if list.windows(2).any(|w| w[1].0 <= w[0].0) {
            v.flag(RuleStatus::Fail, format!("{name}: le is not in rising order"));
        }
        if list.windows(2).any(|w| w[1].1 < w[0].1) {
            v.flag(RuleStatus::Fail, format!("{name}: bucket counts fall (they are cumulative)"));
        }
        match list.iter().find(|b| b.0 == f64::INFINITY) {
            None => v.flag(RuleStatus::Fail, format!("{name}: no le=\"+Inf\" bucket")),
            Some(inf) => {
                if count.is_some_and(|c| (c - inf.1).abs() > f64::EPSILON) {
                    v.flag(RuleStatus::Fail, format!("{name}: _count differs from the +Inf bucket"));
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "conformance_tests.rs"]
mod tests;
