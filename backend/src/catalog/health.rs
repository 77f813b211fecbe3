//! The last scrape of every instance, like Prometheus's `up`, kept in memory.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct InstanceHealth {
    pub up: bool,
    pub last_scrape_ms: Option<i64>,
    pub duration_ms: Option<i64>,
    pub bytes: Option<i64>,
    pub error: Option<String>,
}

#[derive(Debug, Default)]
pub struct HealthBoard {
    by_instance: RwLock<HashMap<(String, String), InstanceHealth>>,
}

impl HealthBoard {
    pub fn get(&self, service: &str, instance: &str) -> InstanceHealth {
        let map = self.by_instance.read().unwrap_or_else(PoisonError::into_inner);
        map.get(&(service.to_string(), instance.to_string())).cloned().unwrap_or_default()
    }

    pub fn set(&self, service: &str, instance: &str, health: InstanceHealth) {
        let mut map = self.by_instance.write().unwrap_or_else(PoisonError::into_inner);
        map.insert((service.to_string(), instance.to_string()), health);
    }

    /// Forgets instances the config no longer declares.
    pub fn retain(&self, keep: &[(String, String)]) {
        let mut map = self.by_instance.write().unwrap_or_else(PoisonError::into_inner);
        map.retain(|k, _| keep.contains(k));
    }
}
