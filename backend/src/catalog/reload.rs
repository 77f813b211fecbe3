//! The running config as admins see it, and reloads: a bad file is refused with its line
//! and field and the running config stays; a good one replaces it as a whole.

use super::{diff, Catalog, Loaded};
use crate::audit::{Attempt, AuditEvent, Outcome};
use crate::config::mask_secrets;
use crate::config::HubConfig;
use crate::{now_ms, BackendError, Principal};
use std::sync::{Arc, PoisonError};
use types::changes::ChangeKind;
use types::{ConfigView, DiffOp, ReloadOutcome, Role};

impl Catalog {
    pub fn config_view(&self, actor: &Principal) -> Result<ConfigView, BackendError> {
        actor.require(Role::Admin)?;
        let loaded = self.loaded();
        let text = mask_secrets(&loaded.text);
        Ok(ConfigView { file: self.file.label(), text, loaded_ms: loaded.loaded_ms })
    }

    /// Re-reads the config file for an admin; audited whatever the outcome.
    pub async fn reload(&self, actor: &Principal, source: &str) -> Result<ReloadOutcome, BackendError> {
        let attempt = Attempt::by(actor, "config.reload", self.file.label(), source);
        if let Err(refusal) = actor.require(Role::Admin) {
            return self.audit.settle(attempt, Err(refusal)).await;
        }
        self.reload_as(&actor.username, source).await
    }

    /// Re-reads the config file on SIGHUP.
    pub async fn reload_on_signal(&self) -> Result<ReloadOutcome, BackendError> {
        self.reload_as("system (SIGHUP)", "SIGHUP").await
    }

    async fn reload_as(&self, who: &str, source: &str) -> Result<ReloadOutcome, BackendError> {
        let old = self.loaded();
        let loaded = self.file.load().and_then(|(config, text)| {
            let metric_catalog = crate::metrics::catalog::load(&config, &self.file)?;
            Ok((config, text, metric_catalog))
        });
        let (config, text, metric_catalog) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                // A parse error quotes the line, which may hold a URL with its password.
                let why = mask_secrets(&e.to_string());
                tracing::warn!(error = %why, "config reload refused; the running config stays");
                self.audit.record(reload_event(who, source, Outcome::Failed, &why)).await?;
                return Ok(ReloadOutcome {
                    applied: false,
                    error: Some(why),
                    line: e.line,
                    diff: vec![],
                    notes: vec![],
                });
            }
        };
        let diff = diff::lines(&mask_secrets(&old.text), &mask_secrets(&text));
        let mut notes = Vec::new();
        if !diff::changed(&diff) {
            notes.push("The file has not changed.".to_string());
        }
        if config.hub != old.config.hub {
            notes.push("[hub] settings take effect at the next restart.".to_string());
        }
        let (added, removed) = diff.iter().fold((0, 0), |(a, r), l| match l.op {
            DiffOp::Added => (a + 1, r),
            DiffOp::Removed => (a, r + 1),
            DiffOp::Same => (a, r),
        });
        let touched = touched_services(&old.config, &config);
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Loaded {
            config: Arc::new(config),
            text,
            metric_catalog: Arc::new(metric_catalog),
            loaded_ms: now_ms(),
        });
        self.changes.send_modify(|v| *v += 1);
        let target = format!("{} (+{added} −{removed} lines)", self.file.label());
        self.audit.record(reload_event(who, source, Outcome::Ok, &target)).await?;
        tracing::info!(%target, "config reloaded");
        for (service, what) in touched {
            let summary = format!("config reloaded by {who}: {what}");
            self.change_log.record_by_hub(&service, ChangeKind::Config, summary, who).await;
        }
        Ok(ReloadOutcome { applied: true, error: None, line: None, diff, notes })
    }
}

fn reload_event<'a>(who: &'a str, source: &'a str, outcome: Outcome, target: &'a str) -> AuditEvent<'a> {
    AuditEvent { actor: who, action: "config.reload", target, outcome, source }
}

/// The services a reload changed, with what changed for each: their `[[services]]` entry, or
/// an alert rule that names them. Rules for every service and hub-wide sections change no
/// one service, and are in the audit log instead.
fn touched_services(old: &HubConfig, new: &HubConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let names = |c: &HubConfig| c.services.iter().map(|s| s.name.get_ref().clone()).collect::<Vec<_>>();
    let mut all = names(old);
    all.extend(names(new));
    all.sort();
    all.dedup();
    for name in all {
        let what = match (old.service(&name), new.service(&name)) {
            (None, Some(_)) => Some("added to the config".to_string()),
            (Some(_), None) => Some("removed from the config".to_string()),
            (Some(a), Some(b)) if a != b => Some("its [[services]] entry changed".to_string()),
            _ => None,
        };
        let rules = |c: &HubConfig| {
            let mut r: Vec<_> = c.alerts.iter().filter(|a| a.services.contains(&name)).cloned().collect();
            r.sort_by(|a, b| a.name.get_ref().cmp(b.name.get_ref()));
            r
        };
        let rules_changed = rules(old) != rules(new);
        let what = match (what, rules_changed) {
            (Some(w), true) => Some(format!("{w}; its alert rules changed")),
            (Some(w), false) => Some(w),
            (None, true) => Some("its alert rules changed".to_string()),
            (None, false) => None,
        };
        if let Some(w) = what {
            out.push((name, w));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> HubConfig {
        toml::from_str(text).unwrap()
    }

    const BASE: &str = r#"
[[services]]
name = "a"
team = "t"
[[services]]
name = "b"
team = "t"
"#;

    #[test]
    fn names_the_services_a_reload_touched() {
        let old = config(BASE);
        assert!(touched_services(&old, &old).is_empty());
        let new = config(&format!(
            "{}\n[[services]]\nname = \"c\"\nteam = \"t\"\n",
            BASE.replace("name = \"b\"\nteam = \"t\"", "name = \"b\"\nteam = \"u\"")
        ));
        let touched = touched_services(&old, &new);
        assert_eq!(
            touched,
            vec![
                ("b".into(), "its [[services]] entry changed".into()),
                ("c".into(), "added to the config".into())
            ]
        );
        let with_rule = config(&format!(
            "{BASE}\n[[alerts]]\nname = \"r\"\nservices = [\"a\"]\nsignal = \"error_ratio\"\nabove = 0.1\n"
        ));
        assert_eq!(touched_services(&old, &with_rule), vec![("a".into(), "its alert rules changed".into())]);
    }
}
