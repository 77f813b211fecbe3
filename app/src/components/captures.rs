//! Lists of captures (per service or instance) with their progress, the buttons that
//! request one, and the upload form.

use crate::api::captures::{list_captures, CaptureList, RequestCapture};
use crate::components::client_only::ClientOnly;
use crate::components::errors::ErrorNote;
use crate::components::poll::{age, refreshed, size};
use leptos::prelude::*;
use std::time::Duration;
use types::{CaptureKind, CaptureState, CaptureView};

/// The state as a pill; a running capture with its progress.
pub fn state_view(c: &CaptureView, now_ms: i64) -> impl IntoView {
    let class = match c.state {
        CaptureState::Done => "pill ok",
        CaptureState::Failed => "pill bad",
        CaptureState::Queued | CaptureState::Running => "pill warn",
    };
    let left = c.started_ms.filter(|_| c.state == CaptureState::Running && c.seconds > 0).map(|started| {
        let left = (started + c.seconds * 1000 - now_ms).max(0) / 1000;
        format!("{left} s left")
    });
    let running = !c.state.is_finished();
    view! {
        // Owned: in a view rebuilt in place, a `&'static str` child keeps its first text.
        <span class=class data-testid="state">{c.state.as_str().to_string()}</span>
        {running.then(|| view! { " " <progress max="1" value=c.progress></progress> })}
        {left.map(|l| view! { " " <span class="muted">{l}</span> })}
    }
}

/// The newest captures of a service (or one instance), refreshed on their own; two of one
/// family can be ticked and compared. Drawn in the browser only: captures move on between
/// the server's render and hydration, and the two renders would then differ.
#[component]
pub fn CaptureTable(
    #[prop(into)] service: Signal<String>,
    #[prop(optional)] instance: Option<String>,
    /// Bumped when a capture is requested, to list it at once.
    #[prop(into, optional)]
    version: Signal<usize>,
) -> impl IntoView {
    view! {
        <ClientOnly>
            {
                let instance = instance.clone();
                move || view! { <LiveCaptureTable service instance=instance.clone() version/> }
            }
        </ClientOnly>
    }
}

#[component]
fn LiveCaptureTable(
    service: Signal<String>,
    instance: Option<String>,
    version: Signal<usize>,
) -> impl IntoView {
    let first_instance = instance.clone();
    let list = Resource::new(move || (service.get(), first_instance.clone()), |(s, i)| list_captures(s, i));
    let selected = RwSignal::new(Vec::<(i64, CaptureKind)>::new());
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let instance = instance.clone();
                Suspend::new(async move {
                    match list.await {
                        Ok(first) => {
                            // Every 2 s, and at once when a capture is requested.
                            let (live, refresh_error) = refreshed(first, Duration::from_secs(2), move || {
                                version.track();
                                list_captures(service.get_untracked(), instance.clone())
                            });
                            view! {
                                {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                                <Show when=move || live.with(|l| !l.captures.is_empty())
                                    fallback=|| view! { <p class="muted" data-testid="no-captures">"No captures yet."</p> }>
                                    {table(live.into(), selected)}
                                </Show>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })
            }}
        </Transition>
        {move || compare_link(&selected.get())}
    }
}

fn compare_link(selected: &[(i64, CaptureKind)]) -> impl IntoView {
    match selected {
        [] => None,
        [_] => Some(
            view! { <p class="muted">"Tick one more capture of the same kind to compare."</p> }.into_any(),
        ),
        [(a, ka), (b, kb)] if ka.artifact() == kb.artifact() => {
            let (before, after) = ((*a).min(*b), (*a).max(*b));
            Some(view! {
                <p><a class="button-link" data-testid="compare" href=format!("/captures/{before}/diff/{after}")>
                    {format!("Compare #{before} (before) with #{after} (after)")}
                </a></p>
            }.into_any())
        }
        _ => Some(
            view! { <p class="note error">"Compare two profiles or two thread dumps, not one of each."</p> }
                .into_any(),
        ),
    }
}

/// The captures, keyed by id: a row's links and checkbox are built once and its cells follow
/// the list (a row rebuilt between mouse-down and mouse-up loses the click).
fn table(live: Signal<CaptureList>, selected: RwSignal<Vec<(i64, CaptureKind)>>) -> impl IntoView {
    let ids = move || live.with(|l| l.captures.iter().map(|c| c.id).collect::<Vec<_>>());
    view! {
        <table class="grid" data-testid="captures">
            <thead><tr><th></th><th>"#"</th><th>"Instance"</th><th>"Kind"</th><th>"State"</th><th>"By"</th><th>"When"</th><th>"Took"</th><th>"Size"</th><th></th></tr></thead>
            <tbody>
                <For each=ids key=|id| *id let:id>
                    {row(id, live, selected)}
                </For>
            </tbody>
        </table>
    }
}

fn row(id: i64, live: Signal<CaptureList>, selected: RwSignal<Vec<(i64, CaptureKind)>>) -> impl IntoView {
    let current = Memo::new(move |_| {
        live.with(|l| l.captures.iter().find(|c| c.id == id).cloned().map(|c| (c, l.now_ms)))
    });
    let text = move |f: fn(&CaptureView, i64) -> String| {
        move || current.with(|c| c.as_ref().map(|(c, now)| f(c, *now)).unwrap_or_default())
    };
    let Some((first, _)) = current.get_untracked() else { return ().into_any() };
    let kind = first.kind;
    let done =
        Memo::new(move |_| current.with(|c| c.as_ref().is_some_and(|(c, _)| c.state == CaptureState::Done)));
    let toggle = move |ev| {
        let on = event_target_checked(&ev);
        selected.update(|s| {
            s.retain(|(i, _)| *i != id);
            if on {
                s.push((id, kind));
                if s.len() > 2 {
                    s.remove(0);
                }
            }
        });
    };
    view! {
        <tr data-capture=id.to_string()>
            <td><Show when=move || done.get()>
                <input type="checkbox" aria-label="select to compare"
                    prop:checked=move || selected.get().iter().any(|(i, _)| *i == id) on:change=toggle/>
            </Show></td>
            <td><a href=format!("/captures/{id}")>{format!("#{id}")}</a></td>
            <td>{first.instance.clone().unwrap_or_else(|| "upload".into())}</td>
            <td>{first.kind.label(first.seconds)}</td>
            <td>{move || current.with(|c| c.as_ref().map(|(c, now)| state_view(c, *now)))}
                {move || current.with(|c| c.as_ref().and_then(|(c, _)| c.error.clone()).map(|e| view! { <div class="error-text">{e}</div> }))}</td>
            <td>{first.requested_by.clone()}</td>
            <td>{text(|c, now| age(now, Some(c.created_ms)))}</td>
            <td>{text(|c, _| took(c))}</td>
            <td>{text(|c, _| size(c.bytes))}</td>
            <td><Show when=move || done.get()>
                <a href=format!("/api/v1/captures/{id}/raw") download="">"raw"</a>
            </Show></td>
        </tr>
    }
    .into_any()
}

/// How long the capture ran (from its start to its end), once it has ended.
fn took(c: &CaptureView) -> String {
    match (c.started_ms, c.finished_ms) {
        (Some(start), Some(end)) => {
            #[expect(clippy::cast_precision_loss, reason = "a display of seconds")]
            let seconds = (end - start).max(0) as f64 / 1000.0;
            format!("{seconds:.1} s")
        }
        _ => "–".to_string(),
    }
}

const SECONDS_KEY: &str = "switchboard.cpu_seconds";

fn local_storage() -> Option<web_sys::Storage> {
    window().local_storage().ok().flatten()
}

fn stored_seconds() -> Option<i64> {
    local_storage()?.get_item(SECONDS_KEY).ok().flatten()?.parse().ok().filter(|s| (5..=120).contains(s))
}

fn store_seconds(seconds: i64) {
    if let Some(storage) = local_storage() {
        let _ = storage.set_item(SECONDS_KEY, &seconds.to_string());
    }
}

/// CPU (5–120 s), heap and thread-dump buttons for one instance; the capture page opens
/// once the capture is queued.
#[component]
pub fn CaptureButtons(service: String, instance: String) -> impl IntoView {
    let request = ServerAction::<RequestCapture>::new();
    let seconds = RwSignal::new(30i64);
    // The CPU seconds field keeps the last value this browser used.
    Effect::new(move |_| {
        if let Some(kept) = stored_seconds() {
            seconds.set(kept);
        }
    });
    Effect::new(move |prev: Option<()>| {
        let s = seconds.get();
        if prev.is_some() {
            store_seconds(s);
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(id)) = request.value().get() {
            let _ = window().location().set_href(&format!("/captures/{id}"));
        }
    });
    let (s1, i1) = (service.clone(), instance.clone());
    let (s2, i2) = (service.clone(), instance.clone());
    let (s3, i3) = (service.clone(), instance.clone());
    let (s4, i4) = (service, instance);
    view! {
        <div class="capture-buttons">
            <label class="inline-label">"CPU seconds"
                <input type="number" min="5" max="120" data-testid="cpu-seconds" prop:value=move || seconds.get().to_string()
                    on:input=move |ev| seconds.set(event_target_value(&ev).parse().unwrap_or(30))/>
            </label>
            <button data-testid="capture-cpu" disabled=move || request.pending().get()
                on:click=move |_| { request.dispatch(RequestCapture { service: s1.clone(), instance: i1.clone(), kind: CaptureKind::Cpu, seconds: Some(seconds.get_untracked()), dumps: None }); }>
                {move || format!("Capture CPU profile ({} s)", seconds.get())}
            </button>
            <button data-testid="capture-heap" disabled=move || request.pending().get()
                on:click=move |_| { request.dispatch(RequestCapture { service: s2.clone(), instance: i2.clone(), kind: CaptureKind::Heap, seconds: None, dumps: None }); }>
                "Capture heap profile"
            </button>
            <button data-testid="capture-threads" disabled=move || request.pending().get()
                on:click=move |_| { request.dispatch(RequestCapture { service: s3.clone(), instance: i3.clone(), kind: CaptureKind::Threads, seconds: None, dumps: None }); }>
                "Take thread dump"
            </button>
            <button data-testid="capture-threads-series" disabled=move || request.pending().get()
                title="3 thread dumps, 5 s apart: the threads stuck on the same lock in all three, the pools that stayed exhausted"
                on:click=move |_| { request.dispatch(RequestCapture { service: s4.clone(), instance: i4.clone(), kind: CaptureKind::ThreadsSeries, seconds: None, dumps: None }); }>
                "Thread dump series (3 × 5 s)"
            </button>
        </div>
        {move || request.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
    }
}

/// A pprof file or a thread dump taken elsewhere, for the same analysis (a plain form: it
/// posts the file to /captures/upload, which opens the new capture).
#[component]
pub fn UploadForm(#[prop(into)] service: Signal<String>) -> impl IntoView {
    view! {
        <form class="row" method="post" action="/captures/upload" enctype="multipart/form-data" data-testid="upload">
            <input type="hidden" name="service" value=move || service.get()/>
            <label>"Kind"
                <select name="kind">
                    {CaptureKind::UPLOADED.map(|k| view! { <option value=k.as_str()>{upload_label(k)}</option> })}
                </select>
            </label>
            <label>"File" <input type="file" name="file" required/></label>
            <button type="submit">"Upload and analyse"</button>
        </form>
    }
}

/// What the upload form offers for each uploaded kind.
fn upload_label(kind: CaptureKind) -> &'static str {
    match kind {
        CaptureKind::Pprof => "pprof profile (.pb.gz)",
        CaptureKind::Jstack => "JVM thread dump (jstack, jcmd Thread.print)",
        CaptureKind::Goroutine => "Go goroutine dump (debug=1 or 2)",
        CaptureKind::Cpu | CaptureKind::Heap | CaptureKind::Threads | CaptureKind::ThreadsSeries => "",
    }
}
