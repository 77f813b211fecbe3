use leptos::prelude::*;
use types::{AppError, ConfigView, ReloadOutcome, ServiceDetail, ServiceView};

/// The services with the server's clock, so ages read the same in every browser.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ServiceList {
    pub now_ms: i64,
    pub services: Vec<ServiceView>,
}

#[server]
pub async fn list_services() -> Result<ServiceList, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    Ok(ServiceList { now_ms: backend::now_ms(), services: hub.catalog.services(&me) })
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
