use leptos::prelude::*;
use types::{ApiTokenView, AppError, CreatedToken};

#[server]
pub async fn list_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.accounts.list_tokens(&me).await.or_else(super::context::fail)
}

#[server]
pub async fn create_token(name: String) -> Result<CreatedToken, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.accounts.create_token(&me, &source, &name, None).await.or_else(super::context::fail)
}

#[server]
pub async fn revoke_token(token_id: i64) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.accounts.revoke_token(&me, &source, token_id).await.or_else(super::context::fail)
}
