use crate::BackendError;
use types::{Role, UserView};

/// A username that passed validation: 2–64 characters of `a-z 0-9 . _ -`, lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, BackendError> {
        let name = raw.trim().to_ascii_lowercase();
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        if !(2..=64).contains(&name.len()) || !valid_chars {
            return Err(BackendError::Invalid(
                "a username is 2 to 64 characters of a-z, 0-9, '.', '_' or '-'".into(),
            ));
        }
        Ok(Username(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A new password that meets the policy (it is never stored, only its hash).
pub struct Password(String);

impl Password {
    pub fn parse(raw: String) -> Result<Password, BackendError> {
        let chars = raw.chars().count();
        if chars < 10 {
            return Err(BackendError::Invalid("a password needs at least 10 characters".into()));
        }
        if chars > 256 {
            return Err(BackendError::Invalid("a password has at most 256 characters".into()));
        }
        Ok(Password(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Clone, Debug)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub disabled: bool,
    pub created_ms: i64,
    pub last_login_ms: Option<i64>,
}

impl From<User> for UserView {
    fn from(u: User) -> Self {
        UserView {
            id: u.id,
            username: u.username,
            role: u.role,
            disabled: u.disabled,
            created_ms: u.created_ms,
            last_login_ms: u.last_login_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_validated_and_lowercased() {
        assert_eq!(Username::parse(" Alice.B ").unwrap().as_str(), "alice.b");
        for bad in ["a", "", "al ice", "robert'); drop table users;--", &"x".repeat(65)] {
            assert!(Username::parse(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn password_policy() {
        assert!(Password::parse("short".into()).is_err());
        assert!(Password::parse("long enough pw".into()).is_ok());
        assert!(Password::parse("x".repeat(300)).is_err());
    }
}
