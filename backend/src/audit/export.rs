//! The audit log for compliance exports: filters read from a query string, and entries as
//! CSV rows.

use crate::config::parse_duration;
use crate::BackendError;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use types::{AuditEntryView, AuditFilter};

/// The filters of `GET /api/v1/audit`, as they arrive.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
    pub outcome: Option<String>,
    /// Unix milliseconds, an RFC 3339 time (`2026-12-01T08:00:00Z`), or a duration back
    /// from now (`24h`, `7d`).
    pub since: Option<String>,
    /// The next page: entries older than this id.
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

fn non_empty(v: Option<&String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

impl AuditQuery {
    /// The filter these parameters mean at `now_ms`; an error names the parameter.
    pub fn filter(&self, now_ms: i64) -> Result<AuditFilter, BackendError> {
        let outcome = non_empty(self.outcome.as_ref());
        if let Some(o) = outcome.as_deref().filter(|o| !matches!(*o, "ok" | "denied" | "failed")) {
            return Err(BackendError::Invalid(format!("outcome: {o:?} is not ok, denied or failed")));
        }
        let since_ms = non_empty(self.since.as_ref()).map(|s| parse_since(&s, now_ms)).transpose()?;
        Ok(AuditFilter {
            actor: non_empty(self.actor.as_ref()),
            action: non_empty(self.action.as_ref()),
            outcome,
            before_id: self.before,
            since_ms,
        })
    }
}

/// `since`: unix ms, RFC 3339, or a duration back from `now_ms`.
pub fn parse_since(text: &str, now_ms: i64) -> Result<i64, BackendError> {
    if let Ok(ms) = text.parse::<i64>() {
        return Ok(ms);
    }
    if let Some(back) = parse_duration(text) {
        return Ok(now_ms - i64::try_from(back.as_millis()).unwrap_or(i64::MAX));
    }
    let at = OffsetDateTime::parse(text, &Rfc3339).map_err(|_| {
        BackendError::Invalid(format!(
            "since: {text:?} is not unix milliseconds, an RFC 3339 time (2026-12-01T08:00:00Z) or a duration (24h)"
        ))
    })?;
    i64::try_from(at.unix_timestamp_nanos() / 1_000_000)
        .map_err(|_| BackendError::Invalid(format!("since: {text:?} is out of range")))
}

pub const CSV_HEADER: &str = "ts_ms,time_utc,actor,action,target,outcome,source\r\n";

/// One CSV field: quoted, quotes doubled, and a leading `= + - @` (which a spreadsheet
/// would run as a formula) defused with a `'`.
pub fn csv_field(text: &str) -> String {
    let defused = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

pub fn csv_row(e: &AuditEntryView) -> String {
    let time = OffsetDateTime::from_unix_timestamp_nanos(i128::from(e.at_ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default();
    format!(
        "{},{},{},{},{},{},{}\r\n",
        e.at_ms,
        time,
        csv_field(&e.actor),
        csv_field(&e.action),
        csv_field(&e.target),
        csv_field(&e.outcome),
        csv_field(&e.source)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_reads_ms_durations_and_rfc3339() {
        assert_eq!(parse_since("1700000000000", 0).unwrap(), 1_700_000_000_000);
        assert_eq!(parse_since("1h", 7_200_000).unwrap(), 3_600_000);
        assert_eq!(parse_since("2026-12-01T00:00:00Z", 0).unwrap(), 1_796_083_200_000);
        assert!(parse_since("yesterday", 0).is_err());
        let bad = AuditQuery { outcome: Some("maybe".into()), ..Default::default() };
        assert!(bad.filter(0).is_err());
    }

    #[test]
    fn csv_fields_are_quoted_and_formulas_defused() {
        let e = AuditEntryView {
            id: 1,
            at_ms: 0,
            actor: "ann".into(),
            action: "token.create".into(),
            target: "=HYPERLINK(\"x\") (sb_ab…)".into(),
            outcome: "ok".into(),
            source: "127.0.0.1".into(),
        };
        assert_eq!(
            csv_row(&e),
            "0,1970-01-01T00:00:00Z,\"ann\",\"token.create\",\"'=HYPERLINK(\"\"x\"\") (sb_ab…)\",\"ok\",\"127.0.0.1\"\r\n"
        );
    }
}
