use crate::api::captures::{get_capture, CancelCapture, CaptureNow};
use crate::components::captures::state_view;
use crate::components::client_only::ClientOnly;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::{age, refreshed_while, size};
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
    let cancel = ServerAction::<CancelCapture>::new();
    let first = Resource::new(|| (), move |()| get_capture(id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match first.await {
                    Ok(c) => {
                        // Every second (and after Cancel) until the capture has ended: a page
                        // left open costs nothing then.
                        let (live, refresh_error) = refreshed_while(
                            c,
                            Duration::from_secs(1),
                            move || {
                                cancel.version().track();
                                get_capture(id)
                            },
                            |c| !c.capture.state.is_finished(),
                        );
                        // The analysis is drawn once the capture is done, not again on a poll.
                        let done_kind = Memo::new(move |_| {
                            live.with(|c| (c.capture.state == CaptureState::Done).then_some(c.capture.kind))
                        });
                        view! {
                            {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                            {header(live, cancel)}
                            {move || done_kind.get().map(|kind| match kind.artifact() {
                                ArtifactKind::Profile => view! { <ProfileView id/> }.into_any(),
                                ArtifactKind::ThreadDump if kind == CaptureKind::ThreadsSeries => view! { <SeriesView id/> <ThreadsView id/> }.into_any(),
                                ArtifactKind::ThreadDump => view! { <ThreadsView id/> }.into_any(),
                            })}
                        }
                        .into_any()
                    }
                    Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/services", "All services").into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
        {move || cancel.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
    }
}

/// What the capture is (built once) and where it stands (following the polls): the Cancel
/// button is never rebuilt under a click.
fn header(live: ReadSignal<CaptureNow>, cancel: ServerAction<CancelCapture>) -> impl IntoView {
    let c = live.with_untracked(|n| n.capture.clone());
    let id = c.id;
    let instance_link = match &c.instance {
        None => view! { <a href=format!("/services/{}", c.service)>{c.service.clone()}</a> " / upload" }
            .into_any(),
        Some(instance) => view! {
            <a href=format!("/services/{}", c.service)>{c.service.clone()}</a> " / "
            <a href=format!("/services/{}/instances/{instance}", c.service)>{instance.clone()}</a>
        }
        .into_any(),
    };
    let active = move || live.with(|n| !n.capture.state.is_finished());
    view! {
        <p class="crumbs"><a href="/services">"Services"</a> " / " {instance_link} " / " {format!("#{id}")}</p>
        <h1>{format!("#{id}: {}", c.kind.label(c.seconds))}</h1>
        <section class="card" data-testid="capture-status">
            <dl class="facts">
                <dt>"State"</dt><dd>{move || live.with(|n| state_view(&n.capture, n.now_ms))}</dd>
                <dt>"Requested by"</dt><dd>{c.requested_by.clone()} " · " {move || live.with(|n| age(n.now_ms, Some(n.capture.created_ms)))}</dd>
                <dt>"Size"</dt><dd>{move || live.with(|n| size(n.capture.bytes))}</dd>
            </dl>
            {move || live.with(|n| n.capture.error.clone()).map(|e| view! { <p class="note error" role="alert" data-testid="capture-error">{e}</p> })}
            <Show when=active>
                <p><button class="danger" data-testid="cancel" disabled=move || cancel.pending().get()
                    on:click=move |_| { cancel.dispatch(CancelCapture { id }); }>"Cancel"</button></p>
            </Show>
        </section>
    }
}
