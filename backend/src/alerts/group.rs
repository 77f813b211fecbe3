//! Notices that go out together: the alerts of one receiver whose `group_by` labels agree,
//! due at once (a group's first firing notice waits `group_wait` for the others). One alert
//! gives exactly the single-alert payloads; more give Alertmanager's grouped payload (common
//! labels and annotations, every alert listed), one Slack message, or our `{"alerts": […]}`.

use super::payload::{cut, Notice, SLACK_HEADER, SLACK_SECTION};
use serde_json::{json, Map, Value};

/// Slack allows 50 blocks in a message.
const SLACK_BLOCKS: usize = 50;

pub struct Group<'a> {
    pub notices: Vec<Notice<'a>>,
    pub receiver: &'a str,
    /// The receiver's `group_by` labels with this group's values.
    pub labels: &'a [(String, String)],
    pub public_url: &'a str,
}

/// The entries every map of `maps` has with the same value.
fn common(maps: &[Map<String, Value>]) -> Map<String, Value> {
    let Some((first, rest)) = maps.split_first() else { return Map::new() };
    first
        .iter()
        .filter(|(k, v)| rest.iter().all(|m| m.get(*k) == Some(*v)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

impl Group<'_> {
    /// `firing` while any of its alerts fires.
    pub fn status(&self) -> &'static str {
        if self.notices.iter().any(|n| n.status() == "firing") {
            "firing"
        } else {
            "resolved"
        }
    }

    fn group_labels(&self) -> Map<String, Value> {
        self.labels.iter().map(|(k, v)| (k.clone(), json!(v))).collect()
    }

    /// Alertmanager's webhook payload, version 4.
    pub fn alertmanager_webhook(&self) -> Value {
        let labels: Vec<Map<String, Value>> = self.notices.iter().map(Notice::labels).collect();
        let annotations: Vec<Map<String, Value>> = self.notices.iter().map(Notice::annotations).collect();
        let key = self.labels.iter().map(|(k, v)| format!("{k}={v:?}")).collect::<Vec<_>>().join(", ");
        json!({
            "version": "4",
            "groupKey": format!("{{}}:{{{key}}}"),
            "truncatedAlerts": 0,
            "status": self.status(),
            "receiver": self.receiver,
            "groupLabels": self.group_labels(),
            "commonLabels": common(&labels),
            "commonAnnotations": common(&annotations),
            "externalURL": self.public_url,
            "alerts": self.notices.iter().map(Notice::alertmanager_alert).collect::<Vec<_>>(),
        })
    }

    /// The body of `POST /api/v2/alerts` on an Alertmanager: every alert of the group.
    pub fn alertmanager_api(&self) -> Value {
        Value::Array(self.notices.iter().map(Notice::alertmanager_api_alert).collect())
    }

    /// One Slack message: a single alert's blocks, or a header and each alert's summary and
    /// what its failures share, cut at Slack's 50 blocks with a link to the Alerts page.
    pub fn slack(&self) -> Value {
        if let [one] = self.notices.as_slice() {
            return one.slack();
        }
        let firing = self.notices.iter().filter(|n| n.status() == "firing").count();
        let title = format!(
            "{} alerts ({firing} firing, {} resolved) for {}",
            self.notices.len(),
            self.notices.len() - firing,
            self.labels.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ")
        );
        let mut blocks = vec![
            json!({"type": "header", "text": {"type": "plain_text", "text": cut(&title, SLACK_HEADER, "")}}),
        ];
        let room = SLACK_BLOCKS - 2;
        for n in self.notices.iter().take(room) {
            let mut text = format!("<{}|{}>", n.url(), n.summary());
            if let Some(first) = n.context_lines().first() {
                text.push_str(&format!("\n• {first}"));
            }
            blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": cut(&text, SLACK_SECTION, "…")}}));
        }
        let alerts_page = format!("{}/alerts", self.public_url.trim_end_matches('/'));
        let tail = match self.notices.len().saturating_sub(room) {
            0 => format!("<{alerts_page}|All alerts>"),
            more => format!("… and {more} more on <{alerts_page}|the Alerts page>"),
        };
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": tail}]}));
        json!({"text": title, "blocks": blocks})
    }

    /// Ours: a single alert's object, or `{"status", "receiver", "group", "alerts": [those objects]}`.
    pub fn json(&self) -> Value {
        if let [one] = self.notices.as_slice() {
            return one.json();
        }
        json!({
            "status": self.status(),
            "receiver": self.receiver,
            "group": self.group_labels(),
            "alerts": self.notices.iter().map(Notice::json).collect::<Vec<_>>(),
        })
    }
}
