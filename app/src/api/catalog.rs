use leptos::prelude::*;
use types::{AppError, ConfigView, ReloadOutcome, ServiceDetail, ServiceView};

/// The services with the server's clock, so ages read the same in every browser.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ServiceList {
    pub now_ms: i64,
    pub services: Vec<ServiceView>,
    /// Each service's key signals now.
    pub signals: Vec<types::KeySignals>,
    /// The alerts firing now: (service, rule), by service.
    pub firing: Vec<(String, String)>,
}

#[server]
pub async fn list_services() -> Result<ServiceList, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    Ok(ServiceList {
        now_ms: backend::now_ms(),
        services: hub.catalog.services(&me),
        signals: hub.metrics.key_signals(&me),
        firing: hub
            .alerts
            .list(&me, types::alerts::AlertFilter::In(types::alerts::AlertState::Firing))
            .await
            .or_else(super::context::fail)?
            .into_iter()
            .map(|a| (a.service, a.rule))
            .collect(),
    })
}

#[server]
pub async fn get_service(name: String) -> Result<ServiceDetail, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.catalog.service(&me, &name).or_else(super::context::fail)
}

#[server]
pub async fn server_now() -> Result<i64, AppError> {
    Ok(backend::now_ms())
}

#[server]
pub async fn running_config() -> Result<ConfigView, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.catalog.config_view(&me).or_else(super::context::fail)
}

#[server]
pub async fn reload_config() -> Result<ReloadOutcome, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.catalog.reload(&me, &source).await.or_else(super::context::fail)
}

#[server]
pub async fn overview(team: Option<String>) -> Result<types::Overview, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.overview(&me, team.as_deref()).await.or_else(super::context::fail)
}

/// One instance as its page shows it: health and last scrape, and its key signals.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct InstanceState {
    pub now_ms: i64,
    pub instance: types::InstanceView,
    pub signals: Option<types::KeySignals>,
}

#[server]
pub async fn instance_now(service: String, instance: String) -> Result<InstanceState, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let detail = hub.catalog.service(&me, &service).or_else(super::context::fail)?;
    let Some(found) = detail.service.instances.into_iter().find(|i| i.name == instance) else {
        return super::context::fail(AppError::not_found(format!("{service} has no instance {instance}")));
    };
    let signals = hub.metrics.instance_signals(&me, &service, &instance);
    Ok(InstanceState { now_ms: backend::now_ms(), instance: found, signals })
}
