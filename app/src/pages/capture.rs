use crate::api::captures::{get_capture, CancelCapture, CaptureNow};
use crate::components::captures::state_view;
use crate::components::client_only::ClientOnly;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::{age, size, ticker};
use crate::components::profile::ProfileView;
use crate::components::threads::{SeriesView, ThreadsView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;
use types::{ArtifactKind, CaptureKind, CaptureState, ErrorKind, Role};

/// One capture: its progress while it runs, then its analysis. Drawn in the browser only:
/// a capture can move on (queued → done) between the server's render and hydration, and
/// the two renders would then differ.
#[component]
pub fn CapturePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.get().get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0);
    view! {
        <Title text=move || format!("Capture #{}", id())/>
        <RequireRole role=Role::Viewer>
            <ClientOnly>{move || view! { <Capture id=id()/> }}</ClientOnly>
        </RequireRole>
    }
}

#[component]
fn Capture(id: i64) -> impl IntoView {
    let tick = ticker(Duration::from_secs(1));
    let cancel = ServerAction::<CancelCapture>::new();
    // The analysis is drawn once the capture is done, and not again on every poll.
    let done_kind = RwSignal::new(None::<CaptureKind>);
    // Polled every second until the capture has ended: a page left open costs nothing then.
    let ended = RwSignal::new(false);
    let status = Resource::new(
        move || ((!ended.get()).then(|| tick.get()), cancel.version().get()),
        move |_| get_capture(id),
    );
    Effect::new(move |_| {
        if let Some(Err(e)) = status.get() {
            if e.kind == ErrorKind::NotFound {
                ended.set(true);
            }
        }
        if let Some(Ok(c)) = status.get() {
            if c.capture.state.is_finished() && !ended.get_untracked() {
                ended.set(true);
            }
            if c.capture.state == CaptureState::Done && done_kind.get_untracked().is_none() {
                done_kind.set(Some(c.capture.kind));
            }
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(c) => header(c, cancel).into_any(),
                    Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/services", "All services").into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
        {move || cancel.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
        {move || done_kind.get().map(|kind| match kind.artifact() {
            ArtifactKind::Profile => view! { <ProfileView id/> }.into_any(),
            ArtifactKind::ThreadDump if kind == CaptureKind::ThreadsSeries => view! { <SeriesView id/> <ThreadsView id/> }.into_any(),
            ArtifactKind::ThreadDump => view! { <ThreadsView id/> }.into_any(),
        })}
    }
}

fn header(now: CaptureNow, cancel: ServerAction<CancelCapture>) -> impl IntoView {
    let c = now.capture;
    let id = c.id;
    let active = !c.state.is_finished();
    let instance_link = match &c.instance {
        None => view! { <a href=format!("/services/{}", c.service)>{c.service.clone()}</a> " / upload" }
            .into_any(),
        Some(instance) => view! {
            <a href=format!("/services/{}", c.service)>{c.service.clone()}</a> " / "
            <a href=format!("/services/{}/instances/{instance}", c.service)>{instance.clone()}</a>
        }
        .into_any(),
    };
    view! {
        <p class="crumbs"><a href="/services">"Services"</a> " / " {instance_link} " / " {format!("#{id}")}</p>
        <h1>{format!("#{id}: {}", c.kind.label(c.seconds))}</h1>
        <section class="card" data-testid="capture-status">
            <dl class="facts">
                <dt>"State"</dt><dd>{state_view(&c, now.now_ms)}</dd>
                <dt>"Requested by"</dt><dd>{c.requested_by.clone()} " · " {age(now.now_ms, Some(c.created_ms))}</dd>
                <dt>"Size"</dt><dd>{size(c.bytes)}</dd>
            </dl>
            {c.error.clone().map(|e| view! { <p class="note error" role="alert" data-testid="capture-error">{e}</p> })}
            {active.then(|| view! {
                <p><button class="danger" data-testid="cancel" disabled=move || cancel.pending().get()
                    on:click=move |_| { cancel.dispatch(CancelCapture { id }); }>"Cancel"</button></p>
            })}
        </section>
    }
}
