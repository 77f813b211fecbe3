//! Use cases of accounts: log in, manage users, manage API tokens. Every call that acts for
//! someone takes the `Principal` and checks its role here, so no adapter can forget.

use super::model::{Password, User, Username};
use super::throttle::LoginThrottle;
use super::{passwords, store, tokens};
use crate::audit::{AuditEvent, AuditLog, Outcome};
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use std::sync::Arc;
use types::{ApiTokenView, CreatedToken, Role, UserView};

/// A login as it arrives from a form or the API.
pub struct LoginAttempt<'a> {
    pub username: &'a str,
    pub password: String,
    pub source: &'a str,
}

#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    audit: AuditLog,
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
        self.audit(&AuditEvent {
            actor: "system",
            action: "user.create",
            target: "admin",
            outcome: Outcome::Ok,
            source: "startup",
        })
        .await?;
        Ok(generated.then(|| password.expose().to_string()))
    }

    pub async fn login(&self, attempt: LoginAttempt<'_>) -> Result<User, BackendError> {
        let event = |outcome| AuditEvent {
            actor: attempt.username,
            action: "login",
            target: attempt.username,
            outcome,
            source: attempt.source,
        };
        if let Some(wait) = self.throttle.retry_after(attempt.username, attempt.source) {
            self.audit(&event(Outcome::Denied)).await?;
            return Err(BackendError::Throttled(wait));
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
                self.audit(&event(Outcome::Ok)).await?;
                Ok(user)
            }
            _ => {
                self.throttle.record_failure(attempt.username, attempt.source);
                self.audit(&event(Outcome::Failed)).await?;
                Err(BackendError::BadCredentials)
            }
        }
    }

    /// The principal behind a session's user id, unless the user is gone or disabled.
    pub async fn principal_for_user(&self, user_id: i64) -> Result<Option<Principal>, BackendError> {
        let user = store::user_by_id(&self.store, user_id).await?;
        Ok(user.filter(|u| !u.disabled).map(|u| principal(u, false)))
    }

    /// The principal behind a bearer token, unless it is revoked or its user disabled.
    pub async fn principal_for_token(&self, secret: &str) -> Result<Option<Principal>, BackendError> {
        let Some(user_id) = store::token_owner(&self.store, &tokens::hash(secret), now_ms()).await? else {
            return Ok(None);
        };
        let user = store::user_by_id(&self.store, user_id).await?;
        Ok(user.filter(|u| !u.disabled).map(|u| principal(u, true)))
    }

    pub async fn list_users(&self, actor: &Principal) -> Result<Vec<UserView>, BackendError> {
        actor.require(Role::Admin)?;
        Ok(store::list_users(&self.store).await?.into_iter().map(UserView::from).collect())
    }

    pub async fn create_user(
        &self,
        actor: &Principal,
        source: &str,
        username: &str,
        password: String,
        role: Role,
    ) -> Result<UserView, BackendError> {
        self.admin_only(actor, source, "user.create", username).await?;
        let name = Username::parse(username)?;
        let password = Password::parse(password)?;
        let hash = passwords::hash(password.expose().to_string()).await?;
        let now = now_ms();
        let Some(id) = store::insert_user(&self.store, name.as_str(), &hash, role, now).await? else {
            return Err(BackendError::Conflict(format!("user {} exists already", name.as_str())));
        };
        self.audit_ok(actor, source, "user.create", &format!("{} as {role}", name.as_str())).await?;
        let user = store::user_by_id(&self.store, id).await?;
        user.map(UserView::from)
            .ok_or_else(|| BackendError::Internal("a user vanished right after its creation".into()))
    }

    pub async fn set_role(
        &self,
        actor: &Principal,
        source: &str,
        user_id: i64,
        role: Role,
    ) -> Result<(), BackendError> {
        let target = self.target(actor, source, "user.role", user_id).await?;
        if target.role == Role::Admin && role != Role::Admin {
            self.keep_an_admin().await?;
        }
        store::set_role(&self.store, user_id, role).await?;
        self.audit_ok(actor, source, "user.role", &format!("{} to {role}", target.username)).await
    }

    pub async fn set_disabled(
        &self,
        actor: &Principal,
        source: &str,
        user_id: i64,
        disabled: bool,
    ) -> Result<(), BackendError> {
        let action = if disabled { "user.disable" } else { "user.enable" };
        let target = self.target(actor, source, action, user_id).await?;
        if disabled && target.role == Role::Admin && !target.disabled {
            self.keep_an_admin().await?;
        }
        store::set_disabled(&self.store, user_id, disabled).await?;
        self.audit_ok(actor, source, action, &target.username).await
    }

    pub async fn reset_password(
        &self,
        actor: &Principal,
        source: &str,
        user_id: i64,
        password: String,
    ) -> Result<(), BackendError> {
        let target = self.target(actor, source, "user.password", user_id).await?;
        let password = Password::parse(password)?;
        let hash = passwords::hash(password.expose().to_string()).await?;
        store::set_password_hash(&self.store, user_id, &hash).await?;
        self.audit_ok(actor, source, "user.password", &target.username).await
    }

    pub async fn list_tokens(&self, actor: &Principal) -> Result<Vec<ApiTokenView>, BackendError> {
        Ok(store::list_tokens(&self.store, actor.user_id).await?)
    }

    /// Any logged-in user may hold tokens; a token acts with its owner's role.
    pub async fn create_token(
        &self,
        actor: &Principal,
        source: &str,
        name: &str,
    ) -> Result<CreatedToken, BackendError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 80 {
            return Err(BackendError::Invalid("a token needs a name of 1 to 80 characters".into()));
        }
        let (secret, prefix) = tokens::generate();
        let token =
            store::insert_token(&self.store, actor.user_id, name, &prefix, &tokens::hash(&secret), now_ms())
                .await?;
        self.audit_ok(actor, source, "token.create", &format!("{name} ({prefix}…)")).await?;
        Ok(CreatedToken { token, secret })
    }

    pub async fn revoke_token(
        &self,
        actor: &Principal,
        source: &str,
        token_id: i64,
    ) -> Result<(), BackendError> {
        if !store::revoke_token(&self.store, actor.user_id, token_id, now_ms()).await? {
            return Err(BackendError::NotFound(format!("you have no live token #{token_id}")));
        }
        self.audit_ok(actor, source, "token.revoke", &format!("#{token_id}")).await
    }

    /// Checks that the actor is an admin (auditing a refusal) and loads the target user.
    async fn target(
        &self,
        actor: &Principal,
        source: &str,
        action: &str,
        user_id: i64,
    ) -> Result<User, BackendError> {
        self.admin_only(actor, source, action, &format!("#{user_id}")).await?;
        store::user_by_id(&self.store, user_id)
            .await?
            .ok_or_else(|| BackendError::NotFound(format!("no user #{user_id}")))
    }

    async fn admin_only(
        &self,
        actor: &Principal,
        source: &str,
        action: &str,
        target: &str,
    ) -> Result<(), BackendError> {
        if let Err(refusal) = actor.require(Role::Admin) {
            let event =
                AuditEvent { actor: &actor.username, action, target, outcome: Outcome::Denied, source };
            self.audit(&event).await?;
            return Err(refusal);
        }
        Ok(())
    }

    async fn keep_an_admin(&self) -> Result<(), BackendError> {
        if store::count_active_admins(&self.store).await? <= 1 {
            return Err(BackendError::Conflict("the hub must keep at least one active admin".into()));
        }
        Ok(())
    }

    async fn audit_ok(
        &self,
        actor: &Principal,
        source: &str,
        action: &str,
        target: &str,
    ) -> Result<(), BackendError> {
        let event = AuditEvent { actor: &actor.username, action, target, outcome: Outcome::Ok, source };
        self.audit(&event).await
    }

    async fn audit(&self, event: &AuditEvent<'_>) -> Result<(), BackendError> {
        self.audit.record(event.clone()).await
    }
}

fn principal(u: User, via_token: bool) -> Principal {
    Principal { user_id: u.id, username: u.username, role: u.role, via_token }
}
