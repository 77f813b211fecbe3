//! The SQL of users and API tokens, portable across SQLite and PostgreSQL.

use super::model::User;
use crate::store::Store;
use types::{ApiTokenView, Role};

type UserRow = (i64, String, String, i64, i64, Option<i64>);
type CredentialsRow = (i64, String, String, i64, i64, Option<i64>, String);

const USER_COLUMNS: &str = "id, username, role, disabled, created_ms, last_login_ms";

fn user_from_row((id, username, role, disabled, created_ms, last_login_ms): UserRow) -> User {
    User {
        id,
        username,
        // A role the code no longer knows grants the least, never more.
        role: role.parse().unwrap_or(Role::Viewer),
        disabled: disabled != 0,
        created_ms,
        last_login_ms,
    }
}

pub async fn count_users(store: &Store) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users").fetch_one(store.pool()).await?;
    Ok(n)
}

pub async fn insert_user(
    store: &Store,
    username: &str,
    hash: &str,
    role: Role,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row: Option<(i64,)> = sqlx::query_as(
        "INSERT INTO users (username, password_hash, role, disabled, created_ms) \
         VALUES ($1, $2, $3, 0, $4) ON CONFLICT (username) DO NOTHING RETURNING id",
    )
    .bind(username)
    .bind(hash)
    .bind(role.as_str())
    .bind(now)
    .fetch_optional(store.pool())
    .await?;
    Ok(row.map(|(id,)| id))
}

pub async fn user_by_id(store: &Store, id: i64) -> Result<Option<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1");
    let row: Option<UserRow> = sqlx::query_as(&sql).bind(id).fetch_optional(store.pool()).await?;
    Ok(row.map(user_from_row))
}

/// The user and the password hash, for a login.
pub async fn credentials(store: &Store, username: &str) -> Result<Option<(User, String)>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1");
    let row: Option<CredentialsRow> =
        sqlx::query_as(&sql).bind(username).fetch_optional(store.pool()).await?;
    Ok(row.map(|(a, b, c, d, e, f, hash)| (user_from_row((a, b, c, d, e, f)), hash)))
}

pub async fn list_users(store: &Store) -> Result<Vec<User>, sqlx::Error> {
    let sql = format!("SELECT {USER_COLUMNS} FROM users ORDER BY username");
    let rows: Vec<UserRow> = sqlx::query_as(&sql).fetch_all(store.pool()).await?;
    Ok(rows.into_iter().map(user_from_row).collect())
}

pub async fn count_active_admins(store: &Store) -> Result<i64, sqlx::Error> {
    let (n,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM users WHERE role = 'admin' AND disabled = 0")
        .fetch_one(store.pool())
        .await?;
    Ok(n)
}

pub async fn set_role(store: &Store, id: i64, role: Role) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
        .bind(role.as_str())
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_disabled(store: &Store, id: i64, disabled: bool) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_password_hash(store: &Store, id: i64, hash: &str) -> Result<bool, sqlx::Error> {
    let done = sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn touch_login(store: &Store, id: i64, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET last_login_ms = $1 WHERE id = $2")
        .bind(now)
        .bind(id)
        .execute(store.pool())
        .await?;
    Ok(())
}

type TokenRow = (i64, String, String, i64, Option<i64>, Option<i64>, Option<String>);

fn token_from_row(
    (id, name, prefix, created_ms, last_used_ms, revoked_ms, service): TokenRow,
) -> ApiTokenView {
    ApiTokenView { id, name, prefix, created_ms, last_used_ms, revoked: revoked_ms.is_some(), service }
}

pub async fn insert_token(
    store: &Store,
    user_id: i64,
    name: &str,
    prefix: &str,
    secret_hash: &str,
    now: i64,
    service: Option<&str>,
) -> Result<ApiTokenView, sqlx::Error> {
    let row: TokenRow = sqlx::query_as(
        "INSERT INTO api_tokens (user_id, name, prefix, secret_hash, created_ms, service) VALUES ($1, $2, $3, $4, $5, $6) \
         RETURNING id, name, prefix, created_ms, last_used_ms, revoked_ms, service",
    )
    .bind(user_id)
    .bind(name)
    .bind(prefix)
    .bind(secret_hash)
    .bind(now)
    .bind(service)
    .fetch_one(store.pool())
    .await?;
    Ok(token_from_row(row))
}

pub async fn list_tokens(store: &Store, user_id: i64) -> Result<Vec<ApiTokenView>, sqlx::Error> {
    let rows: Vec<TokenRow> = sqlx::query_as(
        "SELECT id, name, prefix, created_ms, last_used_ms, revoked_ms, service FROM api_tokens \
         WHERE user_id = $1 ORDER BY id DESC",
    )
    .bind(user_id)
    .fetch_all(store.pool())
    .await?;
    Ok(rows.into_iter().map(token_from_row).collect())
}

/// Revokes one of the user's own live tokens; false when there is none such.
pub async fn revoke_token(store: &Store, user_id: i64, id: i64, now: i64) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE api_tokens SET revoked_ms = $1 WHERE id = $2 AND user_id = $3 AND revoked_ms IS NULL",
    )
    .bind(now)
    .bind(id)
    .bind(user_id)
    .execute(store.pool())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The owner of a live token with this hash and the service it is bound to, marking the
/// token used.
pub async fn token_owner(
    store: &Store,
    secret_hash: &str,
    now: i64,
) -> Result<Option<(i64, Option<String>)>, sqlx::Error> {
    let row: Option<(i64, i64, Option<String>)> = sqlx::query_as(
        "SELECT id, user_id, service FROM api_tokens WHERE secret_hash = $1 AND revoked_ms IS NULL",
    )
    .bind(secret_hash)
    .fetch_optional(store.pool())
    .await?;
    let Some((token_id, user_id, service)) = row else {
        return Ok(None);
    };
    sqlx::query("UPDATE api_tokens SET last_used_ms = $1 WHERE id = $2")
        .bind(now)
        .bind(token_id)
        .execute(store.pool())
        .await?;
    Ok(Some((user_id, service)))
}

/// The first admin who may still log in.
pub async fn first_admin(store: &Store) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query_scalar("SELECT min(id) FROM users WHERE role = 'admin' AND disabled = 0")
        .fetch_one(store.pool())
        .await
}

/// Revokes a user's live tokens of this name.
pub async fn revoke_named(store: &Store, user_id: i64, name: &str, now: i64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE api_tokens SET revoked_ms = $1 WHERE user_id = $2 AND name = $3 AND revoked_ms IS NULL",
    )
    .bind(now)
    .bind(user_id)
    .bind(name)
    .execute(store.pool())
    .await?;
    Ok(())
}
