use crate::api::metrics::service_rules;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use crate::components::poll::{size, ticker};
use crate::pages::conformance::{status_class, status_label};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use std::time::Duration;
use types::{Role, ServiceConformance};

#[component]
pub fn ServiceConformancePage() -> impl IntoView {
    let params = use_params_map();
    let name = Signal::derive(move || params.get().get("name").unwrap_or_default());
    view! {
        <Title text=move || format!("{} conformance", name.get())/>
        <RequireRole role=Role::Viewer>
            <Detail name/>
        </RequireRole>
    }
}

#[component]
fn Detail(name: Signal<String>) -> impl IntoView {
    let tick = ticker(Duration::from_secs(5));
    let report = Resource::new(move || (name.get(), tick.get()), |(n, _)| service_rules(n));
    view! {
        <p class="crumbs">
            <a href="/conformance">"Conformance"</a> " / "
            <a href=move || format!("/services/{}", name.get())>{name}</a>
        </p>
        <h1>{name} " — conformance"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) => detail(r).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn detail(r: ServiceConformance) -> impl IntoView {
    let scrapes = r
        .instances
        .into_iter()
        .map(|i| {
            let s = i.scrape;
            view! {
                <tr>
                    <td>{i.instance}</td>
                    <td><span class=if s.ok { "pill ok" } else { "pill bad" }>{if s.ok { "parsed" } else { "failed" }}</span></td>
                    <td>{s.format.unwrap_or_else(|| "–".into())}</td>
                    <td>{s.families}</td>
                    <td>{s.samples}</td>
                    <td>{size(Some(i64::try_from(s.bytes).unwrap_or(i64::MAX)))}</td>
                    <td>{format!("{} ms", s.duration_ms)}</td>
                    <td class="error-text">{s.error.unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = r.rules.is_empty();
    let rules = r
        .rules
        .into_iter()
        .map(|rule| {
            let examples = rule.examples.into_iter().map(|e| view! { <li><code>{e}</code></li> }).collect_view();
            view! {
                <tr data-rule=rule.rule.clone()>
                    <td><strong>{rule.rule.replace('_', " ")}</strong></td>
                    <td class=status_class(Some(rule.status)) data-testid="rule-status">{status_label(Some(rule.status))}</td>
                    <td>{rule.detail}<ul class="examples">{examples}</ul></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Last scrape"</h2>
            <table class="grid">
                <thead><tr><th>"Instance"</th><th>"Scrape"</th><th>"Format"</th><th>"Families"</th><th>"Samples"</th><th>"Size"</th><th>"Took"</th><th>"Error"</th></tr></thead>
                <tbody>{scrapes}</tbody>
            </table>
        </section>
        <section class="card">
            <h2>"Rules"</h2>
            {empty.then(|| view! { <p class="muted">"No scrape has parsed yet."</p> })}
            <table class="grid rules" data-testid="rules">
                <thead><tr><th>"Rule"</th><th>"Status"</th><th>"Detail and examples"</th></tr></thead>
                <tbody>{rules}</tbody>
            </table>
        </section>
    }
}
