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

/// A keyed row of a list that [`refreshed`] keeps: the entry `is` picks, as a memo the row's
/// cells read (None once it has left the list), so a refresh changes their text only.
pub fn keyed_row<T>(live: Signal<Vec<T>>, is: impl Fn(&T) -> bool + Send + Sync + 'static) -> Memo<Option<T>>
where
    T: Clone + PartialEq + Send + Sync + 'static,
{
    Memo::new(move |_| live.with(|l| l.iter().find(|t| is(t)).cloned()))
}

/// A text cell of a [`keyed_row`]: `f` of its entry, empty once the entry has gone.
pub fn cell<T>(
    row: Memo<Option<T>>,
    f: fn(&T) -> String,
) -> impl Fn() -> String + Copy + Send + Sync + 'static
where
    T: Send + Sync + 'static,
{
    move || row.with(|r| r.as_ref().map(f).unwrap_or_default())
}

/// A value that came with the page, then refreshed in the browser every `every` and whenever
/// a signal `fetch` reads changes (an action's version, say), in place: views that read it
/// update their text instead of being rebuilt, so a link being clicked, an open `<details>` or
/// a selection survives the refresh (a row rebuilt between mouse-down and mouse-up loses the
/// click). A refresh that fails keeps the last value and says why in the second signal,
/// cleared by the next success; a slow server gets one request at a time.
pub fn refreshed<T, E, F, Fut>(
    initial: T,
    every: Duration,
    fetch: F,
) -> (ReadSignal<T>, ReadSignal<Option<E>>)
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = Result<T, E>> + 'static,
{
    refreshed_while(initial, every, fetch, |_| true)
}

/// [`refreshed`], polled while `going_on` says the value can still change (a capture until it
/// has ended): after that, a page left open asks again only when a signal `fetch` reads
/// changes (a sign-off after the run has ended, say).
pub fn refreshed_while<T, E, F, Fut>(
    initial: T,
    every: Duration,
    fetch: F,
    going_on: fn(&T) -> bool,
) -> (ReadSignal<T>, ReadSignal<Option<E>>)
where
    T: Send + Sync + 'static,
    E: Send + Sync + 'static,
    F: Fn() -> Fut + 'static,
    Fut: std::future::Future<Output = Result<T, E>> + 'static,
{
    let (value, set_value) = signal(initial);
    let (error, set_error) = signal(None::<E>);
    let tick = ticker(every);
    // A change that arrives while a request is out asks for one more after it.
    let again = RwSignal::new(0u64);
    let busy = StoredValue::new((false, false));
    let last_tick = StoredValue::new(0u64);
    Effect::new(move |first_done: Option<()>| {
        let ticked = tick.get() != last_tick.get_value();
        last_tick.set_value(tick.get_untracked());
        again.track();
        // Built on every run so the signals it reads are tracked; an async fn does nothing
        // until polled, so the ones not spawned cost nothing.
        let next = fetch();
        if first_done.is_none() || (ticked && !value.with_untracked(going_on)) {
            return;
        }
        if busy.get_value().0 {
            busy.update_value(|b| b.1 = true);
            return;
        }
        busy.set_value((true, false));
        leptos::task::spawn_local(async move {
            match next.await {
                Ok(v) => {
                    set_value.set(v);
                    set_error.set(None);
                }
                Err(e) => set_error.set(Some(e)),
            }
            let (_, more) = busy.get_value();
            busy.set_value((false, false));
            if more {
                again.update(|n| *n += 1);
            }
        });
    });
    (value, error)
}
