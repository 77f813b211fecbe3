//! The captures this hub is running, so that a cancel reaches the task at once and waits for
//! its end.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use tokio_util::sync::CancellationToken;

struct Entry {
    /// Cancelled to stop the capture.
    token: CancellationToken,
    /// Why it was stopped, once it is.
    reason: Option<String>,
    /// Cancelled by the task when it has recorded its end.
    done: CancellationToken,
}

#[derive(Clone, Default)]
pub struct RunningCaptures {
    entries: Arc<Mutex<HashMap<i64, Entry>>>,
}

impl RunningCaptures {
    fn lock(&self) -> MutexGuard<'_, HashMap<i64, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A capture starts under `token`; the returned token is to be cancelled at its end.
    pub fn start(&self, id: i64, token: CancellationToken) -> CancellationToken {
        let done = CancellationToken::new();
        self.lock().insert(id, Entry { token, reason: None, done: done.clone() });
        done
    }

    /// Stops a capture this hub runs; returns the token its end cancels, or None when this
    /// hub does not run it.
    pub fn cancel(&self, id: i64, reason: String) -> Option<CancellationToken> {
        let mut entries = self.lock();
        let entry = entries.get_mut(&id)?;
        entry.reason.get_or_insert(reason);
        entry.token.cancel();
        Some(entry.done.clone())
    }

    pub fn reason(&self, id: i64) -> Option<String> {
        self.lock().get(&id).and_then(|e| e.reason.clone())
    }

    pub fn end(&self, id: i64) {
        self.lock().remove(&id);
    }
}
