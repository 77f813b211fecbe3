//! Managing users (admins) and one's own API tokens. Every call checks the actor's role here
//! and records one audit row with its outcome, done, refused or failed.

use super::model::{Password, User, Username};
use super::service::Accounts;
use super::{passwords, store, tokens};
use crate::audit::Attempt;
use crate::{now_ms, BackendError, Principal};
use types::{ApiTokenView, CreatedToken, Role, UserView};

impl Accounts {
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
        let result = self.insert_user(actor, username, password, role).await;
        let target = match &result {
            Ok(user) => format!("{} as {role}", user.username),
            Err(_) => username.to_string(),
        };
        self.audit.settle(Attempt::by(actor, "user.create", target, source), result).await
    }

    async fn insert_user(
        &self,
        actor: &Principal,
        username: &str,
        password: String,
        role: Role,
    ) -> Result<UserView, BackendError> {
        actor.require(Role::Admin)?;
        let name = Username::parse(username)?;
        let password = Password::parse(password)?;
        let hash = passwords::hash(password.expose().to_string()).await?;
        let Some(id) = store::insert_user(&self.store, name.as_str(), &hash, role, now_ms()).await? else {
            return Err(BackendError::Conflict(format!("user {} exists already", name.as_str())));
        };
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
        self.on_user(
            actor,
            source,
            "user.role",
            user_id,
            |target| format!("{} to {role}", target.username),
            |target| async move {
                if target.role == Role::Admin && role != Role::Admin {
                    self.keep_an_admin().await?;
                }
                store::set_role(&self.store, user_id, role).await?;
                Ok(())
            },
        )
        .await
    }

    pub async fn set_disabled(
        &self,
        actor: &Principal,
        source: &str,
        user_id: i64,
        disabled: bool,
    ) -> Result<(), BackendError> {
        let action = if disabled { "user.disable" } else { "user.enable" };
        self.on_user(
            actor,
            source,
            action,
            user_id,
            |target| target.username.clone(),
            |target| async move {
                if disabled && target.role == Role::Admin && !target.disabled {
                    self.keep_an_admin().await?;
                }
                store::set_disabled(&self.store, user_id, disabled).await?;
                Ok(())
            },
        )
        .await
    }

    pub async fn reset_password(
        &self,
        actor: &Principal,
        source: &str,
        user_id: i64,
        password: String,
    ) -> Result<(), BackendError> {
        self.on_user(
            actor,
            source,
            "user.password",
            user_id,
            |target| target.username.clone(),
            |_| async move {
                let password = Password::parse(password)?;
                let hash = passwords::hash(password.expose().to_string()).await?;
                store::set_password_hash(&self.store, user_id, &hash).await?;
                Ok(())
            },
        )
        .await
    }

    /// An admin's change to one user: the role is checked, the user loaded, `change` made,
    /// and one audit row written naming the user (`target`) or, before it is known, its id.
    async fn on_user<F, Fut>(
        &self,
        actor: &Principal,
        source: &str,
        action: &str,
        user_id: i64,
        target: impl FnOnce(&User) -> String,
        change: F,
    ) -> Result<(), BackendError>
    where
        F: FnOnce(User) -> Fut,
        Fut: std::future::Future<Output = Result<(), BackendError>>,
    {
        let mut named = format!("#{user_id}");
        let result = async {
            actor.require(Role::Admin)?;
            let user = store::user_by_id(&self.store, user_id)
                .await?
                .ok_or_else(|| BackendError::NotFound(format!("no user #{user_id}")))?;
            named = target(&user);
            change(user).await
        }
        .await;
        self.audit.settle(Attempt::by(actor, action, named, source), result).await
    }

    async fn keep_an_admin(&self) -> Result<(), BackendError> {
        if store::count_active_admins(&self.store).await? <= 1 {
            return Err(BackendError::Conflict("the hub must keep at least one active admin".into()));
        }
        Ok(())
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
        service: Option<&str>,
    ) -> Result<CreatedToken, BackendError> {
        let name = name.trim();
        let result = async {
            if name.is_empty() || name.chars().count() > 80 {
                return Err(BackendError::Invalid("a token needs a name of 1 to 80 characters".into()));
            }
            if service.is_some() {
                actor.require(types::Role::Admin)?;
            }
            if actor.service.is_some() {
                return Err(BackendError::Forbidden("a service's token cannot create tokens".into()));
            }
            let (secret, prefix) = tokens::generate();
            let hash = tokens::hash(&secret);
            let token =
                store::insert_token(&self.store, actor.user_id, name, &prefix, &hash, now_ms(), service)
                    .await?;
            Ok(CreatedToken { token, secret })
        }
        .await;
        let target = match &result {
            Ok(created) => format!("{name} ({}…)", created.token.prefix),
            Err(_) => name.to_string(),
        };
        self.audit.settle(Attempt::by(actor, "token.create", target, source), result).await
    }

    pub async fn revoke_token(
        &self,
        actor: &Principal,
        source: &str,
        token_id: i64,
    ) -> Result<(), BackendError> {
        let result = async {
            if !store::revoke_token(&self.store, actor.user_id, token_id, now_ms()).await? {
                return Err(BackendError::NotFound(format!("you have no live token #{token_id}")));
            }
            Ok(())
        }
        .await;
        self.audit.settle(Attempt::by(actor, "token.revoke", format!("#{token_id}"), source), result).await
    }
}
