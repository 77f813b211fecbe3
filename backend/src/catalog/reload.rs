//! The running config as admins see it, and reloads: a bad file is refused with its line
//! and field and the running config stays; a good one replaces it as a whole.

use super::{diff, Catalog, Loaded};
use crate::audit::{Attempt, AuditEvent, Outcome};
use crate::config::mask_secrets;
use crate::{now_ms, BackendError, Principal};
use std::sync::{Arc, PoisonError};
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
        Ok(ReloadOutcome { applied: true, error: None, line: None, diff, notes })
    }
}

fn reload_event<'a>(who: &'a str, source: &'a str, outcome: Outcome, target: &'a str) -> AuditEvent<'a> {
    AuditEvent { actor: who, action: "config.reload", target, outcome, source }
}
