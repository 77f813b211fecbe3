//! `Checks`, the consistency-check service: starting and cancelling runs, what they found,
//! and the review of differences by team leads. Roles are checked here and every action is
//! audited, done or refused.

use super::findings::{self, Filters, Review};
use super::store;
use super::Checks;
use crate::audit::Attempt;
use crate::{now_ms, BackendError, Principal};
use types::checks::{
    CheckSummary, DifferenceEvent, DifferenceView, ReviewState, RunMode, RunState, RunView, VerifierView,
};
use types::Role;

/// Why a difference is resolved.
pub const RESOLUTIONS: [&str; 3] = ["fixed", "expected", "false_positive"];

/// A review action on a difference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReviewAction {
    Acknowledge,
    Assign(String),
    Comment(String),
    Resolve { reason: String, note: Option<String> },
}

impl ReviewAction {
    fn name(&self) -> &'static str {
        match self {
            ReviewAction::Acknowledge => "acknowledge",
            ReviewAction::Assign(_) => "assign",
            ReviewAction::Comment(_) => "comment",
            ReviewAction::Resolve { .. } => "resolve",
        }
    }
}

impl Checks {
    fn known(&self, name: &str) -> Result<crate::config::checks::CheckDef, BackendError> {
        self.all()
            .iter()
            .find(|c| c.name() == name)
            .cloned()
            .ok_or_else(|| BackendError::NotFound(format!("no check named {name}")))
    }

    /// Every check with its last run and open differences; anyone logged in may look.
    pub async fn list(&self, _actor: &Principal) -> Result<Vec<CheckSummary>, BackendError> {
        let now = now_ms();
        let mut out = Vec::new();
        for def in &self.all() {
            // The last run asked for: the verifier's rolling run is its live list, not a run.
            let last = store::of_check(&self.store, def.name(), 5)
                .await?
                .into_iter()
                .find(|r| r.mode != RunMode::Verifier.as_str());
            let schedule = def.schedule.as_ref().map(|s| s.get_ref().clone());
            let next_run_ms = schedule
                .as_deref()
                .and_then(|s| super::schedule::Schedule::parse(s).ok())
                .and_then(|s| s.next_after(now));
            out.push(CheckSummary {
                name: def.name().to_string(),
                source: format!("{} · {}", def.source.connection.get_ref(), def.source.what()),
                target: format!("{} · {}", def.target.connection.get_ref(), def.target.what()),
                read_model: def.read_model.as_ref().map(|r| r.get_ref().clone()),
                last_run: last.map(|r| r.view(now)),
                open_differences: findings::open_count(&self.store, def.name()).await?,
                next_run_ms,
                schedule,
                defined_by: self.defined_by(def.name()),
            });
        }
        Ok(out)
    }

    /// Queues a run of check `name` (developers and up; audited as `check.run`).
    pub async fn start(
        &self,
        actor: &Principal,
        source: &str,
        name: &str,
        mode: RunMode,
    ) -> Result<i64, BackendError> {
        let target = format!("{name} {}", mode.as_str());
        let result = async {
            actor.require(Role::Developer)?;
            self.queue(name, mode, &actor.username).await
        }
        .await;
        let target = match &result {
            Ok(id) => format!("{target} #{id}"),
            Err(_) => target,
        };
        self.audit.settle(Attempt::by(actor, "check.run", target, source), result).await
    }

    /// Queues a run for `by` (a user or the schedule); one at a time per check and mode.
    pub async fn queue(&self, name: &str, mode: RunMode, by: &str) -> Result<i64, BackendError> {
        let def = self.known(name)?;
        if mode == RunMode::Verifier {
            return Err(BackendError::Invalid(
                "the verifier's run is its own: ask for a `residual` or a `recent` run".into(),
            ));
        }
        if mode == RunMode::Recent && def.recent.is_none() {
            return Err(BackendError::Invalid(format!("check {name} has no `recent` to follow")));
        }
        if let Some(id) = store::busy(&self.store, name, mode).await? {
            return Err(BackendError::Conflict(format!("check {name} has run #{id} in progress")));
        }
        Ok(store::insert(&self.store, name, mode, by, now_ms()).await?)
    }

    pub async fn run(&self, _actor: &Principal, name: &str, id: i64) -> Result<RunView, BackendError> {
        let row = store::get(&self.store, id).await?.filter(|r| r.check_name == name);
        row.map(|r| r.view(now_ms()))
            .ok_or_else(|| BackendError::NotFound(format!("check {name} has no run #{id}")))
    }

    pub async fn runs(
        &self,
        _actor: &Principal,
        name: &str,
        limit: i64,
    ) -> Result<Vec<RunView>, BackendError> {
        self.known(name)?;
        let now = now_ms();
        Ok(store::of_check(&self.store, name, limit).await?.iter().map(|r| r.view(now)).collect())
    }

    pub async fn differences(
        &self,
        actor: &Principal,
        name: &str,
        id: i64,
        filters: &Filters,
    ) -> Result<Vec<DifferenceView>, BackendError> {
        self.run(actor, name, id).await?;
        let filters = Filters { limit: filters.limit.clamp(1, 10_000), ..filters.clone() };
        Ok(findings::of_run(&self.store, id, &filters).await?)
    }

    /// Cancels a queued or running run (developers and up; audited).
    pub async fn cancel(
        &self,
        actor: &Principal,
        source: &str,
        name: &str,
        id: i64,
    ) -> Result<(), BackendError> {
        let result = async {
            actor.require(Role::Developer)?;
            if self.run(actor, name, id).await?.mode == RunMode::Verifier {
                return Err(BackendError::Conflict(format!(
                    "run #{id} is the real-time verifier's: it goes on as long as the verifier runs \
                     (remove `recent` from check {name} to stop it)"
                )));
            }
            let reason = format!("cancelled by {}", actor.username);
            if store::request_cancel(&self.store, id, &reason, now_ms()).await? {
                Ok(())
            } else {
                Err(BackendError::Conflict(format!("run #{id} is not queued or running")))
            }
        }
        .await;
        self.audit.settle(Attempt::by(actor, "check.cancel", format!("{name} #{id}"), source), result).await
    }

    /// A lead's review action on difference `id` (audited as `check.review`).
    pub async fn review(
        &self,
        actor: &Principal,
        source: &str,
        id: i64,
        action: ReviewAction,
    ) -> Result<(), BackendError> {
        let target = format!("difference #{id}: {}", action.name());
        let result = async {
            actor.require(Role::Lead)?;
            findings::check_of(&self.store, id)
                .await?
                .ok_or_else(|| BackendError::NotFound(format!("no difference #{id}")))?;
            let mut r = Review {
                id,
                actor: &actor.username,
                action: action.name(),
                state: None,
                assignee: None,
                resolution: None,
                detail: None,
                now: now_ms(),
            };
            match &action {
                ReviewAction::Acknowledge => r.state = Some(ReviewState::Acknowledged),
                ReviewAction::Assign(team) => {
                    let team = team.trim();
                    if team.is_empty() || team.len() > 64 {
                        return Err(BackendError::Invalid("a team is 1 to 64 characters".into()));
                    }
                    r.assignee = Some(team);
                    r.detail = Some(team);
                }
                ReviewAction::Comment(text) => {
                    if text.trim().is_empty() || text.len() > 4000 {
                        return Err(BackendError::Invalid("a comment is 1 to 4000 characters".into()));
                    }
                    r.detail = Some(text);
                }
                ReviewAction::Resolve { reason, note } => {
                    if !RESOLUTIONS.contains(&reason.as_str()) {
                        return Err(BackendError::Invalid(format!(
                            "a resolution is one of {}",
                            RESOLUTIONS.join(", ")
                        )));
                    }
                    r.state = Some(ReviewState::Resolved);
                    r.resolution = Some(reason);
                    r.detail = Some(note.as_deref().filter(|n| !n.trim().is_empty()).unwrap_or(reason));
                }
            }
            Ok(findings::review(&self.store, &r).await?)
        }
        .await;
        self.audit.settle(Attempt::by(actor, "check.review", target, source), result).await
    }

    /// The real-time verifier's suspects and what it confirmed (the newest 200).
    pub async fn verifier(&self, _actor: &Principal, name: &str) -> Result<VerifierView, BackendError> {
        self.known(name)?;
        let run_id = super::verifier_store::verifier_of(&self.store, name).await?;
        let confirmed = match run_id {
            Some(id) => {
                findings::of_run(&self.store, id, &Filters { limit: 200, ..Filters::default() }).await?
            }
            None => Vec::new(),
        };
        Ok(VerifierView { run_id, suspects: self.suspects(name), confirmed })
    }

    pub async fn history(&self, _actor: &Principal, id: i64) -> Result<Vec<DifferenceEvent>, BackendError> {
        Ok(findings::events(&self.store, id).await?)
    }

    /// A lead signs a finished run off: "reviewed by NAME at T, N open" (audited).
    pub async fn sign_off(
        &self,
        actor: &Principal,
        source: &str,
        name: &str,
        id: i64,
    ) -> Result<RunView, BackendError> {
        let result = async {
            actor.require(Role::Lead)?;
            let run = self.run(actor, name, id).await?;
            if run.state != RunState::Done {
                return Err(BackendError::Conflict(format!("run #{id} is {}, not done", run.state.as_str())));
            }
            let open = findings::open_in_run(&self.store, id).await?;
            store::sign_off(&self.store, id, &actor.username, now_ms(), open).await?;
            self.run(actor, name, id).await
        }
        .await;
        self.audit.settle(Attempt::by(actor, "check.signoff", format!("{name} #{id}"), source), result).await
    }
}
