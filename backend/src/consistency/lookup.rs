//! The second look: the rows of given keys on one side, read by their key (an index lookup
//! for a single integer key), for the recheck of a run's differences and for the verifier.

use super::scan::{literal, CanonRow, KeyRange};
use super::side::Side;
use super::CheckError;
use crate::connections::DbEngine;
use std::collections::HashSet;

impl Side {
    /// The rows of these keys (canonical texts), for a second look.
    pub async fn rows_by_key(&self, keys: &[Vec<Option<String>>]) -> Result<Vec<CanonRow>, CheckError> {
        let mut out = Vec::new();
        for batch in keys.chunks(200) {
            let wanted: HashSet<&Vec<Option<String>>> = batch.iter().collect();
            let range = self.key_range_of(batch);
            let rows = if self.engine() == DbEngine::Sqlite {
                self.read_rows(range).await?
            } else {
                let glue = if self.where_sql(range).is_empty() { " WHERE " } else { " AND " };
                let sql = format!(
                    "SELECT {} FROM {}{}{glue}({})",
                    self.canonical_columns(),
                    self.table,
                    self.where_sql(range),
                    self.keys_condition(batch)
                );
                self.query(&sql).await?.into_iter().map(|r| self.split(r)).collect()
            };
            out.extend(rows.into_iter().filter(|r| wanted.contains(&r.key)));
        }
        Ok(out)
    }

    /// The span of integer first keys of a batch (narrows a SQLite read).
    fn key_range_of(&self, batch: &[Vec<Option<String>>]) -> KeyRange {
        let ints: Option<Vec<i64>> = batch.iter().map(|k| k.first()?.as_deref()?.parse().ok()).collect();
        match ints.filter(|_| self.keys[0].canon == super::canon::Canon::Int) {
            Some(ints) if !ints.is_empty() => KeyRange {
                lo: ints.iter().min().copied(),
                hi: ints.iter().max().map(|m| m.saturating_add(1)),
            },
            _ => KeyRange::default(),
        }
    }

    /// These keys: `k IN (…)` for a single integer key (an index lookup), else one
    /// condition a key joined with OR.
    fn keys_condition(&self, batch: &[Vec<Option<String>>]) -> String {
        let ints: Option<Vec<i64>> = batch.iter().map(|k| k.first()?.as_deref()?.parse().ok()).collect();
        match ints {
            Some(ints) if self.keys.len() == 1 && self.keys[0].canon == super::canon::Canon::Int => {
                format!(
                    "{} IN ({})",
                    self.keys[0].quoted,
                    ints.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")
                )
            }
            _ => batch.iter().map(|k| self.key_condition(k)).collect::<Vec<_>>().join(" OR "),
        }
    }

    /// `key = value` for one key, by the raw column where its canonical text is the stored
    /// value (an index helps), else by its canonical text.
    fn key_condition(&self, key: &[Option<String>]) -> String {
        let e = self.engine();
        let parts: Vec<String> = self
            .keys
            .iter()
            .zip(key)
            .map(|(col, value)| match value {
                None => format!("{} IS NULL", col.quoted),
                Some(v) if col.canon == super::canon::Canon::Int && v.parse::<i64>().is_ok() => {
                    format!("{} = {v}", col.quoted)
                }
                Some(v) => {
                    let lit = literal(e, v);
                    match col.canon {
                        super::canon::Canon::Text { trim: false, upper: false, lower: false } => {
                            format!("{} = {lit}", col.quoted)
                        }
                        _ => format!("{} = {lit}", col.canonical_sql(e)),
                    }
                }
            })
            .collect();
        format!("({})", parts.join(" AND "))
    }
}
