//! One instance: its health and last scrape, its key signals now, its captures, then the
//! buttons that take a new one.

use crate::api::catalog::{instance_now, InstanceState};
use crate::components::captures::{CaptureButtons, CaptureTable};
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::{age, size, ticker};
use crate::components::signals::signal_cell;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;
use types::{ErrorKind, Role};

#[component]
pub fn InstancePage() -> impl IntoView {
    let params = use_params_map();
    let service = Signal::derive(move || params.get().get("name").unwrap_or_default());
    let instance = Signal::derive(move || params.get().get("instance").unwrap_or_default());
    view! {
        <Title text=instance/>
        <RequireRole role=Role::Viewer>
            <p class="crumbs">
                <a href="/services">"Services"</a> " / "
                <a href=move || format!("/services/{}", service.get())>{service}</a> " / " {instance}
            </p>
            <h1>{instance}</h1>
            <Instance service instance/>
        </RequireRole>
    }
}

#[component]
fn Instance(service: Signal<String>, instance: Signal<String>) -> impl IntoView {
    // Set once the instance turns out not to exist (in the browser: no render differs).
    let missing = RwSignal::new(false);
    view! {
        <Health service instance missing/>
        <Show when=move || !missing.get()>
            <section class="card">
                <h2>"Captures of this instance"</h2>
                {move || view! { <CaptureTable service=service.get() instance=instance.get()/> }}
            </section>
            <section class="card">
                <h2>"Capture"</h2>
                <p class="muted">
                    "The hub calls this instance's profiling endpoints (as registered in the config) and keeps "
                    "the artifact; one capture per instance at a time."
                </p>
                {move || view! { <CaptureButtons service=service.get() instance=instance.get()/> }}
            </section>
        </Show>
    }
}

/// Health, last scrape and key signals, refreshed on their own.
#[component]
fn Health(service: Signal<String>, instance: Signal<String>, missing: RwSignal<bool>) -> impl IntoView {
    let tick = ticker(Duration::from_secs(5));
    let now =
        Resource::new(move || (service.get(), instance.get(), tick.get()), |(s, i, _)| instance_now(s, i));
    Effect::new(move |_| {
        if let Some(Err(e)) = now.get() {
            missing.set(e.kind == ErrorKind::NotFound);
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match now.await {
                    Ok(n) => health_view(n).into_any(),
                    Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/services", "All services").into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn health_view(n: InstanceState) -> impl IntoView {
    let i = n.instance;
    let (class, label) = match (i.up, i.last_scrape_ms) {
        (true, _) => ("pill ok", "up"),
        (false, None) => ("pill muted", "not scraped yet"),
        (false, Some(_)) => ("pill bad", "down"),
    };
    let signals = n.signals.filter(|k| !k.signals.is_empty()).map(|k| {
        let heads = k.signals.iter().map(|s| view! { <th>{s.label.clone()}</th> }).collect_view();
        let cells = k.signals.iter().map(|s| signal_cell(Some(s))).collect_view();
        view! {
            <div class="table-scroll">
                <table class="grid" data-testid="instance-signals">
                    <thead><tr>{heads}</tr></thead>
                    <tbody><tr>{cells}</tr></tbody>
                </table>
            </div>
        }
    });
    view! {
        <section class="card" data-testid="instance-health">
            <h2>"Health"</h2>
            <dl class="facts">
                <dt>"State"</dt><dd><span class=class data-testid="health">{label}</span></dd>
                <dt>"Last scrape"</dt><dd>{age(n.now_ms, i.last_scrape_ms)} {i.duration_ms.map(|d| format!(" · took {d} ms"))} {i.bytes.map(|b| format!(" · {}", size(Some(b))))}</dd>
                <dt>"Address"</dt><dd><code>{i.base_url}</code></dd>
                {i.error.map(|e| view! { <dt>"Error"</dt><dd class="error-text">{e}</dd> })}
            </dl>
            {signals}
        </section>
    }
}
