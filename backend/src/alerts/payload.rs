//! What a notification says, in each receiver's format: Alertmanager's webhook payload
//! (version 4, so every Alertmanager receiver works unchanged), Alertmanager's own API
//! (`/api/v2/alerts`, to push into an existing cluster), Slack's blocks, and ours (JSON).
//! Each carries the value and threshold, the context, example traces, the capture and the
//! delays; a context too long for a channel is cut with a link to the alert's page.

use serde_json::{json, Map, Value};
use types::alerts::AlertView;
use types::changes::ChangeView;

/// What every format is built from.
pub struct Notice<'a> {
    pub alert: &'a AlertView,
    /// `firing`, `resolved` or `repeat`.
    pub kind: &'a str,
    pub receiver: &'a str,
    /// The hub's address, for links.
    pub public_url: &'a str,
    pub sent_ms: i64,
    /// Changes to the service in the hour before the onset, newest first.
    pub changes: &'a [ChangeView],
}

/// Slack's limit on a section's text.
pub(super) const SLACK_SECTION: usize = 3000;
/// Slack's limit on a header's text.
pub(super) const SLACK_HEADER: usize = 150;

impl Notice<'_> {
    /// `firing` or `resolved` (a repeat is a firing notice again).
    pub fn status(&self) -> &'static str {
        if self.kind == "resolved" {
            "resolved"
        } else {
            "firing"
        }
    }

    pub fn url(&self) -> String {
        format!("{}/alerts/{}", self.public_url.trim_end_matches('/'), self.alert.id)
    }

    /// The incident the alert opened (a permalink for the incident channel).
    pub fn incident_url(&self) -> String {
        format!("{}/incidents/{}", self.public_url.trim_end_matches('/'), self.alert.id)
    }

    fn value_text(v: Option<f64>) -> String {
        v.map_or_else(|| "—".into(), |v| format!("{}", (v * 10_000.0).round() / 10_000.0))
    }

    /// "orders-api-error-ratio on orders-api: error_ratio 0.31 above 0.05".
    pub fn summary(&self) -> String {
        let a = self.alert;
        let state = if self.status() == "resolved" { "RESOLVED " } else { "" };
        format!(
            "{state}{} on {}: {} {} {} {}",
            a.rule,
            a.service,
            a.signal,
            Self::value_text(a.value),
            a.comparison,
            Self::value_text(a.threshold)
        )
    }

    /// What the failures share, one line each.
    pub fn context_lines(&self) -> Vec<String> {
        self.alert.context.iter().map(types::alerts::ContextRow::sentence).collect()
    }

    /// "deploy of quotes 2 min before onset: deploy 1.4.2 (ci)", newest first.
    pub fn change_lines(&self) -> Vec<String> {
        self.changes.iter().map(|c| change_line(c, self.alert.onset_ms)).collect()
    }

    /// onset → fired → sent, in ms.
    pub fn delays(&self) -> String {
        let a = self.alert;
        match a.fired_ms {
            Some(fired) => format!(
                "first bad sample → fired {} ms, → sent {} ms",
                fired - a.onset_ms,
                self.sent_ms - a.onset_ms
            ),
            None => String::new(),
        }
    }

    pub(super) fn labels(&self) -> Map<String, Value> {
        let mut labels: Map<String, Value> =
            self.alert.labels.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
        labels.insert("alertname".into(), json!(self.alert.rule));
        labels.insert("service".into(), json!(self.alert.service));
        labels
    }

    pub(super) fn annotations(&self) -> Map<String, Value> {
        let a = self.alert;
        let mut out = Map::new();
        out.insert("summary".into(), json!(self.summary()));
        out.insert("value".into(), json!(Self::value_text(a.value)));
        out.insert("threshold".into(), json!(Self::value_text(a.threshold)));
        if !a.context.is_empty() {
            out.insert("context".into(), json!(self.context_lines().join("; ")));
        }
        if !a.traces.is_empty() {
            out.insert("traces".into(), json!(a.traces.join(",")));
        }
        if !self.changes.is_empty() {
            out.insert("changes".into(), json!(self.change_lines().join("; ")));
        }
        if let Some(i) = &a.worst_instance {
            out.insert("worst_instance".into(), json!(i));
        }
        if let Some(c) = a.capture_id {
            out.insert(
                "capture".into(),
                json!(format!("{}/captures/{c}", self.public_url.trim_end_matches('/'))),
            );
        }
        out.insert("onset_ms".into(), json!(a.onset_ms.to_string()));
        if let Some(f) = a.fired_ms {
            out.insert("fired_ms".into(), json!(f.to_string()));
            out.insert("delay_ms".into(), json!((self.sent_ms - a.onset_ms).to_string()));
        }
        out.insert("url".into(), json!(self.url()));
        out.insert("incident".into(), json!(self.incident_url()));
        out
    }

    fn ends_at(&self) -> String {
        match self.alert.resolved_ms.filter(|_| self.status() == "resolved") {
            Some(t) => rfc3339(t),
            None => "0001-01-01T00:00:00Z".into(),
        }
    }

    /// A stable id of the alert's labels.
    fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let text = serde_json::to_string(&self.labels()).unwrap_or_default();
        hex::encode(&Sha256::digest(text.as_bytes())[..8])
    }

    /// This alert in Alertmanager's webhook payload (version 4).
    pub(super) fn alertmanager_alert(&self) -> Value {
        json!({
            "status": self.status(),
            "labels": self.labels(),
            "annotations": self.annotations(),
            "startsAt": rfc3339(self.alert.fired_ms.unwrap_or(self.alert.onset_ms)),
            "endsAt": self.ends_at(),
            "generatorURL": self.url(),
            "fingerprint": self.fingerprint(),
        })
    }

    /// This alert as `POST /api/v2/alerts` on an Alertmanager takes it.
    pub(super) fn alertmanager_api_alert(&self) -> Value {
        let mut alert = json!({
            "labels": self.labels(),
            "annotations": self.annotations(),
            "startsAt": rfc3339(self.alert.fired_ms.unwrap_or(self.alert.onset_ms)),
            "generatorURL": self.url(),
        });
        if self.status() == "resolved" {
            alert["endsAt"] = json!(self.ends_at());
        }
        alert
    }

    /// Slack's incoming-webhook JSON with blocks, each within Slack's limits.
    pub fn slack(&self) -> Value {
        let a = self.alert;
        let icon = if self.status() == "resolved" { ":white_check_mark:" } else { ":rotating_light:" };
        let header =
            cut(&format!("{} {} on {}", self.status().to_uppercase(), a.rule, a.service), SLACK_HEADER, "");
        let mut facts = format!(
            "*{}* {} {} {} (severity {})",
            a.signal,
            Self::value_text(a.value),
            a.comparison,
            Self::value_text(a.threshold),
            a.severity
        );
        let delays = self.delays();
        if !delays.is_empty() {
            facts.push_str(&format!("\n{delays}"));
        }
        let mut blocks = vec![
            json!({"type": "header", "text": {"type": "plain_text", "text": header}}),
            json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&format!("{icon} {facts}"), SLACK_SECTION, "")}}),
        ];
        let more = format!("\n… more on <{}|the alert's page>", self.url());
        if !a.context.is_empty() {
            let lines: Vec<String> = self.context_lines().iter().map(|l| format!("• {l}")).collect();
            let text = format!("*What the failures share*\n{}", lines.join("\n"));
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&text, SLACK_SECTION, &more)}}));
        }
        if !self.changes.is_empty() {
            let lines: Vec<String> = self.change_lines().iter().map(|l| format!("• {l}")).collect();
            let text = format!("*Changes in the hour before*\n{}", lines.join("\n"));
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&text, SLACK_SECTION, &more)}}));
        }
        let mut links = vec![
            format!("<{}|Open the incident>", self.incident_url()),
            format!("<{}|the alert>", self.url()),
        ];
        if !a.traces.is_empty() {
            links.push(format!("traces: {}", a.traces.join(", ")));
        }
        if let Some(c) = a.capture_id {
            links.push(format!("<{}/captures/{c}|capture #{c}>", self.public_url.trim_end_matches('/')));
        }
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": cut(&links.join(" · "), SLACK_SECTION, &more)}]}));
        json!({"text": self.summary(), "blocks": blocks})
    }

    /// Ours: the alert as the API shows it, with the notice's kind, link and delays.
    pub fn json(&self) -> Value {
        let mut v = serde_json::to_value(self.alert).unwrap_or_else(|_| json!({}));
        v["status"] = json!(self.status());
        v["notice"] = json!(self.kind);
        v["receiver"] = json!(self.receiver);
        v["url"] = json!(self.url());
        v["incident_url"] = json!(self.incident_url());
        v["sent_ms"] = json!(self.sent_ms);
        v["summary"] = json!(self.summary());
        v["changes"] = json!(self.changes);
        v
    }
}

/// One change as a notification and the alert's page say it.
pub fn change_line(c: &ChangeView, onset_ms: i64) -> String {
    let seconds = (onset_ms - c.ts_ms).max(0) / 1000;
    let when = if seconds < 60 {
        format!("{seconds} s before onset")
    } else {
        format!("{} min before onset", seconds / 60)
    };
    let who = c.author.as_deref().map(|a| format!(" ({a})")).unwrap_or_default();
    format!("{} of {} {when}: {}{who}", c.kind.as_str(), c.service, c.summary)
}

/// `text` within `limit` characters; when cut, `tail` (a link) ends it.
pub(super) fn cut(text: &str, limit: usize, tail: &str) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let tail = if tail.is_empty() { "…" } else { tail };
    let keep = limit.saturating_sub(tail.chars().count());
    let mut out: String = text.chars().take(keep).collect();
    out.push_str(tail);
    out
}

/// A unix ms as RFC 3339 in UTC.
pub fn rfc3339(ms: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alerts::group::Group;
    use types::alerts::{AlertState, ContextRow};

    fn alert(context_rows: usize) -> AlertView {
        AlertView {
            id: 7,
            rule: "orders-api-error-ratio".into(),
            service: "orders-api".into(),
            state: AlertState::Firing,
            severity: "page".into(),
            value: Some(0.31),
            threshold: Some(0.05),
            signal: "error_ratio".into(),
            comparison: "above".into(),
            onset_ms: 1_000,
            fired_ms: Some(1_000),
            resolved_ms: None,
            context: (0..context_rows)
                .map(|i| ContextRow {
                    attribute: "user_group".into(),
                    value: format!("group-{i}-{}", "x".repeat(40)),
                    failing_share: 0.96,
                    baseline_share: Some(0.21),
                    lift: Some(4.6),
                })
                .collect(),
            traces: vec!["4bf92f3577b34da6a3ce929d0e0e4736".into()],
            worst_instance: Some("orders-api-1".into()),
            labels: [("team".to_string(), "orders".to_string())].into_iter().collect(),
            capture_id: None,
            acked_by: None,
            acked_ms: None,
            silenced: false,
            delivered_ms: None,
        }
    }

    #[test]
    fn alertmanager_payload_is_version_4_with_the_rule_as_alertname() {
        let a = alert(1);
        let deploy = ChangeView {
            id: 1,
            service: "orders-api".into(),
            kind: types::changes::ChangeKind::Deploy,
            version: Some("1.4.2".into()),
            summary: "deploy 1.4.2".into(),
            url: None,
            ts_ms: 1_000 - 120_000,
            author: Some("ci".into()),
            recorded_by: "ci-bot".into(),
        };
        let n = Notice {
            alert: &a,
            kind: "firing",
            receiver: "oncall",
            public_url: "http://hub",
            sent_ms: 1_250,
            changes: std::slice::from_ref(&deploy),
        };
        let group_labels =
            [("alertname".to_string(), a.rule.clone()), ("service".to_string(), a.service.clone())];
        let group =
            Group { notices: vec![n], receiver: "oncall", labels: &group_labels, public_url: "http://hub" };
        let v = group.alertmanager_webhook();
        assert_eq!(v["version"], "4");
        assert_eq!(v["groupLabels"]["service"], "orders-api");
        assert_eq!(v["commonLabels"]["team"], "orders");
        assert_eq!(v["status"], "firing");
        assert_eq!(v["alerts"][0]["labels"]["alertname"], "orders-api-error-ratio");
        assert_eq!(v["alerts"][0]["labels"]["team"], "orders");
        assert_eq!(v["alerts"][0]["endsAt"], "0001-01-01T00:00:00Z");
        let context = v["alerts"][0]["annotations"]["context"].as_str().unwrap_or_default();
        assert!(context.starts_with("user_group=group-0"), "{context}");
        assert!(context.contains("96 % of errors, 21 % of traffic"), "{context}");
        assert_eq!(v["alerts"][0]["annotations"]["delay_ms"], "250");
        assert_eq!(v["alerts"][0]["generatorURL"], "http://hub/alerts/7");
        assert_eq!(v["alerts"][0]["annotations"]["incident"], "http://hub/incidents/7");
        assert_eq!(
            v["alerts"][0]["annotations"]["changes"],
            "deploy of orders-api 2 min before onset: deploy 1.4.2 (ci)"
        );
    }

    #[test]
    fn a_group_lists_every_alert_with_what_they_share() {
        let (mut a, mut b) = (alert(1), alert(0));
        b.id = 8;
        b.rule = "orders-api-latency".into();
        b.state = AlertState::Resolved;
        b.resolved_ms = Some(3_000);
        let notice = |a, kind| Notice {
            alert: a,
            kind,
            receiver: "oncall",
            public_url: "http://hub",
            sent_ms: 3_500,
            changes: &[],
        };
        a.labels.insert("severity".into(), "page".into());
        let group_labels = [("service".to_string(), "orders-api".to_string())];
        let group = Group {
            notices: vec![notice(&a, "firing"), notice(&b, "resolved")],
            receiver: "oncall",
            labels: &group_labels,
            public_url: "http://hub",
        };
        let v = group.alertmanager_webhook();
        assert_eq!(v["status"], "firing", "firing while any alert fires");
        assert_eq!(v["alerts"].as_array().map(Vec::len), Some(2));
        assert_eq!(v["alerts"][1]["status"], "resolved");
        assert_eq!(v["groupKey"], "{}:{service=\"orders-api\"}");
        assert_eq!(v["commonLabels"]["service"], "orders-api");
        assert_eq!(v["commonLabels"]["team"], "orders");
        assert!(v["commonLabels"].get("alertname").is_none(), "the names differ");
        assert!(v["commonLabels"].get("severity").is_none(), "only one has it");
        let ours = group.json();
        assert_eq!(ours["alerts"][1]["id"], 8);
        assert_eq!(ours["group"]["service"], "orders-api");
        let slack = group.slack();
        assert!(slack["text"].as_str().is_some_and(|t| t.starts_with("2 alerts (1 firing, 1 resolved)")));
        assert_eq!(group.alertmanager_api().as_array().map(Vec::len), Some(2));
    }

    #[test]
    fn a_long_context_is_cut_within_slacks_limits_with_a_link() {
        let a = alert(200);
        let n = Notice {
            alert: &a,
            kind: "firing",
            receiver: "slack",
            public_url: "http://hub",
            sent_ms: 2_000,
            changes: &[],
        };
        let v = n.slack();
        let blocks = v["blocks"].as_array().cloned().unwrap_or_default();
        assert!(blocks.len() <= 50);
        let context = blocks[2]["text"]["text"].as_str().unwrap_or_default();
        assert!(context.chars().count() <= SLACK_SECTION, "{}", context.len());
        assert!(context.ends_with("|the alert's page>"), "cut with a link");
    }
}
