//! Checks a lead defines in the UI, beside the config's: one `[[checks]]` table of TOML,
//! validated as if it were in the config file (its connections and read models must be
//! there), kept in the store, and run like any other. A name is taken once, config or UI.

use super::Checks;
use crate::audit::Attempt;
use crate::config::checks::CheckDef;
use crate::config::HubConfig;
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use std::sync::PoisonError;
use types::Role;

/// The most a definition may hold.
const MAX_DEFINITION: usize = 16 * 1024;

async fn load(store: &Store) -> Result<Vec<(String, String, String)>, sqlx::Error> {
    sqlx::query_as("SELECT name, definition, created_by FROM check_definitions ORDER BY name")
        .fetch_all(store.pool())
        .await
}

/// Parses `text` as one check of `config` (its own line numbers in errors).
fn parse(config: &HubConfig, config_text: &str, text: &str) -> Result<CheckDef, BackendError> {
    if text.len() > MAX_DEFINITION {
        return Err(BackendError::Invalid(format!("a check's definition is at most {MAX_DEFINITION} bytes")));
    }
    // The config's own text first (its connections, read models and checks), then the new
    // check; an error's line is counted from the new check's first line.
    let offset = config_text.lines().count() + 2;
    let document = format!("{config_text}\n\n{text}");
    let parsed = HubConfig::parse(&document, "the new check").map_err(|mut e| {
        e.line = e.line.map(|l| l.saturating_sub(offset)).filter(|l| *l > 0);
        BackendError::Invalid(e.to_string())
    })?;
    let new: Vec<CheckDef> = parsed.checks.into_iter().skip(config.checks.len()).collect();
    match new.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err(BackendError::Invalid("the text holds no [[checks]] table".into())),
        more => Err(BackendError::Invalid(format!("one check at a time, not {}", more.len()))),
    }
}

impl Checks {
    /// Every check: the config's, then those defined in the UI.
    pub fn all(&self) -> Vec<CheckDef> {
        let mut all = self.catalog.config().checks.clone();
        let defined = self.defined.read().unwrap_or_else(PoisonError::into_inner);
        let mine: Vec<CheckDef> = defined
            .iter()
            .filter(|(d, _)| !all.iter().any(|c| c.name() == d.name()))
            .map(|(d, _)| d.clone())
            .collect();
        all.extend(mine);
        all
    }

    /// Who defined check `name` in the UI (None: it is the config's).
    pub fn defined_by(&self, name: &str) -> Option<String> {
        let defined = self.defined.read().unwrap_or_else(PoisonError::into_inner);
        defined.iter().find(|(d, _)| d.name() == name).map(|(_, by)| by.clone())
    }

    /// Reads the UI's checks from the store again (at start, and every few seconds: another
    /// hub may have defined one); a definition the config no longer fits is skipped, said in
    /// the log.
    pub async fn refresh_defined(&self) -> Result<(), sqlx::Error> {
        let config = self.catalog.config();
        let text = self.catalog.config_text();
        let mut list = Vec::new();
        for (name, definition, by) in load(&self.store).await? {
            match parse(&config, &text, &definition) {
                Ok(def) => list.push((def, by)),
                Err(e) => {
                    tracing::warn!(check = %name, error = %e, "a check defined in the UI no longer fits the config")
                }
            }
        }
        let changed = {
            let mut defined = self.defined.write().unwrap_or_else(PoisonError::into_inner);
            let changed = defined.iter().map(|(d, _)| d).ne(list.iter().map(|(d, _)| d));
            *defined = list;
            changed
        };
        if changed {
            self.changes.send_modify(|v| *v += 1);
        }
        Ok(())
    }

    /// A lead defines a check from its TOML (audited as `check.define`); its name.
    pub async fn define(&self, actor: &Principal, source: &str, text: &str) -> Result<String, BackendError> {
        let result = async {
            actor.require(Role::Lead)?;
            let def = parse(&self.catalog.config(), &self.catalog.config_text(), text)?;
            let name = def.name().to_string();
            if self.all().iter().any(|c| c.name() == name) {
                return Err(BackendError::Conflict(format!("a check named {name} exists already")));
            }
            sqlx::query("INSERT INTO check_definitions (name, definition, created_by, created_ms) VALUES ($1, $2, $3, $4)")
                .bind(&name)
                .bind(text)
                .bind(&actor.username)
                .bind(now_ms())
                .execute(self.store.pool())
                .await?;
            self.refresh_defined().await?;
            Ok(name)
        }
        .await;
        let target = result.as_ref().map_or_else(|_| "a new check".to_string(), Clone::clone);
        self.audit.settle(Attempt::by(actor, "check.define", target, source), result).await
    }

    /// A lead removes a check defined in the UI (its runs and differences stay); audited.
    pub async fn undefine(&self, actor: &Principal, source: &str, name: &str) -> Result<(), BackendError> {
        let result = async {
            actor.require(Role::Lead)?;
            if self.defined_by(name).is_none() {
                let why = if self.catalog.config().checks.iter().any(|c| c.name() == name) {
                    format!("check {name} is the config's: change the config file")
                } else {
                    format!("no check named {name} was defined in the UI")
                };
                return Err(BackendError::NotFound(why));
            }
            sqlx::query("DELETE FROM check_definitions WHERE name = $1")
                .bind(name)
                .execute(self.store.pool())
                .await?;
            self.refresh_defined().await?;
            Ok(())
        }
        .await;
        self.audit.settle(Attempt::by(actor, "check.delete", name, source), result).await
    }
}
