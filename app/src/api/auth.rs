use leptos::prelude::*;
use types::{AppError, Me};

#[server]
pub async fn login(username: String, password: String) -> Result<Me, AppError> {
    use super::context::{caller, fail, hub, session};
    use backend::auth::LoginAttempt;
    let (hub, caller, session) = (hub()?, caller()?, session()?);
    let attempt = LoginAttempt { username: &username, password, source: &caller.source };
    match hub.accounts.log_in(&session, attempt).await {
        Ok(user) => Ok(Me { username: user.username, role: user.role }),
        Err(e) => fail(e),
    }
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    use super::context::{caller, fail, hub, session};
    let (hub, caller, session) = (hub()?, caller()?, session()?);
    let who = caller.identity().ok().flatten();
    hub.accounts.log_out(&session, who, &caller.source).await.or_else(fail)
}

/// The logged-in user, or None: the shell asks this on every page.
#[server]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let caller = super::context::caller()?;
    match caller.identity() {
        Ok(who) => Ok(who.map(|p| Me { username: p.username.clone(), role: p.role })),
        Err(e) => super::context::fail(e),
    }
}

#[server]
pub async fn hub_status() -> Result<types::HubStatus, AppError> {
    Ok(super::context::hub()?.status().await)
}
