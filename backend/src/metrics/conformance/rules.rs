//! The ten rules of the shared metric format, each a name, what it checks, and a function.

use super::{Rule, Scrape, Verdict};
use exposition::{Family, Format, MetricType};
use std::collections::BTreeMap;
use types::RuleStatus;

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

fn is_snake(name: &str) -> bool {
    name.bytes().next().is_some_and(|c| c.is_ascii_lowercase() || c == b'_')
        && name.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'_')
}

/// Problems with a family the service must have fail; elsewhere they warn.
fn severity(wanted: bool) -> RuleStatus {
    if wanted {
        RuleStatus::Fail
    } else {
        RuleStatus::Warn
    }
}

pub const FAMILY_PRESENT: Rule = Rule {
    name: "family_present",
    checks: "Every family the service's metric profiles require is exposed, and every profile the config names exists in the catalog.",
    run: |s, v| {
        let known = s.known_profiles();
        for p in s.profiles.iter().filter(|p| !known.contains(p.as_str())) {
            v.flag(RuleStatus::Fail, format!("the config names profile {p}, which the catalog does not define"));
        }
        for c in &s.wanted {
            if !s.present.contains_key(&c.name) {
                v.flag(RuleStatus::Fail, format!("{} ({} {}) is missing", c.name, c.profile, c.kind));
            }
        }
        format!("{} required families", s.wanted.len())
    },
};

pub const TYPE_MATCHES: Rule = Rule {
    name: "type_matches",
    checks: "Each catalog family is declared with its TYPE (counter, gauge, histogram…) as the catalog says.",
    run: |s, v| {
        for (c, f) in s.wanted_present() {
            if !f.typed && s.format == Format::Text {
                v.flag(RuleStatus::Fail, format!("{}: no TYPE line (expected {})", c.name, c.kind));
            } else if f.kind != c.metric_type() {
                v.flag(RuleStatus::Fail, format!("{}: {}, expected {}", c.name, f.kind.as_str(), c.kind));
            }
        }
        format!("{} catalog families", s.wanted.len())
    },
};

pub const UNIT_SUFFIX: Rule = Rule {
    name: "unit_suffix",
    checks: "Names end in their base unit (_seconds, _bytes) and counters in _total; a declared UNIT matches the catalog.",
    run: |s, v| {
        for (c, f) in s.wanted_present() {
            if let Some(unit) = f.unit.filter(|u| !u.is_empty() && *u != c.unit) {
                v.flag(RuleStatus::Fail, format!("{}: UNIT {unit}, expected {}", c.name, c.unit));
            }
        }
        for (name, f, wanted) in s.families() {
            if f.kind == MetricType::Counter && !name.ends_with("_total") {
                v.flag(severity(wanted.is_some()), format!("{name}: a counter's name ends in _total"));
            }
            if let Some(u) = NON_BASE_UNITS.iter().find(|u| name.trim_end_matches("_total").ends_with(*u)) {
                v.flag(RuleStatus::Warn, format!("{name}: use base units ({u} → _seconds or _bytes)"));
            }
            if let Some(c) = wanted.filter(|c| !c.unit.is_empty()) {
                if !name.trim_end_matches("_total").ends_with(&format!("_{}", c.unit)) {
                    v.flag(RuleStatus::Fail, format!("{name}: should end in _{}", c.unit));
                }
            }
        }
        format!("{} families", s.exp.families.len())
    },
};

pub const REQUIRED_LABELS: Rule = Rule {
    name: "required_labels",
    checks:
        "Every series of a catalog family carries the labels the catalog requires (route, status, pool…).",
    run: |s, v| {
        for (c, f) in s.wanted_present() {
            for sample in s.exp.samples_of(f) {
                let labels = s.exp.labels_of(sample);
                if let Some(missing) =
                    c.required_labels.iter().find(|r| !labels.iter().any(|l| l.name == r.as_str()))
                {
                    v.flag(RuleStatus::Fail, format!("{} has no {missing} label", s.series(sample)));
                }
            }
        }
        "the catalog families' series".to_string()
    },
};

pub const ALLOWED_LABELS: Rule = Rule {
    name: "allowed_labels",
    checks: "A catalog family carries no label beyond those the catalog allows (le and quantile aside).",
    run: |s, v| {
        for (c, f) in s.wanted_present() {
            for sample in s.exp.samples_of(f) {
                if let Some(extra) = s.exp.labels_of(sample).iter().find(|l| {
                    l.name != "le" && l.name != "quantile" && !c.allowed_labels.iter().any(|a| a == l.name)
                }) {
                    v.flag(
                        RuleStatus::Fail,
                        format!("{}: label {} is not allowed", s.series(sample), extra.name),
                    );
                }
            }
        }
        "the catalog families' series".to_string()
    },
};

pub const CARDINALITY: Rule = Rule {
    name: "cardinality",
    checks: "No family has more series than its limit in the catalog (or the catalog's default limit).",
    run: |s, v| {
        for (c, f) in s.wanted_present() {
            let (heads, limit) = (s.series_count(f), c.max_series.unwrap_or(s.catalog.default_max_series));
            if heads > limit {
                v.flag(RuleStatus::Fail, format!("{}: {heads} series, limit {limit}", c.name));
            }
        }
        let limit = s.catalog.default_max_series;
        for (name, f, wanted) in s.families() {
            let heads = s.series_count(f);
            if wanted.is_none() && heads > limit {
                v.flag(RuleStatus::Warn, format!("{name}: {heads} series, default limit {limit}"));
            }
        }
        format!("{} families", s.exp.families.len())
    },
};

pub const SNAKE_CASE: Rule = Rule {
    name: "snake_case",
    checks: "Metric and label names are snake_case.",
    run: |s, v| {
        for (_, f, wanted) in s.families() {
            if !is_snake(f.name) {
                v.flag(severity(wanted.is_some()), format!("{}: metric names are snake_case", f.name));
            }
            for sample in s.exp.samples_of(f) {
                for l in s.exp.labels_of(sample).iter().filter(|l| !is_snake(l.name)) {
                    v.flag(
                        RuleStatus::Warn,
                        format!("{}: label {} is not snake_case", s.series(sample), l.name),
                    );
                }
            }
        }
        format!("{} families", s.exp.families.len())
    },
};

pub const HISTOGRAM_BUCKETS: Rule = Rule {
    name: "histogram_buckets",
    checks: "Histogram buckets have numeric, rising le bounds, a +Inf bucket, cumulative counts, and _count equal to +Inf.",
    run: |s, v| {
        for f in &s.exp.families {
            if matches!(f.kind, MetricType::Histogram | MetricType::GaugeHistogram) {
                check_buckets(s, f, v);
            }
        }
        "every histogram".to_string()
    },
};

pub const HELP_PRESENT: Rule = Rule {
    name: "help_present",
    checks: "Every family has a HELP text.",
    run: |s, v| {
        for (name, f, wanted) in s.families() {
            if f.help.as_deref().is_none_or(str::is_empty) {
                v.flag(severity(wanted.is_some()), format!("{name} has no HELP"));
            }
        }
        format!("{} families", s.exp.families.len())
    },
};

pub const PROMTOOL_LINT: Rule = Rule {
    name: "promtool_lint",
    checks: "What promtool check metrics warns of: _total on a non-counter, a type repeated in the name, reserved __ labels.",
    run: |s, v| {
        for (name, f, _) in s.families() {
            if f.kind != MetricType::Counter && f.typed && name.ends_with("_total") {
                v.flag(RuleStatus::Warn, format!("{name}: _total is for counters, this is a {}", f.kind.as_str()));
            }
            for suffix in ["_gauge", "_counter", "_histogram", "_summary"] {
                if name.trim_end_matches("_total").ends_with(suffix) {
                    v.flag(RuleStatus::Warn, format!("{name}: the name should not repeat its type"));
                }
            }
            for sample in s.exp.samples_of(f) {
                for _ in s.exp.labels_of(sample).iter().filter(|l| l.name.starts_with("__")) {
                    v.flag(
                        RuleStatus::Fail,
                        format!("{}: label names starting with __ are reserved", s.series(sample)),
                    );
                }
            }
        }
        format!("{} families", s.exp.families.len())
    },
};

/// One histogram series: its buckets (le, count) in exposed order, and `_count`.
type SeriesBuckets = (Vec<(f64, f64)>, Option<f64>);

/// `le` parses and rises, `+Inf` is there, counts never fall, `_count` equals `+Inf`.
fn check_buckets(s: &Scrape<'_, '_>, f: &Family<'_>, v: &mut Verdict) {
    // Per series (labels without le): the buckets in exposed order, and the count.
    let mut by_series: BTreeMap<String, SeriesBuckets> = BTreeMap::new();
    for sample in s.exp.samples_of(f) {
        let key: Vec<String> = s
            .exp
            .labels_of(sample)
            .iter()
            .filter(|l| l.name != "le")
            .map(|l| format!("{}={}", l.name, l.value))
            .collect();
        let entry = by_series.entry(key.join(",")).or_default();
        if sample.name.ends_with("_bucket") {
            match s.exp.label(sample, "le").and_then(|le| le.parse::<f64>().ok()) {
                Some(le) => entry.0.push((le, sample.value)),
                None => {
                    v.flag(RuleStatus::Fail, format!("{}: le is missing or not a number", s.series(sample)))
                }
            }
        } else if sample.name.ends_with("_count") {
            entry.1 = Some(sample.value);
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
