use crate::api::catalog::{get_service, server_now};
use crate::components::captures::{CaptureTable, UploadForm};
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::panels::ServicePanels;
use crate::components::poll::{age, refreshed, size};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::time::Duration;
use types::{ErrorKind, InstanceView, Role, ServiceDetail};

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.get().get("name").unwrap_or_default();
    view! {
        <Title text=name/>
        <RequireRole role=Role::Viewer>
            <Service name=Signal::derive(name)/>
        </RequireRole>
    }
}

/// The page; an unknown service gets one clear note, and the parts below it go away.
#[component]
fn Service(name: Signal<String>) -> impl IntoView {
    // Set once the service turns out not to exist (in the browser: no render differs).
    let missing = RwSignal::new(false);
    view! {
        <p class="crumbs"><a href="/services">"Services"</a> " / " {name}</p>
        <Detail name missing/>
        <Show when=move || !missing.get()>
            <crate::pages::alerts::ServiceAlerts service=name/>
            <ServicePanels name/>
            <crate::components::changes::ServiceChanges service=name/>
            <crate::pages::lag::ServiceReadModels service=name/>
            <Captures name/>
        </Show>
    }
}

/// The service's facts, with its instances refreshed in place (see [`refreshed`]).
#[component]
fn Detail(name: Signal<String>, missing: RwSignal<bool>) -> impl IntoView {
    let detail = Resource::new(move || name.get(), fetch_detail);
    Effect::new(move |_| {
        if let Some(Err(e)) = detail.get() {
            missing.set(e.kind == ErrorKind::NotFound);
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match detail.await {
                    Ok((now, d)) => detail_view(now, d).into_any(),
                    Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/services", "All services").into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

async fn fetch_detail(name: String) -> Result<(i64, ServiceDetail), types::AppError> {
    let now = server_now().await?;
    get_service(name).await.map(|d| (now, d))
}

/// The service's captures, every instance's and uploads, and the upload form.
#[component]
fn Captures(name: Signal<String>) -> impl IntoView {
    let query = use_query_map();
    let upload_error = move || query.get().get("upload_error");
    view! {
        <section class="card" id="captures">
            <h2>"Captures"</h2>
            <p class="muted">"Open an instance to capture a profile or a thread dump; tick two captures to compare them."</p>
            <CaptureTable service=name/>
            <h3>"Upload a profile or a thread dump taken elsewhere"</h3>
            {move || upload_error().map(|message| view! { <p class="note error" role="alert" data-testid="upload-error">{message}</p> })}
            <UploadForm service=name/>
        </section>
    }
}

fn detail_view(now_ms: i64, d: ServiceDetail) -> impl IntoView {
    let s = d.service;
    let links = [("Runbook", s.links.runbook), ("Dashboard", s.links.dashboard), ("Traces", s.links.traces)]
        .into_iter()
        .filter_map(|(label, href)| {
            href.map(|h| view! { <a class="button-link" href=h target="_blank" rel="noopener">{label}</a> })
        })
        .collect_view();
    let service = s.name.clone();
    let (live, refresh_error) = refreshed((now_ms, s.instances), Duration::from_secs(3), move || {
        let service = service.clone();
        async move { fetch_detail(service).await.map(|(now, d)| (now, d.service.instances)) }
    });
    let names = move || live.with(|(_, list)| list.iter().map(|i| i.name.clone()).collect::<Vec<_>>());
    let service = s.name.clone();
    view! {
        <h1>{s.name.clone()}</h1>
        <p class="lead">{s.description} </p>
        <p class="muted">"Team " <strong>{s.team}</strong> " · scraped every " {s.scrape_interval}</p>
        <p class="row">{links} <a class="button-link" href=format!("/services/{}/conformance", s.name)>"Conformance"</a></p>
        <section class="card">
            <h2>"Instances"</h2>
            {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
            <div class="table-scroll"><table class="grid" data-testid="instances">
                <thead>
                    <tr><th>"Instance"</th><th>"Health"</th><th>"Address"</th><th>"Last scrape"</th><th>"Took"</th><th>"Size"</th><th>"Error"</th></tr>
                </thead>
                <tbody>
                    <For each=names key=|n| n.clone() let:name>
                        {instance_row(service.clone(), name, live)}
                    </For>
                </tbody>
            </table></div>
        </section>
        <details class="card">
            <summary><strong>"Declared in the config"</strong></summary>
            <pre class="config">{d.config_snippet}</pre>
        </details>
    }
}

/// One instance's row: the link is built once, the cells follow the refreshed list.
fn instance_row(service: String, name: String, live: ReadSignal<(i64, Vec<InstanceView>)>) -> impl IntoView {
    let key = name.clone();
    let current =
        Memo::new(move |_| live.with(|(now, list)| (*now, list.iter().find(|i| i.name == key).cloned())));
    let cell = move |f: fn(i64, &InstanceView) -> String| {
        move || current.with(|(now, i)| i.as_ref().map(|i| f(*now, i)).unwrap_or_default())
    };
    let health = move || {
        current.with(|(_, i)| match i.as_ref().map(|i| (i.up, i.last_scrape_ms)) {
            Some((true, _)) => ("pill ok", "up"),
            Some((false, None)) | None => ("pill muted", "not scraped yet"),
            Some((false, Some(_))) => ("pill bad", "down"),
        })
    };
    view! {
        <tr data-instance=name.clone()>
            <td><a href=format!("/services/{service}/instances/{name}")>{name.clone()}</a></td>
            <td><span class=move || health().0 data-testid="health">{move || health().1}</span></td>
            <td><code>{cell(|_, i| i.base_url.clone())}</code></td>
            <td>{cell(|now, i| age(now, i.last_scrape_ms))}</td>
            <td>{cell(|_, i| i.duration_ms.map_or_else(|| "–".to_string(), |d| format!("{d} ms")))}</td>
            <td>{cell(|_, i| size(i.bytes))}</td>
            <td class="error-text">{cell(|_, i| i.error.clone().unwrap_or_default())}</td>
        </tr>
    }
}
