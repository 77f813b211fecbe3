//! `[[checks]]`: a consistency check pairs a source table (the source of truth) with a read
//! model's table. Typed, and validated with the field's line before anything connects; what
//! can only be checked against the databases (do the columns exist, of what types) is checked
//! when a run starts, with the same clear words.

use super::read_models::is_table;
use super::services::parse_duration;
use super::Invalid;
use crate::consistency::filter::Filter;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::time::Duration;
use toml::Spanned;

/// One side of a check: a table of a connection, or (the source only) a read-only query.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SideDef {
    pub connection: Spanned<String>,
    #[serde(default)]
    pub table: Option<Spanned<String>>,
    /// One SELECT (validated with sqlparser, run read-only) whose rows stand for a table.
    #[serde(default)]
    pub query: Option<Spanned<String>>,
}

impl SideDef {
    /// The table's name, or `query` for a query (in messages and lists).
    pub fn what(&self) -> &str {
        self.table.as_ref().map_or("query", |t| t.get_ref().as_str())
    }
}

/// How a column's values are made comparable across engines.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct NormalizeDef {
    /// Decimal places a number is rounded to.
    #[serde(default)]
    pub scale: Option<u32>,
    /// What a timestamp is truncated to: `us`, `ms` or `s`.
    #[serde(default)]
    pub precision: Option<String>,
    #[serde(default)]
    pub trim: bool,
    /// `upper` or `lower`.
    #[serde(default)]
    pub case: Option<String>,
}

/// A difference within it is no difference: a number (`0.0001`) or a duration (`"1ms"`).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(untagged)]
pub enum ToleranceDef {
    Number(f64),
    Duration(String),
}

/// What the real-time verifier follows in the source.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(untagged, deny_unknown_fields)]
pub enum RecentDef {
    /// A column that holds when a row last changed (unix ms, or a timestamp).
    Column { column: String },
    /// An outbox table: its sequence column and the column that holds the changed row's key.
    Outbox { outbox: String, key: String, seq: String },
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct RateDef {
    /// Rows a second a run reads from each database, at most.
    #[serde(default = "default_rows_per_s")]
    pub rows_per_s: u64,
    /// Queries a run keeps open on each database at once.
    #[serde(default = "default_queries")]
    pub queries: u32,
}

impl Default for RateDef {
    fn default() -> Self {
        RateDef { rows_per_s: default_rows_per_s(), queries: default_queries() }
    }
}

fn default_rows_per_s() -> u64 {
    2_000_000
}

fn default_queries() -> u32 {
    2
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CheckDef {
    pub name: Spanned<String>,
    pub source: SideDef,
    pub target: SideDef,
    /// Key columns, named as on the source.
    pub key: Spanned<Vec<String>>,
    /// Compared columns, named as on the source; default: every column both sides share.
    #[serde(default)]
    pub columns: Option<Spanned<Vec<String>>>,
    /// Source column = target column, where the names differ.
    #[serde(default)]
    pub map: BTreeMap<String, String>,
    #[serde(default)]
    pub normalize: BTreeMap<String, NormalizeDef>,
    #[serde(default)]
    pub tolerance: BTreeMap<String, ToleranceDef>,
    /// Column comparisons applied on both sides (`status <> 'draft'`).
    #[serde(default)]
    pub filter: Option<Spanned<String>>,
    /// A cron schedule (`0 3 * * *`, in the hub's time zone) for residual runs.
    #[serde(default)]
    pub schedule: Option<Spanned<String>>,
    #[serde(default)]
    pub recent: Option<RecentDef>,
    /// The read model (`[[read_models]]`) whose lag the verifier waits out.
    #[serde(default)]
    pub read_model: Option<Spanned<String>>,
    #[serde(default)]
    pub rate: RateDef,
}

impl CheckDef {
    pub fn name(&self) -> &str {
        self.name.get_ref()
    }

    /// The target's name of a source column.
    pub fn target_column<'a>(&'a self, source: &'a str) -> &'a str {
        self.map.get(source).map_or(source, String::as_str)
    }

    /// The parsed filter (validated at load).
    pub fn filter(&self) -> Option<Filter> {
        self.filter.as_ref().and_then(|f| Filter::parse(f.get_ref()).ok())
    }

    pub fn tolerance_of(&self, column: &str) -> Option<Tolerance> {
        match self.tolerance.get(column)? {
            ToleranceDef::Number(n) => Some(Tolerance::Number(*n)),
            ToleranceDef::Duration(d) => parse_duration(d).map(Tolerance::Micros),
        }
    }
}

/// A tolerance as the comparison uses it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    Number(f64),
    /// Of a timestamp, in µs.
    Micros(Duration),
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A column name the hub will quote: letters, digits and `_`, not starting with a digit.
pub fn is_column(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn at<T>(span: &Spanned<T>, message: String) -> Invalid {
    Invalid { at: (span.span().end > 0).then_some(span.span().start), message }
}

pub(super) fn validate(
    checks: &[CheckDef],
    connections: &HashSet<&str>,
    read_models: &HashSet<&str>,
) -> Result<(), Invalid> {
    let mut names = HashSet::new();
    for c in checks {
        let name = c.name();
        if !is_name(name) {
            return Err(at(&c.name, format!("checks.name: {name:?} must be 1–64 of a-z, 0-9, '-', '_'")));
        }
        if !names.insert(name) {
            return Err(at(&c.name, format!("checks.name: check {name} is declared twice")));
        }
        for (field, side) in [("source", &c.source), ("target", &c.target)] {
            if !connections.contains(side.connection.get_ref().as_str()) {
                let message = format!(
                    "checks.{field}.connection: {name} names connection {:?}, which [[connections]] does not declare",
                    side.connection.get_ref()
                );
                return Err(at(&side.connection, message));
            }
            match (&side.table, &side.query) {
                (Some(table), None) if !is_table(table.get_ref()) => {
                    let message = format!(
                        "checks.{field}.table: {:?} in {name} must be a table name (letters, digits, _; schema.table allowed)",
                        table.get_ref()
                    );
                    return Err(at(table, message));
                }
                (Some(_), None) => {}
                (None, Some(query)) if field == "source" => {
                    crate::consistency::filter::check_query(query.get_ref())
                        .map_err(|why| at(query, format!("checks.source.query: in {name}: {why}")))?;
                }
                (None, Some(query)) => {
                    return Err(at(query, format!("checks.target.query: in {name}, the read model is a table (a query may stand for the source only)")));
                }
                _ => {
                    return Err(at(
                        &side.connection,
                        format!("checks.{field}: {name} needs a table, or (the source) a query, not both"),
                    ))
                }
            }
        }
        validate_columns(c)?;
        validate_rules(c)?;
        if let Some(rm) = &c.read_model {
            if !read_models.contains(rm.get_ref().as_str()) {
                let message = format!(
                    "checks.read_model: {name} names {:?}, which [[read_models]] does not declare",
                    rm.get_ref()
                );
                return Err(at(rm, message));
            }
        }
        if let Some(s) = &c.schedule {
            crate::consistency::schedule::Schedule::parse(s.get_ref())
                .map_err(|why| at(s, format!("checks.schedule: {:?} in {name}: {why}", s.get_ref())))?;
        }
        if c.rate.rows_per_s == 0 || c.rate.queries == 0 || c.rate.queries > 16 {
            return Err(at(
                &c.name,
                format!("checks.rate: in {name}, rows_per_s must be above 0 and queries from 1 to 16"),
            ));
        }
    }
    Ok(())
}

fn validate_columns(c: &CheckDef) -> Result<(), Invalid> {
    let name = c.name();
    let key = c.key.get_ref();
    if key.is_empty() || key.len() > 8 {
        return Err(at(&c.key, format!("checks.key: {name} needs 1 to 8 key columns")));
    }
    let mut listed: Vec<(&str, &str)> = key.iter().map(|k| ("key", k.as_str())).collect();
    if let Some(columns) = &c.columns {
        listed.extend(columns.get_ref().iter().map(|k| ("columns", k.as_str())));
    }
    for (field, column) in listed {
        if !is_column(column) {
            let span = if field == "key" {
                c.key.span()
            } else {
                c.columns.as_ref().map_or(c.key.span(), Spanned::span)
            };
            return Err(Invalid {
                at: Some(span.start),
                message: format!(
                    "checks.{field}: {column:?} in {name} must be a column name (letters, digits, _)"
                ),
            });
        }
    }
    for (source, target) in &c.map {
        if !is_column(source) || !is_column(target) {
            return Err(at(
                &c.name,
                format!(
                    "checks.map: {source:?} = {target:?} in {name} must name columns (letters, digits, _)"
                ),
            ));
        }
    }
    Ok(())
}

fn validate_rules(c: &CheckDef) -> Result<(), Invalid> {
    let name = c.name();
    for (column, n) in &c.normalize {
        let precision_ok = n.precision.as_deref().is_none_or(|p| ["us", "ms", "s"].contains(&p));
        let case_ok = n.case.as_deref().is_none_or(|c| ["upper", "lower"].contains(&c));
        if !is_column(column) || !precision_ok || !case_ok || n.scale.is_some_and(|s| s > 18) {
            return Err(at(
                &c.name,
                format!("checks.normalize.{column}: in {name}, scale is 0–18, precision us, ms or s, case upper or lower"),
            ));
        }
    }
    for (column, t) in &c.tolerance {
        let ok = match t {
            ToleranceDef::Number(n) => n.is_finite() && *n >= 0.0,
            ToleranceDef::Duration(d) => parse_duration(d).is_some(),
        };
        if !is_column(column) || !ok {
            return Err(at(
                &c.name,
                format!("checks.tolerance.{column}: in {name}, a number (0.0001) or a duration (\"1ms\")"),
            ));
        }
    }
    if let Some(f) = &c.filter {
        Filter::parse(f.get_ref()).map_err(|why| at(f, format!("checks.filter: in {name}: {why}")))?;
    }
    if let Some(recent) = &c.recent {
        let columns: Vec<&String> = match recent {
            RecentDef::Column { column } => vec![column],
            RecentDef::Outbox { outbox, key, seq } => {
                if c.key.get_ref().len() != 1 {
                    return Err(at(&c.name, format!("checks.recent.outbox: {name} has a key of several columns; an outbox names one (use recent = {{ column = … }})")));
                }
                if !is_table(outbox) {
                    return Err(at(
                        &c.name,
                        format!("checks.recent.outbox: {outbox:?} in {name} must be a table name"),
                    ));
                }
                vec![key, seq]
            }
        };
        if let Some(bad) = columns.into_iter().find(|col| !is_column(col)) {
            return Err(at(&c.name, format!("checks.recent: {bad:?} in {name} must be a column name")));
        }
    }
    Ok(())
}
