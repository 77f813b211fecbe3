use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use types::{AppError, DemoFault, DemoInstanceView};

#[cfg(feature = "ssr")]
fn controls(hub: &backend::Hub) -> Result<backend::catalog::DemoControls, AppError> {
    hub.demo.get().cloned().ok_or_else(|| AppError::not_found("The demo fleet is not running."))
}

#[server]
pub async fn demo_fleet() -> Result<Vec<DemoInstanceView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let controls = controls(&hub).or_else(super::context::fail)?;
    controls.fleet(&me).await.or_else(super::context::fail)
}

#[server(input = Json)]
pub async fn inject_demo_fault(instance: String, fault: DemoFault) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    let controls = controls(&hub).or_else(super::context::fail)?;
    controls.apply(&me, &source, &instance, &fault).await.or_else(super::context::fail)
}

/// What the demo fleet's alert receiver got, newest first (admins).
#[server]
pub async fn demo_notifications() -> Result<Vec<types::alerts::DemoNotification>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let controls = controls(&hub).or_else(super::context::fail)?;
    controls.notifications(&me).await.or_else(super::context::fail)
}

/// Admins: deploys `version` of a demo service (its instances restart running it), recorded
/// as a deploy change of the service.
#[server]
pub async fn deploy_demo_service(service: String, version: String) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    let controls = controls(&hub).or_else(super::context::fail)?;
    controls.deploy(&me, &source, &service, version.trim()).await.or_else(super::context::fail)
}
