//! The login session: the steps of logging in and out, written once for the UI's server
//! functions and the JSON API alike. The session itself lives in the hub's store.

use super::service::{Accounts, LoginAttempt};
use super::User;
use crate::audit::Attempt;
use crate::{BackendError, Principal};
use tower_sessions::Session;

/// The key of the logged-in user's id in a session.
const SESSION_USER_KEY: &str = "user_id";

fn session_failed(e: &tower_sessions::session::Error) -> BackendError {
    tracing::error!(error = %e, "the session store failed");
    BackendError::Unavailable("The session could not be stored; try again.".into())
}

/// The user a session is logged in as, if any.
pub async fn session_user(session: &Session) -> Result<Option<i64>, BackendError> {
    session.get(SESSION_USER_KEY).await.map_err(|e| BackendError::Internal(format!("session store: {e}")))
}

impl Accounts {
    /// Checks the credentials (audited), then gives the session a new id, so that an id
    /// planted before the login is worthless, and binds it to the user.
    pub async fn log_in(&self, session: &Session, attempt: LoginAttempt<'_>) -> Result<User, BackendError> {
        let user = self.login(attempt).await?;
        session.cycle_id().await.map_err(|e| session_failed(&e))?;
        session.insert(SESSION_USER_KEY, user.id).await.map_err(|e| session_failed(&e))?;
        Ok(user)
    }

    /// Ends the session; audited when someone was logged in.
    pub async fn log_out(
        &self,
        session: &Session,
        who: Option<&Principal>,
        source: &str,
    ) -> Result<(), BackendError> {
        let ended = session.flush().await.map_err(|e| session_failed(&e));
        match who {
            Some(who) => {
                let attempt = Attempt::by(who, "logout", who.username.clone(), source);
                self.audit.settle(attempt, ended).await
            }
            None => ended,
        }
    }
}
