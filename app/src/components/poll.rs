use leptos::prelude::*;
use std::time::Duration;

/// A signal that ticks every `every` in the browser (never on the server), for pages whose
/// data refreshes on its own.
pub fn ticker(every: Duration) -> RwSignal<u64> {
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        let _ = set_interval_with_handle(move || tick.update(|t| *t += 1), every);
    });
    tick
}

/// "3 s ago", "2 min ago" — from the server's clock, so server and browser agree.
pub fn age(now_ms: i64, then_ms: Option<i64>) -> String {
    let Some(then) = then_ms else {
        return "never".to_string();
    };
    let s = (now_ms - then).max(0) / 1000;
    match s {
        s if s < 60 => format!("{s} s ago"),
        s if s < 3600 => format!("{} min ago", s / 60),
        s => format!("{} h ago", s / 3600),
    }
}

pub fn size(bytes: Option<i64>) -> String {
    match bytes {
        None => "–".to_string(),
        Some(b) if b < 1024 => format!("{b} B"),
        Some(b) if b < 1024 * 1024 => format!("{:.1} KiB", b as f64 / 1024.0),
        Some(b) => format!("{:.1} MiB", b as f64 / 1_048_576.0),
    }
}
