//! The conformance rules: one exposition against the shared catalog, like
//! `promtool check metrics` but against the company's own format. Each rule is a unit —
//! its name, what it checks, and a function — and `RULES` lists them: a new rule is one
//! entry there, and the matrix, the API and the pages follow.

mod rules;

use super::catalog::{CatalogFamily, MetricCatalog, ALWAYS};
use exposition::{Exposition, Family, Format, MetricType, Sample};
use std::collections::{BTreeMap, HashSet};
use types::{RuleResult, RuleStatus};

/// One conformance rule.
pub struct Rule {
    /// The rule's id in the matrix and the API.
    pub name: &'static str,
    /// What it checks, in a sentence, for the pages.
    pub checks: &'static str,
    /// Flags what is wrong; returns what was checked ("12 families").
    run: fn(&Scrape<'_, '_>, &mut Verdict) -> String,
}

pub const RULES: [Rule; 10] = [
    rules::FAMILY_PRESENT,
    rules::TYPE_MATCHES,
    rules::UNIT_SUFFIX,
    rules::REQUIRED_LABELS,
    rules::ALLOWED_LABELS,
    rules::CARDINALITY,
    rules::SNAKE_CASE,
    rules::HISTOGRAM_BUCKETS,
    rules::HELP_PRESENT,
    rules::PROMTOOL_LINT,
];

const MAX_EXAMPLES: usize = 5;

/// Collects a rule's findings; the worst finding is the rule's status.
pub struct Verdict {
    status: RuleStatus,
    problems: usize,
    examples: Vec<String>,
}

impl Verdict {
    fn new() -> Verdict {
        Verdict { status: RuleStatus::Pass, problems: 0, examples: Vec::new() }
    }

    fn flag(&mut self, status: RuleStatus, example: String) {
        self.status = self.status.max(status);
        self.problems += 1;
        if self.examples.len() < MAX_EXAMPLES && !self.examples.contains(&example) {
            self.examples.push(example);
        }
    }

    fn done(self, rule: &str, checked: &str) -> RuleResult {
        let detail = match self.problems {
            0 => format!("ok: {checked}"),
            n => format!("{n} problem{} in {checked}", if n == 1 { "" } else { "s" }),
        };
        RuleResult { rule: rule.to_string(), status: self.status, detail, examples: self.examples }
    }
}

/// One scrape as the rules see it: the exposition, and what the catalog wants of it.
pub struct Scrape<'e, 'c> {
    exp: &'e Exposition<'e>,
    format: Format,
    catalog: &'c MetricCatalog,
    profiles: &'c [String],
    /// The exposition's families by their catalog name.
    present: BTreeMap<String, &'e Family<'e>>,
    /// The catalog families the service's profiles require.
    wanted: Vec<&'c CatalogFamily>,
}

impl<'e, 'c> Scrape<'e, 'c> {
    fn new(
        exp: &'e Exposition<'e>,
        format: Format,
        catalog: &'c MetricCatalog,
        profiles: &'c [String],
    ) -> Scrape<'e, 'c> {
        let present = exp.families.iter().map(|f| (canonical(f, format), f)).collect();
        let wanted = catalog
            .families
            .iter()
            .filter(|c| c.profile == ALWAYS || profiles.contains(&c.profile))
            .collect();
        Scrape { exp, format, catalog, profiles, present, wanted }
    }

    /// The wanted catalog families that the exposition has.
    fn wanted_present(&self) -> impl Iterator<Item = (&'c CatalogFamily, &'e Family<'e>)> + '_ {
        self.wanted.iter().filter_map(|c| self.present.get(&c.name).map(|f| (*c, *f)))
    }

    /// Every family of the exposition with its catalog name and, when it is one the service
    /// must have, the catalog's entry for it.
    fn families(&self) -> impl Iterator<Item = (String, &'e Family<'e>, Option<&'c CatalogFamily>)> + '_ {
        self.exp.families.iter().map(|f| {
            let name = canonical(f, self.format);
            let wanted = self.wanted.iter().find(|c| c.name == name).copied();
            (name, f, wanted)
        })
    }

    fn known_profiles(&self) -> HashSet<&'c str> {
        self.catalog.profiles().into_iter().collect()
    }

    /// Series of a family (a histogram's or summary's `_count`, not each bucket).
    fn series_count(&self, f: &Family<'_>) -> usize {
        self.exp.samples_of(f).iter().filter(|s| is_series_head(f, s)).count()
    }

    /// A sample as a series, `name{a="1",b="2"}`, for examples.
    fn series(&self, s: &Sample<'_>) -> String {
        let labels: Vec<String> =
            self.exp.labels_of(s).iter().map(|l| format!("{}=\"{}\"", l.name, l.value)).collect();
        if labels.is_empty() {
            s.name.to_string()
        } else {
            format!("{}{{{}}}", s.name, labels.join(","))
        }
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

/// Samples that name one series (not each bucket or quantile of it).
fn is_series_head(f: &Family<'_>, s: &Sample<'_>) -> bool {
    match f.kind {
        MetricType::Histogram | MetricType::GaugeHistogram | MetricType::Summary => {
            s.name.ends_with("_count")
        }
        _ => !s.name.ends_with("_created"),
    }
}

/// Every rule's verdict on one scrape, in the order of `RULES`.
pub fn check(
    exp: &Exposition<'_>,
    format: Format,
    catalog: &MetricCatalog,
    profiles: &[String],
) -> Vec<RuleResult> {
    let scrape = Scrape::new(exp, format, catalog, profiles);
    RULES
        .iter()
        .map(|rule| {
            let mut verdict = Verdict::new();
            let checked = (rule.run)(&scrape, &mut verdict);
            verdict.done(rule.name, &checked)
        })
        .collect()
}

#[cfg(test)]
mod tests;
