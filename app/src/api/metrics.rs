use leptos::prelude::*;
use types::{AppError, CatalogFamilyView};

#[server]
pub async fn matrix() -> Result<types::ConformanceMatrix, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    Ok(hub.metrics.conformance_matrix(&me))
}

#[server]
pub async fn service_rules(name: String) -> Result<types::ServiceConformance, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.metrics.service_conformance(&me, &name).or_else(super::context::fail)
}

#[server]
pub async fn metric_families() -> Result<Vec<CatalogFamilyView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    Ok(hub.metrics.metric_families(&me))
}

#[server]
pub async fn service_panels(
    name: String,
    range: types::TimeRange,
) -> Result<Vec<types::PanelView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let (from, to) =
        range.bounds(backend::now_ms()).map_err(AppError::invalid).or_else(super::context::fail)?;
    let markers = hub.changes.markers(&name, from, to).await;
    hub.metrics.panels(&me, &name, &range, &markers).await.or_else(super::context::fail)
}

#[server]
pub async fn explore_metrics(
    service: String,
    metric: String,
    labels: String,
    mode: String,
    range: types::TimeRange,
) -> Result<types::ExploreView, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.metrics.explore(&me, &service, &metric, &labels, &mode, &range).or_else(super::context::fail)
}
