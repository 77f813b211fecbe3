//! Consistency checks: the list, runs and their differences, the verifier's live list, and
//! the actions (run, cancel, review, sign off), each checked and audited by the service.

use leptos::prelude::*;
use types::charts::ChartView;
use types::checks::{CheckSummary, DifferenceEvent, DifferenceView, RunMode, RunView, VerifierView};
use types::AppError;

#[server]
pub async fn list_checks() -> Result<Vec<CheckSummary>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.checks.list(&me).await.or_else(super::context::fail)
}

#[server]
pub async fn check_runs(name: String) -> Result<Vec<RunView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.checks.runs(&me, &name, 50).await.or_else(super::context::fail)
}

/// Differences per run and duration, over the check's last runs.
#[server]
pub async fn check_trend(name: String) -> Result<(ChartView, ChartView), AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.checks.trend(&me, &name).await.or_else(super::context::fail)
}

#[server]
pub async fn check_run(name: String, id: i64) -> Result<RunView, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.checks.run(&me, &name, id).await.or_else(super::context::fail)
}

#[server]
pub async fn check_verifier(name: String) -> Result<VerifierView, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.checks.verifier(&me, &name).await.or_else(super::context::fail)
}

/// A page of a run's differences, filtered as the report's URL says.
#[server]
pub async fn run_differences(
    name: String,
    id: i64,
    kind: Option<String>,
    state: Option<String>,
    assignee: Option<String>,
    column: Option<String>,
    after: i64,
) -> Result<Vec<DifferenceView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let filters =
        backend::consistency::findings::Filters { kind, state, assignee, column, after, limit: 100 };
    hub.checks.differences(&me, &name, id, &filters).await.or_else(super::context::fail)
}

#[server]
pub async fn difference_history(id: i64) -> Result<Vec<DifferenceEvent>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.checks.history(&me, id).await.or_else(super::context::fail)
}

#[server]
pub async fn start_check_run(name: String, mode: RunMode) -> Result<i64, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.checks.start(&me, &source, &name, mode).await.or_else(super::context::fail)
}

/// A lead defines a check from its TOML (one `[[checks]]` table); its name.
#[server]
pub async fn define_check(toml: String) -> Result<String, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.checks.define(&me, &source, &toml).await.or_else(super::context::fail)
}

/// A lead removes a check defined in the UI.
#[server]
pub async fn delete_check(name: String) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.checks.undefine(&me, &source, &name).await.or_else(super::context::fail)
}

#[server]
pub async fn cancel_check_run(name: String, id: i64) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.checks.cancel(&me, &source, &name, id).await.or_else(super::context::fail)
}

#[server]
pub async fn sign_off_run(name: String, id: i64) -> Result<RunView, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.checks.sign_off(&me, &source, &name, id).await.or_else(super::context::fail)
}

/// `acknowledge`, `assign` (with `text`: the team), `comment` (`text`), `resolve` (`text`:
/// fixed, expected or false_positive; `note`).
#[server]
pub async fn review_difference(
    id: i64,
    action: String,
    text: Option<String>,
    note: Option<String>,
) -> Result<(), AppError> {
    use backend::consistency::service::ReviewAction;
    let (hub, me, source) = super::context::signed_in()?;
    let text = text.unwrap_or_default();
    let action = match action.as_str() {
        "acknowledge" => ReviewAction::Acknowledge,
        "assign" => ReviewAction::Assign(text),
        "comment" => ReviewAction::Comment(text),
        "resolve" => ReviewAction::Resolve { reason: text, note },
        other => return super::context::fail(AppError::invalid(format!("no review action {other:?}"))),
    };
    hub.checks.review(&me, &source, id, action).await.or_else(super::context::fail)
}
