//! Fault injection of one demo instance (`POST /chaos`, loopback only, with the fleet's
//! token). Each fault is real: errors are returned, latency is slept, workers are held,
//! CPU is burnt in a named function, memory is leaked, the projector really stops.

use serde::{Deserialize, Serialize};
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "fault", rename_all = "snake_case")]
pub enum Fault {
    /// Fail this share of requests (all routes, or one route / user group).
    Errors { ratio: f64, route: Option<String>, user_group: Option<String> },
    /// Add this much latency to every request.
    Latency { ms: u64 },
    /// Hold every worker of the pool for this many seconds (until cleared).
    PoolExhaustion { seconds: u64 },
    /// Burn CPU in `demo::chaos::hot_spot_spin` on one thread until cleared.
    HotSpot,
    /// Leak this many MiB a second in `demo::chaos::leak_memory` until cleared.
    Leak { mib_per_s: u64 },
    /// Projector: stop applying changes (lag grows) until cleared.
    Pause,
    /// Projector: wait this long before each batch.
    Slowdown { ms: u64 },
    /// Projector: project the next this many order changes with their amount off by one
    /// (drift: real differences between the source and the read model).
    Drift { rows: u64 },
    /// Break the shared metric format: `wrong_type` declares a counter as a gauge,
    /// `drop_label` drops the required `pool` label.
    BadMetrics { mode: BadMetrics },
    /// End every fault.
    Clear,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum BadMetrics {
    WrongType,
    DropLabel,
}

impl BadMetrics {
    /// The exposition as this fault breaks it.
    pub fn apply(self, text: &str) -> String {
        match self {
            BadMetrics::WrongType => text
                .replace("# TYPE process_cpu_seconds_total counter", "# TYPE process_cpu_seconds_total gauge")
                .replace("# TYPE process_cpu_seconds counter", "# TYPE process_cpu_seconds gauge"),
            BadMetrics::DropLabel => text
                .lines()
                .map(|l| {
                    if l.starts_with("worker_pool_") {
                        match (l.find('{'), l.find('}')) {
                            (Some(a), Some(b)) if a < b => format!("{}{}", &l[..a], &l[b + 1..]),
                            _ => l.to_string(),
                        }
                    } else {
                        l.to_string()
                    }
                })
                .map(|l| l + "\n")
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ChaosView {
    pub error_ratio: f64,
    pub error_route: Option<String>,
    pub error_user_group: Option<String>,
    pub latency_ms: u64,
    pub hot_spot: bool,
    pub leak_mib_per_s: u64,
    pub paused: bool,
    pub slowdown_ms: u64,
    pub bad_metrics: Option<BadMetrics>,
    /// Seconds the pool's workers are still held for (0: not exhausted).
    pub pool_exhausted_s: u64,
}

#[derive(Default)]
pub struct Chaos {
    view: Mutex<ChaosView>,
    pub hot_spot: Arc<AtomicBool>,
    pub leak_mib_per_s: Arc<AtomicU64>,
    pub drift_requested: AtomicU64,
    /// Until when (unix ms) pool exhaustion holds every worker; 0 releases them.
    pub pool_held_until_ms: Arc<AtomicI64>,
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

impl Chaos {
    pub fn view(&self) -> ChaosView {
        let mut view = self.view.lock().unwrap_or_else(PoisonError::into_inner).clone();
        let left_ms = self.pool_held_until_ms.load(Ordering::SeqCst) - now_ms();
        view.pool_exhausted_s = u64::try_from(left_ms.max(0)).unwrap_or(0).div_ceil(1000);
        view
    }

    pub fn apply(&self, fault: &Fault) {
        let mut v = self.view.lock().unwrap_or_else(PoisonError::into_inner);
        match fault {
            Fault::Errors { ratio, route, user_group } => {
                v.error_ratio = ratio.clamp(0.0, 1.0);
                v.error_route.clone_from(route);
                v.error_user_group.clone_from(user_group);
            }
            Fault::Latency { ms } => v.latency_ms = (*ms).min(30_000),
            Fault::PoolExhaustion { seconds } => {
                let until = now_ms() + i64::try_from((*seconds).min(600) * 1000).unwrap_or(0);
                self.pool_held_until_ms.store(until, Ordering::SeqCst);
            }
            Fault::HotSpot => {
                v.hot_spot = true;
                if !self.hot_spot.swap(true, Ordering::SeqCst) {
                    let flag = self.hot_spot.clone();
                    let _ = std::thread::Builder::new()
                        .name("chaos-hot-spot".into())
                        .spawn(move || hot_spot_spin(&flag));
                }
            }
            Fault::Leak { mib_per_s } => {
                v.leak_mib_per_s = (*mib_per_s).min(64);
                if self.leak_mib_per_s.swap(v.leak_mib_per_s, Ordering::SeqCst) == 0 {
                    let rate = self.leak_mib_per_s.clone();
                    let _ = std::thread::Builder::new()
                        .name("chaos-leak".into())
                        .spawn(move || leak_memory(&rate));
                }
            }
            Fault::Pause => v.paused = true,
            Fault::Slowdown { ms } => v.slowdown_ms = (*ms).min(10_000),
            Fault::BadMetrics { mode } => v.bad_metrics = Some(*mode),
            Fault::Drift { rows } => {
                self.drift_requested.fetch_add((*rows).min(1000), Ordering::Relaxed);
            }
            Fault::Clear => {
                *v = ChaosView::default();
                self.hot_spot.store(false, Ordering::SeqCst);
                self.leak_mib_per_s.store(0, Ordering::SeqCst);
                // The held workers see this within a tick and go back to work.
                self.pool_held_until_ms.store(0, Ordering::SeqCst);
            }
        }
    }

    /// Whether this request should fail, under the current error fault.
    pub fn should_fail(&self, route: &str, user_group: &str) -> bool {
        let v = self.view.lock().unwrap_or_else(PoisonError::into_inner);
        let matches = v.error_route.as_deref().is_none_or(|r| r == route)
            && v.error_user_group.as_deref().is_none_or(|g| g == user_group);
        matches && v.error_ratio > 0.0 && rand::random::<f64>() < v.error_ratio
    }
}

/// A CPU hot spot with a name a profile can show.
#[inline(never)]
pub fn hot_spot_spin(running: &AtomicBool) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while running.load(Ordering::Relaxed) {
        // Plain xorshift in a plain loop: no helper calls, so the time is this function's own.
        let mut i = 0u32;
        while i < 1_000_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            i += 1;
        }
        x = std::hint::black_box(x);
    }
}

/// A memory leak with a name a heap profile can show: the memory is never freed.
#[inline(never)]
pub fn leak_memory(rate: &AtomicU64) {
    loop {
        let mib = rate.load(Ordering::Relaxed);
        if mib == 0 {
            return;
        }
        for _ in 0..mib {
            let block = std::hint::black_box(vec![0x5au8; 1 << 20]);
            std::mem::forget(block);
        }
        std::thread::sleep(Duration::from_secs(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_metrics_break_the_format() {
        let text = "# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 1\n# TYPE worker_pool_max_workers gauge\nworker_pool_max_workers{pool=\"p\"} 8\n";
        assert!(BadMetrics::WrongType.apply(text).contains("# TYPE process_cpu_seconds_total gauge"));
        let dropped = BadMetrics::DropLabel.apply(text);
        assert!(dropped.contains("worker_pool_max_workers 8\n"), "{dropped}");
        assert!(dropped.contains("process_cpu_seconds_total 1\n"));
    }
}
