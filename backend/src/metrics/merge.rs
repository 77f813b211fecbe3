//! A service's verdict per rule, from its instances' verdicts: the worst status wins, and
//! the examples say which instance they come from.

use super::conformance::RULES;
use super::ingest::InstanceReport;
use types::{RuleResult, RuleStatus};

pub fn service_rules(instances: &[(String, InstanceReport)]) -> Vec<RuleResult> {
    let checked: Vec<&(String, InstanceReport)> =
        instances.iter().filter(|(_, r)| !r.rules.is_empty()).collect();
    RULES
        .iter()
        .filter(|_| !checked.is_empty())
        .map(|rule| {
            let mut status = RuleStatus::Pass;
            let mut examples = Vec::new();
            let mut details = Vec::new();
            for (name, report) in &checked {
                let Some(r) = report.rules.iter().find(|r| r.rule == rule.name) else { continue };
                status = status.max(r.status);
                if r.status != RuleStatus::Pass {
                    details.push(format!("{name}: {}", r.detail));
                    examples.extend(r.examples.iter().map(|e| format!("{name}: {e}")));
                }
            }
            examples.truncate(10);
            let detail = if details.is_empty() {
                format!("ok on {} instance{}", checked.len(), if checked.len() == 1 { "" } else { "s" })
            } else {
                details.join("; ")
            };
            RuleResult { rule: rule.name.to_string(), status, detail, examples }
        })
        .collect()
}
