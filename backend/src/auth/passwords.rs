//! argon2id hashing off the async threads (~65 ms a hash on these cores).

use crate::BackendError;

pub async fn hash(password: String) -> Result<String, BackendError> {
    tokio::task::spawn_blocking(move || password_auth::generate_hash(password))
        .await
        .map_err(|e| BackendError::Internal(format!("password hashing task failed: {e}")))
}

/// Verifies against `stored`, or against a dummy hash when there is no such user, so that
/// the time taken does not tell whether a username exists.
pub async fn verify(password: String, stored: Option<String>) -> Result<bool, BackendError> {
    tokio::task::spawn_blocking(move || {
        let hash = stored.unwrap_or_else(|| dummy_hash().to_string());
        password_auth::verify_password(password, &hash).is_ok()
    })
    .await
    .map_err(|e| BackendError::Internal(format!("password check task failed: {e}")))
}

fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| password_auth::generate_hash("not a real password"))
}
