//! Repeated failed logins are refused for a while, per username and per source address.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const WINDOW: Duration = Duration::from_secs(300);
const MAX_PER_USERNAME: u32 = 5;
const MAX_PER_SOURCE: u32 = 20;

#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginThrottle {
    /// Seconds to wait when either key has failed too often within the window.
    pub fn retry_after(&self, username: &str, source: &str) -> Option<u64> {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        [(user_key(username), MAX_PER_USERNAME), (source_key(source), MAX_PER_SOURCE)]
            .iter()
            .filter_map(|(key, max)| {
                let (count, since) = map.get(key)?;
                let elapsed = now.duration_since(*since);
                (*count >= *max && elapsed < WINDOW).then(|| (WINDOW - elapsed).as_secs().max(1))
            })
            .max()
    }

    pub fn record_failure(&self, username: &str, source: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        for key in [user_key(username), source_key(source)] {
            map.entry(key).or_insert((0, now)).0 += 1;
        }
    }

    pub fn record_success(&self, username: &str) {
        let mut map = self.failures.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        map.remove(&user_key(username));
    }
}

fn user_key(username: &str) -> String {
    format!("u:{}", username.trim().to_ascii_lowercase())
}

fn source_key(source: &str) -> String {
    format!("s:{source}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttles_after_five_failures_for_a_username() {
        let t = LoginThrottle::default();
        for _ in 0..MAX_PER_USERNAME {
            assert!(t.retry_after("bob", "1.2.3.4").is_none());
            t.record_failure("bob", "1.2.3.4");
        }
        assert!(t.retry_after("Bob", "5.6.7.8").is_some());
        assert!(t.retry_after("alice", "5.6.7.8").is_none());
        t.record_success("bob");
        assert!(t.retry_after("bob", "5.6.7.8").is_none());
    }

    #[test]
    fn throttles_a_source_trying_many_usernames() {
        let t = LoginThrottle::default();
        for i in 0..MAX_PER_SOURCE {
            t.record_failure(&format!("user{i}"), "9.9.9.9");
        }
        assert!(t.retry_after("someone", "9.9.9.9").is_some());
        assert!(t.retry_after("someone", "8.8.8.8").is_none());
    }
}
