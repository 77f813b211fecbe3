use leptos::prelude::*;
use types::{AppError, Me};

#[cfg(feature = "ssr")]
pub const SESSION_USER_KEY: &str = "user_id";

#[server]
pub async fn login(username: String, password: String) -> Result<Me, AppError> {
    use super::context::{caller, fail, hub, session};
    use backend::auth::LoginAttempt;
    let (hub, caller, session) = (hub()?, caller()?, session()?);
    let attempt = LoginAttempt { username: &username, password, source: &caller.source };
    match hub.accounts.login(attempt).await {
        Ok(user) => {
            // A new id on login, so a session id planted before login is worthless.
            let stored = async {
                session.cycle_id().await?;
                session.insert(SESSION_USER_KEY, user.id).await
            };
            if let Err(e) = stored.await {
                tracing::error!(error = %e, "could not store the session");
                return fail(AppError::unavailable("The session could not be stored; try again."));
            }
            Ok(Me { username: user.username, role: user.role })
        }
        Err(e) => fail(e),
    }
}

#[server]
pub async fn logout() -> Result<(), AppError> {
    use super::context::session;
    if let Err(e) = session()?.flush().await {
        tracing::error!(error = %e, "could not delete the session");
        return Err(AppError::unavailable("The session could not be ended; try again."));
    }
    Ok(())
}

/// The logged-in user, or None: the shell asks this on every page.
#[server]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    let caller = super::context::caller()?;
    if caller.store_down {
        return super::context::fail(AppError::unavailable(
            "The hub's store is unavailable; retrying on its own.",
        ));
    }
    Ok(caller.principal.map(|p| Me { username: p.username, role: p.role }))
}

#[server]
pub async fn hub_status() -> Result<types::HubStatus, AppError> {
    Ok(super::context::hub()?.status().await)
}
