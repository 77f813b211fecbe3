//! `[[connections]]` (databases the hub reads, shared with the consistency checks) and
//! `[[read_models]]` (what the lag probes measure): typed, and validated with the field's
//! line before anything connects.

use super::services::parse_duration;
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;
use toml::Spanned;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ConnectionDef {
    pub name: Spanned<String>,
    /// `postgres://…`, `mysql://…` (MariaDB), `sqlite://path` (relative to the data
    /// directory); `${VAR}` is read from the environment when the config loads.
    pub url: Spanned<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProbeDef {
    /// How often a heartbeat is written; default 100ms.
    #[serde(default = "default_interval")]
    pub interval: String,
    /// The table written on the source side: `(id, seq, written_us)`.
    pub write: Spanned<String>,
    /// The table (or view) read on the read side: `(id, seq, …)`.
    pub read: Spanned<String>,
    /// This hub's row in both; default `hub`.
    #[serde(default = "default_probe_id")]
    pub id: String,
}

fn default_interval() -> String {
    "100ms".into()
}

fn default_probe_id() -> String {
    "hub".into()
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PositionsDef {
    /// A read-only query on the source returning one integer (the newest position).
    pub source: Spanned<String>,
    /// A read-only query on the read side returning one integer (the applied position).
    pub read: Spanned<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReadModelDef {
    pub name: Spanned<String>,
    /// The service that projects it (links, panels, alerts).
    pub service: String,
    /// Connection names.
    pub source: Spanned<String>,
    pub read: Spanned<String>,
    #[serde(default = "default_slo_ms")]
    pub slo_ms: f64,
    /// The share of probes within `slo_ms` over `window`; default 0.99.
    #[serde(default = "default_objective")]
    pub objective: f64,
    /// The SLO window of the error budget; default 28d.
    #[serde(default = "default_window")]
    pub window: String,
    /// When a breach starts: `3` (consecutive probes over the SLO) or a duration (`300ms`)
    /// the outstanding heartbeat's age stays over it; default both, whichever comes first.
    #[serde(default)]
    pub breach_after: Option<String>,
    pub probe: ProbeDef,
    #[serde(default)]
    pub positions: Option<PositionsDef>,
    /// A lag the service reports itself, scraped (a family of the service's metrics).
    #[serde(default)]
    pub metric: Option<String>,
}

fn default_slo_ms() -> f64 {
    10.0
}

fn default_objective() -> f64 {
    0.99
}

fn default_window() -> String {
    "28d".into()
}

/// When a breach starts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BreachAfter {
    pub probes: u32,
    pub outstanding: Duration,
}

impl ReadModelDef {
    pub fn interval(&self) -> Duration {
        parse_duration(&self.probe.interval).unwrap_or(Duration::from_millis(100))
    }

    pub fn window(&self) -> Duration {
        parse_duration(&self.window).unwrap_or(Duration::from_secs(28 * 86_400))
    }

    pub fn breach_after(&self) -> BreachAfter {
        let default = BreachAfter { probes: 3, outstanding: Duration::from_millis(300) };
        match self.breach_after.as_deref().map(str::trim) {
            None => default,
            Some(text) => match text.parse::<u32>() {
                Ok(probes) => BreachAfter { probes, outstanding: Duration::MAX },
                Err(_) => BreachAfter {
                    probes: u32::MAX,
                    outstanding: parse_duration(text).unwrap_or(default.outstanding),
                },
            },
        }
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A table name the hub will quote: `name` or `schema.name`, letters, digits and `_`.
pub fn is_table(s: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && p.len() <= 63
            && p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    let parts: Vec<&str> = s.split('.').collect();
    parts.len() <= 2 && parts.iter().all(|p| part(p))
}

/// A query a config may hold: one SELECT, nothing after it.
pub fn check_select(sql: &str) -> Result<(), &'static str> {
    let body = sql.trim().trim_end_matches(';').trim();
    let lower = body.to_ascii_lowercase();
    if !(lower.starts_with("select ") || lower.starts_with("select\n") || lower.starts_with("with ")) {
        return Err("must be one SELECT statement");
    }
    if body.contains(';') {
        return Err("must be one statement (no ';' inside it)");
    }
    Ok(())
}

fn at<T>(span: &Spanned<T>, message: String) -> Invalid {
    Invalid { at: (span.span().end > 0).then_some(span.span().start), message }
}

pub(super) fn validate_connections(connections: &[ConnectionDef]) -> Result<(), Invalid> {
    let mut names = HashSet::new();
    for c in connections {
        let name = c.name.get_ref();
        if !is_name(name) {
            return Err(at(
                &c.name,
                format!("connections.name: {name:?} must be 1–64 of a-z, 0-9, '-', '_'"),
            ));
        }
        if !names.insert(name.clone()) {
            return Err(at(&c.name, format!("connections.name: connection {name} is declared twice")));
        }
        let url = match crate::connections::expand_env(c.url.get_ref()) {
            Ok(url) => url,
            Err(why) => return Err(at(&c.url, format!("connections.url: {name}: {why}"))),
        };
        if let Err(why) = crate::connections::check_url(&url) {
            return Err(at(&c.url, format!("connections.url: the URL of {name} {why}")));
        }
    }
    Ok(())
}

pub(super) fn validate_read_models(
    models: &[ReadModelDef],
    connections: &[ConnectionDef],
) -> Result<(), Invalid> {
    let known: HashSet<&str> = connections.iter().map(|c| c.name.get_ref().as_str()).collect();
    let mut names = HashSet::new();
    for m in models {
        let name = m.name.get_ref();
        if !is_name(name) {
            return Err(at(
                &m.name,
                format!("read_models.name: {name:?} must be 1–64 of a-z, 0-9, '-', '_'"),
            ));
        }
        if !names.insert(name.clone()) {
            return Err(at(&m.name, format!("read_models.name: read model {name} is declared twice")));
        }
        for (field, conn) in [("source", &m.source), ("read", &m.read)] {
            if !known.contains(conn.get_ref().as_str()) {
                return Err(at(
                    conn,
                    format!("read_models.{field}: {name} names connection {:?}, which [[connections]] does not declare", conn.get_ref()),
                ));
            }
        }
        validate_figures(m)?;
        validate_probe(m)?;
    }
    Ok(())
}

fn validate_figures(m: &ReadModelDef) -> Result<(), Invalid> {
    let name = m.name.get_ref();
    if !(m.slo_ms > 0.0 && m.slo_ms <= 3_600_000.0) {
        return Err(at(&m.name, format!("read_models.slo_ms: {} in {name} must be above 0", m.slo_ms)));
    }
    if !(m.objective > 0.0 && m.objective < 1.0) {
        return Err(at(
            &m.name,
            format!("read_models.objective: {} in {name} must be between 0 and 1, like 0.99", m.objective),
        ));
    }
    if parse_duration(&m.window)
        .is_none_or(|d| d < Duration::from_secs(3600) || d > Duration::from_secs(90 * 86_400))
    {
        return Err(at(
            &m.name,
            format!("read_models.window: {:?} in {name} must be from 1h to 90d, like \"28d\"", m.window),
        ));
    }
    if let Some(b) = m.breach_after.as_deref() {
        if b.trim().parse::<u32>().map_or(parse_duration(b).is_none(), |n| n == 0) {
            return Err(at(&m.name, format!("read_models.breach_after: {b:?} in {name} must be a number of probes (3) or a duration (300ms)")));
        }
    }
    Ok(())
}

fn validate_probe(m: &ReadModelDef) -> Result<(), Invalid> {
    let name = m.name.get_ref();
    let p = &m.probe;
    if parse_duration(&p.interval)
        .is_none_or(|d| d < Duration::from_millis(10) || d > Duration::from_secs(60))
    {
        return Err(at(
            &m.name,
            format!(
                "read_models.probe.interval: {:?} in {name} must be from 10ms to 60s, like \"100ms\"",
                p.interval
            ),
        ));
    }
    for (field, table) in [("write", &p.write), ("read", &p.read)] {
        if !is_table(table.get_ref()) {
            return Err(at(
                table,
                format!("read_models.probe.{field}: {:?} in {name} must be a table name (letters, digits, _; schema.table allowed)", table.get_ref()),
            ));
        }
    }
    if p.id.is_empty() || p.id.len() > 64 {
        return Err(at(&m.name, format!("read_models.probe.id: in {name} must be 1 to 64 characters")));
    }
    if let Some(pos) = &m.positions {
        for (field, sql) in [("source", &pos.source), ("read", &pos.read)] {
            check_select(sql.get_ref()).map_err(|why| {
                at(sql, format!("read_models.positions.{field}: the query of {name} {why}"))
            })?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_queries_a_config_may_hold() {
        assert!(is_table("heartbeat") && is_table("lag.heartbeat_view") && is_table("_x1"));
        assert!(
            !is_table("heart beat")
                && !is_table("x;drop table y")
                && !is_table("a.b.c")
                && !is_table("\"x\"")
        );
        assert!(check_select("SELECT max(seq) FROM outbox").is_ok());
        assert!(check_select("select last_seq from projector_state;").is_ok());
        assert!(check_select("DELETE FROM outbox").is_err());
        assert!(check_select("SELECT 1; DROP TABLE outbox").is_err());
    }
}
