use leptos::prelude::*;
use types::{AppError, Role, UserView};

#[server]
pub async fn list_users() -> Result<Vec<UserView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.accounts.list_users(&me).await.or_else(super::context::fail)
}

#[server]
pub async fn create_user(username: String, password: String, role: Role) -> Result<UserView, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.accounts.create_user(&me, &source, &username, password, role).await.or_else(super::context::fail)
}

#[server]
pub async fn set_user_role(user_id: i64, role: Role) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.accounts.set_role(&me, &source, user_id, role).await.or_else(super::context::fail)
}

#[server]
pub async fn set_user_disabled(user_id: i64, disabled: bool) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.accounts.set_disabled(&me, &source, user_id, disabled).await.or_else(super::context::fail)
}

#[server]
pub async fn reset_user_password(user_id: i64, password: String) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.accounts.reset_password(&me, &source, user_id, password).await.or_else(super::context::fail)
}
