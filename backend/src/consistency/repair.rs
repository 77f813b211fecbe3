//! Suggested repair SQL for a run's open differences, for the read model's engine, with
//! quoted identifiers and literals: INSERT what is missing, DELETE what is extra, UPDATE what
//! changed to the source's values. Shown and downloaded; the hub never runs it.

use super::canon::Canon;
use super::findings::{self, Filters};
use super::scan::literal;
use super::side::{Col, Side};
use super::Checks;
use crate::connections::DbEngine;
use crate::{BackendError, Principal};
use std::collections::BTreeMap;
use types::checks::DifferenceView;

/// A canonical value as a literal of `col`'s type on `engine`.
fn value(engine: DbEngine, col: &Col, v: Option<&str>) -> String {
    let Some(v) = v else { return "NULL".into() };
    let numeric = v.parse::<f64>().is_ok() && v.chars().all(|c| c.is_ascii_digit() || c == '-' || c == '.');
    match col.canon {
        Canon::Int | Canon::Decimal(_) if numeric => {
            if engine == DbEngine::Postgres && col.kind == super::canon::ColumnKind::Bool {
                if v == "0" {
                    "FALSE".into()
                } else {
                    "TRUE".into()
                }
            } else {
                v.to_string()
            }
        }
        // The canonical text of a time is a literal both engines read (in UTC).
        Canon::Micros(_) => literal(engine, v),
        Canon::Hex => match engine {
            DbEngine::Postgres => format!("decode({}, 'hex')", literal(engine, v)),
            _ => format!("X{}", literal(engine, v)),
        },
        _ => literal(engine, v),
    }
}

fn key_where(target: &Side, key: &BTreeMap<String, Option<String>>) -> String {
    let e = target.engine();
    target
        .keys
        .iter()
        .map(|k| match key.get(&k.name).cloned().flatten() {
            Some(v) => format!("{} = {}", k.quoted, value(e, k, Some(&v))),
            None => format!("{} IS NULL", k.quoted),
        })
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// The statement that repairs `d` in `target`.
pub fn statement(target: &Side, d: &DifferenceView) -> String {
    let e = target.engine();
    let of = |col: &Col, from: &BTreeMap<String, Option<String>>| {
        value(e, col, from.get(&col.name).cloned().flatten().as_deref())
    };
    match (d.kind.as_str(), &d.source) {
        ("missing", Some(source)) => {
            let cols: Vec<&Col> = target.keys.iter().chain(&target.columns).collect();
            let names: Vec<&str> = cols.iter().map(|c| c.quoted.as_str()).collect();
            let values: Vec<String> = cols
                .iter()
                .map(|c| {
                    if target.keys.iter().any(|k| k.name == c.name) {
                        value(e, c, d.key.get(&c.name).cloned().flatten().as_deref())
                    } else {
                        of(c, source)
                    }
                })
                .collect();
            format!("INSERT INTO {} ({}) VALUES ({});", target.table, names.join(", "), values.join(", "))
        }
        ("changed", Some(source)) => {
            let sets: Vec<String> = target
                .columns
                .iter()
                .filter(|c| d.columns.contains(&c.name))
                .map(|c| format!("{} = {}", c.quoted, of(c, source)))
                .collect();
            format!("UPDATE {} SET {} WHERE {};", target.table, sets.join(", "), key_where(target, &d.key))
        }
        _ => format!("DELETE FROM {} WHERE {};", target.table, key_where(target, &d.key)),
    }
}

impl Checks {
    /// Repair SQL for the open differences of run `id` of check `name`.
    pub async fn repair_sql(&self, actor: &Principal, name: &str, id: i64) -> Result<String, BackendError> {
        let run = self.run(actor, name, id).await?;
        let def = self
            .all()
            .into_iter()
            .find(|c| c.name() == name)
            .ok_or_else(|| BackendError::NotFound(format!("no check named {name}")))?;
        let pair = self.pair(&def).await?;
        let mut out = format!(
            "-- Suggested repair of {} ({}) for check {name}, run #{id}: its open differences.\n\
             -- Review before running it: the hub shows it and never runs it.\n",
            def.target.what(),
            def.target.connection.get_ref(),
        );
        let (mut after, mut written) = (0, 0);
        loop {
            let page =
                findings::of_run(&self.store, run.id, &Filters { after, limit: 1000, ..Filters::default() })
                    .await?;
            let Some(last) = page.last().map(|d| d.id) else { break };
            for d in page.iter().filter(|d| d.state != types::checks::ReviewState::Resolved) {
                out.push_str(&statement(&pair.target, d));
                out.push('\n');
                written += 1;
            }
            after = last;
        }
        if written == 0 {
            out.push_str("-- Nothing to repair: no open difference.\n");
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_read_back_as_literals() {
        assert_eq!(literal(DbEngine::MySql, r"it's a \ test"), r"'it''s a \\ test'");
    }
}
