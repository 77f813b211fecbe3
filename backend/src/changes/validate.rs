//! A change as `POST /api/v1/changes` receives it, and the checks it passes before it is kept.

use super::store::NewChangeRow;
use serde::Deserialize;
use types::changes::ChangeKind;

const MAX_SHORT: usize = 128;
const MAX_SUMMARY: usize = 1000;
const MAX_URL: usize = 2048;
/// How far back a change may be dated (a pipeline that records its deploy late), and ahead.
const MAX_AGE_MS: i64 = 30 * 24 * 3_600_000;
const MAX_AHEAD_MS: i64 = 3_600_000;

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PushedChange {
    pub service: String,
    pub kind: String,
    #[serde(default)]
    pub version: Option<String>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
    /// When it happened; now when absent.
    #[serde(default)]
    pub ts_ms: Option<i64>,
    #[serde(default)]
    pub author: Option<String>,
}

fn printable(s: &str, max: usize) -> bool {
    !s.trim().is_empty() && s.chars().count() <= max && !s.chars().any(|c| c.is_control() && c != '\n')
}

/// Checks a pushed change against the services the hub knows and the one a token may push
/// for; the reason when it is refused.
pub fn validate(
    c: PushedChange,
    known: &dyn Fn(&str) -> bool,
    only: Option<&str>,
    now: i64,
) -> Result<NewChangeRow, String> {
    if !known(&c.service) {
        return Err(format!("unknown service {:?}", c.service));
    }
    if let Some(s) = only.filter(|s| *s != c.service) {
        return Err(format!("this token records changes of {s} only, not {}", c.service));
    }
    let kind = ChangeKind::parse(&c.kind)
        .ok_or_else(|| format!("kind must be deploy, config, flag or migration, not {:?}", c.kind))?;
    let short = |name: &str, v: &Option<String>| match v {
        Some(v) if !printable(v, MAX_SHORT) || v.contains('\n') => {
            Err(format!("{name} must be 1 to {MAX_SHORT} printable characters on one line"))
        }
        _ => Ok(v.clone()),
    };
    let version = short("version", &c.version)?;
    let author = short("author", &c.author)?;
    let summary = match (c.summary, &version) {
        (Some(s), _) if printable(&s, MAX_SUMMARY) => s,
        (Some(_), _) => return Err(format!("summary must be 1 to {MAX_SUMMARY} printable characters")),
        (None, Some(v)) => format!("{} {v}", kind.as_str()),
        (None, None) => return Err("a change needs a summary or a version".into()),
    };
    if let Some(u) = &c.url {
        let web = u.starts_with("https://") || u.starts_with("http://");
        if !web || u.len() > MAX_URL || u.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(format!("url must be an http(s) URL of at most {MAX_URL} characters"));
        }
    }
    let ts_ms = c.ts_ms.unwrap_or(now);
    if ts_ms < now - MAX_AGE_MS || ts_ms > now + MAX_AHEAD_MS {
        return Err(format!("ts_ms {ts_ms} is more than 30 days before or an hour after the hub's clock"));
    }
    Ok(NewChangeRow { service: c.service, kind, version, summary, url: c.url, ts_ms, author })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000;

    fn change(json: &str) -> PushedChange {
        serde_json::from_str(json).unwrap()
    }

    fn check(json: &str) -> Result<NewChangeRow, String> {
        validate(change(json), &|s| s == "quotes" || s == "orders-api", None, NOW)
    }

    #[test]
    fn accepts_a_deploy_and_names_it_from_its_version() {
        let c =
            check(r#"{"service": "quotes", "kind": "deploy", "version": "1.4.2", "author": "ci"}"#).unwrap();
        assert_eq!((c.kind, c.summary.as_str(), c.ts_ms), (ChangeKind::Deploy, "deploy 1.4.2", NOW));
        let c = check(r#"{"service": "quotes", "kind": "flag", "summary": "new pricing on", "ts_ms": 1799999990000, "url": "https://ci/42"}"#)
            .unwrap();
        assert_eq!(
            (c.summary.as_str(), c.ts_ms, c.url.as_deref()),
            ("new pricing on", 1_799_999_990_000, Some("https://ci/42"))
        );
    }

    #[test]
    fn refuses_what_it_cannot_keep_with_the_reason() {
        let cases = [
            (r#"{"service": "nope", "kind": "deploy", "version": "1"}"#, "unknown service"),
            (r#"{"service": "quotes", "kind": "rollout", "version": "1"}"#, "kind must be"),
            (r#"{"service": "quotes", "kind": "deploy"}"#, "needs a summary or a version"),
            (r#"{"service": "quotes", "kind": "deploy", "summary": " "}"#, "summary must be"),
            (
                r#"{"service": "quotes", "kind": "deploy", "version": "1", "url": "javascript:alert(1)"}"#,
                "url must be",
            ),
            (r#"{"service": "quotes", "kind": "deploy", "version": "a\nb"}"#, "version must be"),
            (r#"{"service": "quotes", "kind": "deploy", "version": "1", "ts_ms": 1}"#, "30 days"),
        ];
        for (json, why) in cases {
            let e = check(json).unwrap_err();
            assert!(e.contains(why), "{json}: {e}");
        }
        assert!(serde_json::from_str::<PushedChange>(
            r#"{"service": "quotes", "kind": "deploy", "extra": 1}"#
        )
        .is_err());
    }

    #[test]
    fn a_bound_token_records_its_own_service_only() {
        let c = change(r#"{"service": "orders-api", "kind": "deploy", "version": "2"}"#);
        let e = validate(c.clone(), &|_| true, Some("quotes"), NOW).unwrap_err();
        assert!(e.contains("quotes only"), "{e}");
        assert!(validate(c, &|_| true, Some("orders-api"), NOW).is_ok());
    }
}
