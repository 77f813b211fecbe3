use leptos::prelude::*;
use types::{ApiTokenView, AppError, CreatedToken};

#[server]
pub async fn list_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.accounts.list_tokens(&me).await.or_else(super::context::fail)
}

/// A token of the caller's; `service` (admins only) binds it to one service, which it may
/// then only push events, changes and spans for.
#[server]
pub async fn create_token(name: String, service: Option<String>) -> Result<CreatedToken, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    let service = service.as_deref().map(str::trim).filter(|s| !s.is_empty());
    if let Some(s) = service {
        if hub.catalog.config().service(s).is_none() {
            return super::context::fail(AppError::invalid(format!("no service named {s:?} in the config")));
        }
    }
    hub.accounts.create_token(&me, &source, &name, service).await.or_else(super::context::fail)
}

/// The services a token may be bound to.
#[server]
pub async fn token_services() -> Result<Vec<String>, AppError> {
    let (hub, _me, _) = super::context::signed_in()?;
    Ok(hub.catalog.config().services.iter().map(|s| s.name.get_ref().clone()).collect())
}

#[server]
pub async fn revoke_token(token_id: i64) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.accounts.revoke_token(&me, &source, token_id).await.or_else(super::context::fail)
}
