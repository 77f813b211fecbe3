//! A per-caller rate for what services and scripts push (events, changes, spans): at most
//! `limit` requests in each wall-clock second, counted in memory.

use crate::{BackendError, Principal};
use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

#[derive(Debug)]
pub struct PerSecond {
    limit: u32,
    seen: Mutex<HashMap<String, (i64, u32)>>,
}

impl PerSecond {
    pub fn new(limit: u32) -> PerSecond {
        PerSecond { limit, seen: Mutex::default() }
    }

    /// Counts one request of `who` at `now_ms`; false when it is over the limit.
    pub fn allow(&self, who: &str, now_ms: i64) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(PoisonError::into_inner);
        let second = now_ms / 1000;
        if seen.len() > 10_000 {
            seen.retain(|_, (s, _)| *s == second);
        }
        let e = seen.entry(who.to_string()).or_insert((second, 0));
        if e.0 != second {
            *e = (second, 0);
        }
        e.1 += 1;
        e.1 <= self.limit
    }

    /// Counts one push of `actor` (a user, or a token and the service it is bound to) and
    /// refuses it past the limit, saying how many `what` a second are allowed.
    pub fn admit(&self, actor: &Principal, now_ms: i64, what: &str) -> Result<(), BackendError> {
        let who = format!("{}/{}", actor.username, actor.service.as_deref().unwrap_or("-"));
        if self.allow(&who, now_ms) {
            Ok(())
        } else {
            Err(BackendError::RateLimited {
                message: format!("at most {} {what} a second", self.limit),
                retry_after: Duration::from_secs(1),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_caller_per_second() {
        let rate = PerSecond::new(2);
        assert!(rate.allow("a", 1_000) && rate.allow("a", 1_500));
        assert!(!rate.allow("a", 1_900));
        assert!(rate.allow("b", 1_900));
        assert!(rate.allow("a", 2_000));
    }
}
