//! Read-model lag: the list, one read model over a window, its chart.

use leptos::prelude::*;
use types::lag::{LagCharts, LagDetail, LagSummary};
use types::AppError;

#[server]
pub async fn list_lag() -> Result<Vec<LagSummary>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    Ok(hub.lag.list(&me))
}

#[server]
pub async fn read_model_lag(read_model: String, window: String) -> Result<LagDetail, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.lag.detail(&me, &read_model, &window).await.or_else(super::context::fail)
}

#[server]
pub async fn read_model_charts(read_model: String, window: String, log: bool) -> Result<LagCharts, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let span = backend::lag::window_ms(&window).or_else(super::context::fail)?;
    hub.lag.charts(&me, &read_model, span, log).await.or_else(super::context::fail)
}
