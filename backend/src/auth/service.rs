//! Use cases of accounts: log in, manage users, manage API tokens. Every call that acts for
//! someone takes the `Principal` and checks its role here, so no adapter can forget.

use super::model::{Password, User, Username};
use super::throttle::LoginThrottle;
use super::{passwords, store, tokens};
use crate::audit::{Attempt, AuditEvent, AuditLog, Outcome};
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use std::sync::Arc;
use types::Role;

/// A login as it arrives from a form or the API.
pub struct LoginAttempt<'a> {
    pub username: &'a str,
    pub password: String,
    pub source: &'a str,
}

#[derive(Clone, Debug)]
pub struct Accounts {
    pub(super) store: Store,
    pub(super) audit: AuditLog,
    throttle: Arc<LoginThrottle>,
}

impl Accounts {
    pub fn new(store: Store, audit: AuditLog) -> Self {
        Self { store, audit, throttle: Arc::new(LoginThrottle::default()) }
    }

    /// Creates the `admin` user when the store has no user at all. Returns the password
    /// when one was generated, so the caller can print it once.
    pub async fn ensure_admin(&self, password: Option<String>) -> Result<Option<String>, BackendError> {
        if store::count_users(&self.store).await? > 0 {
            return Ok(None);
        }
        let generated = password.is_none();
        let password = password.unwrap_or_else(|| {
            let (secret, _) = tokens::generate();
            secret[tokens::SECRET_PREFIX.len()..][..20].to_string()
        });
        let password = Password::parse(password)
            .map_err(|e| BackendError::Invalid(format!("SWITCHBOARD_ADMIN_PASSWORD: {e}")))?;
        let hash = passwords::hash(password.expose().to_string()).await?;
        store::insert_user(&self.store, "admin", &hash, Role::Admin, now_ms()).await?;
        self.audit
            .record(AuditEvent {
                actor: "system",
                action: "user.create",
                target: "admin",
                outcome: Outcome::Ok,
                source: "startup",
            })
            .await?;
        Ok(generated.then(|| password.expose().to_string()))
    }

    /// Checks a login's credentials; audited whatever the outcome.
    pub async fn login(&self, attempt: LoginAttempt<'_>) -> Result<User, BackendError> {
        let (username, source) = (attempt.username, attempt.source);
        let result = self.check_credentials(attempt).await;
        let audited = Attempt { actor: username, action: "login", target: username.to_string(), source };
        self.audit.settle(audited, result).await
    }

    async fn check_credentials(&self, attempt: LoginAttempt<'_>) -> Result<User, BackendError> {
        if let Some(wait) = self.throttle.retry_after(attempt.username, attempt.source) {
            return Err(BackendError::RateLimited {
                message: format!("Too many failed logins; try again in {wait} s."),
                retry_after: std::time::Duration::from_secs(wait),
            });
        }
        let found = match Username::parse(attempt.username) {
            Ok(name) => store::credentials(&self.store, name.as_str()).await?,
            Err(_) => None,
        };
        let (user, hash) = match found {
            Some((user, hash)) => (Some(user), Some(hash)),
            None => (None, None),
        };
        let password_ok = passwords::verify(attempt.password, hash).await?;
        match user {
            Some(user) if password_ok && !user.disabled => {
                self.throttle.record_success(attempt.username);
                store::touch_login(&self.store, user.id, now_ms()).await?;
                Ok(user)
            }
            _ => {
                self.throttle.record_failure(attempt.username, attempt.source);
                Err(BackendError::BadCredentials)
            }
        }
    }

    /// A fresh token bound to `service` for the demo fleet to push its events with, owned by
    /// the first admin; the one of the fleet's last start is revoked. Audited as the system.
    pub async fn demo_service_token(&self, service: &str) -> Result<String, BackendError> {
        let name = format!("demo fleet: {service}");
        let owner = store::first_admin(&self.store)
            .await?
            .ok_or_else(|| BackendError::Internal("no admin to own the demo fleet's token".into()))?;
        store::revoke_named(&self.store, owner, &name, now_ms()).await?;
        let (secret, prefix) = tokens::generate();
        store::insert_token(
            &self.store,
            owner,
            &name,
            &prefix,
            &tokens::hash(&secret),
            now_ms(),
            Some(service),
        )
        .await?;
        let target = format!("{name} ({prefix}…)");
        let event = AuditEvent {
            actor: "system",
            action: "token.create",
            target: &target,
            outcome: Outcome::Ok,
            source: "demo",
        };
        self.audit.record(event).await?;
        Ok(secret)
    }

    /// The principal behind a session's user id, unless the user is gone or disabled.
    pub async fn principal_for_user(&self, user_id: i64) -> Result<Option<Principal>, BackendError> {
        let user = store::user_by_id(&self.store, user_id).await?;
        Ok(user.filter(|u| !u.disabled).map(|u| principal(u, false)))
    }

    /// The principal behind a bearer token, unless it is revoked or its user disabled.
    pub async fn principal_for_token(&self, secret: &str) -> Result<Option<Principal>, BackendError> {
        let Some((user_id, service)) =
            store::token_owner(&self.store, &tokens::hash(secret), now_ms()).await?
        else {
            return Ok(None);
        };
        let user = store::user_by_id(&self.store, user_id).await?;
        Ok(user.filter(|u| !u.disabled).map(|u| Principal { service, ..principal(u, true) }))
    }
}

pub(super) fn principal(u: User, via_token: bool) -> Principal {
    Principal { user_id: u.id, username: u.username, role: u.role, via_token, service: None }
}
