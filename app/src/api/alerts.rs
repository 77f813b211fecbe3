//! Alerts and silences.

use leptos::prelude::*;
use types::alerts::{AlertDetail, AlertView, SilenceView};
use types::AppError;

/// Alerts in one state (`pending`, `firing`, `resolved`), the silenced ones, or all when empty.
#[server]
pub async fn list_alerts(state: String) -> Result<Vec<AlertView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let filter =
        types::alerts::AlertFilter::parse(&state).map_err(AppError::invalid).or_else(super::context::fail)?;
    hub.alerts.list(&me, filter).await.or_else(super::context::fail)
}

#[server]
pub async fn get_alert(id: i64) -> Result<AlertDetail, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.alerts.detail(&me, id).await.or_else(super::context::fail)
}

/// The alert's signal around its episode, with the threshold and the episode shaded.
#[server]
pub async fn alert_chart(id: i64) -> Result<types::charts::ChartView, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.alerts.signal_chart(&me, id).await.or_else(super::context::fail)
}

/// Developers and up: no more repeats of this alert.
#[server]
pub async fn ack_alert(id: i64) -> Result<AlertView, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.alerts.ack(&me, &source, id).await.or_else(super::context::fail)
}

#[server]
pub async fn list_silences() -> Result<Vec<SilenceView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.alerts.silences(&me).await.or_else(super::context::fail)
}

/// Developers and up: a silence from `label=value` pairs (comma-separated), for `hours`.
#[server]
pub async fn create_silence(matchers: String, hours: f64, comment: String) -> Result<SilenceView, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    let mut parsed = std::collections::BTreeMap::new();
    for pair in matchers.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            return super::context::fail(AppError::invalid(format!("{pair:?} is not label=value")));
        };
        parsed.insert(k.trim().to_string(), v.trim().to_string());
    }
    if !(hours.is_finite() && hours > 0.0 && hours <= 24.0 * 30.0) {
        return super::context::fail(AppError::invalid("a silence lasts more than 0 and at most 720 hours"));
    }
    #[expect(clippy::cast_possible_truncation, reason = "at most 30 days in ms")]
    let ends_ms = backend::now_ms() + (hours * 3_600_000.0) as i64;
    let new = types::alerts::NewSilence { matchers: parsed, starts_ms: None, ends_ms, comment };
    hub.alerts.silence(&me, &source, &new).await.or_else(super::context::fail)
}

/// Developers and up: ends a silence now.
#[server]
pub async fn end_silence(id: i64) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.alerts.end_silence(&me, &source, id).await.or_else(super::context::fail)
}
