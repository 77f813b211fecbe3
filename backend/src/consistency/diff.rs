//! Row by row, column by column: the rows of the buckets whose checksums differ, matched by
//! key. A key only in the source is `missing` from the read model, one only in the target is
//! `extra`, one in both whose compared values differ beyond their tolerance is `changed`.

use super::scan::CanonRow;
use crate::config::checks::Tolerance;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiffKind {
    Missing,
    Extra,
    Changed,
}

impl DiffKind {
    pub fn as_str(self) -> &'static str {
        match self {
            DiffKind::Missing => "missing",
            DiffKind::Extra => "extra",
            DiffKind::Changed => "changed",
        }
    }

    pub fn parse(s: &str) -> Option<DiffKind> {
        match s {
            "missing" => Some(DiffKind::Missing),
            "extra" => Some(DiffKind::Extra),
            "changed" => Some(DiffKind::Changed),
            _ => None,
        }
    }
}

/// One difference between the two sides.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    pub key: Vec<Option<String>>,
    pub kind: DiffKind,
    /// The compared columns that differ (changed rows).
    pub columns: Vec<String>,
    pub source: Option<Vec<Option<String>>>,
    pub target: Option<Vec<Option<String>>>,
}

fn within(a: &str, b: &str, tolerance: Option<Tolerance>) -> bool {
    match tolerance {
        Some(Tolerance::Number(t)) => match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => (x - y).abs() <= t * (1.0 + 1e-9) + f64::EPSILON,
            _ => false,
        },
        Some(Tolerance::Micros(d)) => match (parse_time(a), parse_time(b)) {
            (Ok(x), Ok(y)) => u128::from(x.abs_diff(y)) <= d.as_micros(),
            _ => false,
        },
        None => false,
    }
}

/// A timestamp's canonical text (or a plain number of µs) as µs.
fn parse_time(t: &str) -> Result<i64, ()> {
    t.parse::<i64>().ok().or_else(|| super::canon::parse_timestamp_us(t)).ok_or(())
}

/// The differences between `source` and `target` rows (each keyed once).
pub fn compare(
    source: Vec<CanonRow>,
    target: Vec<CanonRow>,
    names: &[String],
    tolerances: &[Option<Tolerance>],
) -> Vec<Found> {
    let mut targets: BTreeMap<Vec<Option<String>>, Vec<Option<String>>> =
        target.into_iter().map(|r| (r.key, r.values)).collect();
    let mut out = Vec::new();
    for row in source {
        match targets.remove(&row.key) {
            None => out.push(Found {
                key: row.key,
                kind: DiffKind::Missing,
                columns: Vec::new(),
                source: Some(row.values),
                target: None,
            }),
            Some(t) => {
                let columns: Vec<String> = names
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| {
                        let (a, b) = (row.values.get(*i).cloned().flatten(), t.get(*i).cloned().flatten());
                        match (a, b) {
                            (Some(a), Some(b)) => {
                                a != b && !within(&a, &b, tolerances.get(*i).copied().flatten())
                            }
                            (a, b) => a != b,
                        }
                    })
                    .map(|(_, n)| n.clone())
                    .collect();
                if !columns.is_empty() {
                    out.push(Found {
                        key: row.key,
                        kind: DiffKind::Changed,
                        columns,
                        source: Some(row.values),
                        target: Some(t),
                    });
                }
            }
        }
    }
    out.extend(targets.into_iter().map(|(key, values)| Found {
        key,
        kind: DiffKind::Extra,
        columns: Vec::new(),
        source: None,
        target: Some(values),
    }));
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn row(key: &str, values: &[&str]) -> CanonRow {
        CanonRow {
            key: vec![Some(key.into())],
            values: values.iter().map(|v| Some((*v).to_string())).collect(),
        }
    }

    #[test]
    fn missing_extra_and_changed_beyond_tolerance() {
        let names = ["price".to_string(), "at".to_string(), "status".to_string()];
        let tol = [Some(Tolerance::Number(0.0001)), Some(Tolerance::Micros(Duration::from_millis(1))), None];
        let source = vec![
            row("1", &["1.0000", "1000", "new"]),
            row("2", &["2.0000", "2000", "new"]),
            row("3", &["3.0000", "3000", "x"]),
        ];
        let target = vec![
            row("2", &["2.0001", "2999", "new"]),
            row("3", &["3.0002", "3000", "y"]),
            row("4", &["4.0000", "4000", "new"]),
        ];
        let found = compare(source, target, &names, &tol);
        let kinds: Vec<(&str, DiffKind, Vec<String>)> =
            found.iter().map(|f| (f.key[0].as_deref().unwrap(), f.kind, f.columns.clone())).collect();
        assert_eq!(
            kinds,
            [
                ("1", DiffKind::Missing, vec![]),
                ("3", DiffKind::Changed, vec!["price".to_string(), "status".to_string()]),
                ("4", DiffKind::Extra, vec![]),
            ],
            "row 2 is within both tolerances"
        );
        let nulls = compare(
            vec![CanonRow { key: vec![Some("9".into())], values: vec![None] }],
            vec![CanonRow { key: vec![Some("9".into())], values: vec![None] }],
            &names[..1],
            &tol[..1],
        );
        assert!(nulls.is_empty(), "NULL equals NULL");
    }
}
