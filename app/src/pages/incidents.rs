//! Incidents: the list, and an incident's page — everything an on-call engineer reads in
//! order (what changed, where the error first occurred, the evidence of the moment), with
//! notes and a status.

use crate::api::captures::RequestCapture;
use crate::api::incidents::{get_incident, list_incidents, AddIncidentNote};
use crate::components::changes::changes_before;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::{ForRole, RequireRole};
use crate::pages::alerts::context_table;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use types::incidents::{IncidentStatus, IncidentSummary, IncidentView};
use types::time::{clock, format_ms};
use types::{CaptureKind, ErrorKind, Role};

fn status_pill(s: IncidentStatus) -> impl IntoView {
    let class = match s {
        IncidentStatus::Investigating => "pill bad",
        IncidentStatus::Mitigated => "pill warn",
        IncidentStatus::Resolved => "pill ok",
    };
    view! { <span class=class data-testid="incident-status">{s.as_str()}</span> }
}

#[component]
pub fn IncidentsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| list_incidents());
    view! {
        <Title text="Incidents"/>
        <RequireRole role=Role::Viewer>
            <h1>"Incidents"</h1>
            <p class="lead">"Every alert that fires opens one: the page that holds what changed, where the error first occurred and the evidence of the moment."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No incident yet: none of the alerts has fired."</p> }.into_any(),
                        Ok(l) => incidents_table(l).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

fn incidents_table(list: Vec<IncidentSummary>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|i| {
            view! {
                <tr data-incident=i.id>
                    <td><a href=format!("/incidents/{}", i.id)>{format!("#{}", i.id)}</a></td>
                    <td>{status_pill(i.status)}</td>
                    <td>{i.rule.clone()} " on " {i.service.clone()}</td>
                    <td>{i.severity.clone()}</td>
                    <td title=format_ms(i.opened_ms)>{format_ms(i.opened_ms)}</td>
                    <td>{if i.alert_state == "resolved" { "resolved".to_string() } else { i.alert_state.clone() }}</td>
                    <td class="num">{i.notes}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll"><table class="grid" data-testid="incidents">
            <thead><tr><th>"Incident"</th><th>"Status"</th><th>"Alert"</th><th>"Severity"</th><th>"Opened"</th><th>"Alert now"</th><th>"Notes"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
}

#[component]
pub fn IncidentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let note = ServerAction::<AddIncidentNote>::new();
    let incident = Resource::new(move || (id(), note.version().get()), |(id, _)| get_incident(id));
    view! {
        <Title text=move || format!("Incident #{}", id())/>
        <RequireRole role=Role::Viewer>
            <p class="crumbs"><a href="/incidents">"Incidents"</a> " / " {move || format!("#{}", id())}</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match incident.await {
                        Ok(i) => incident_view(i, note).into_any(),
                        Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/incidents", "All incidents").into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

fn incident_view(i: IncidentView, note: ServerAction<AddIncidentNote>) -> impl IntoView {
    let a = i.alert.clone();
    let first = i.first_failing.first().cloned();
    let failing_line = match &first {
        Some(f) => view! {
            <div class="callout bad" data-testid="incident-first-failing">
                <strong>"First failing service: "</strong>
                <a href=format!("/services/{}", f.service) data-testid="incident-first-failing-service">{f.service.clone()}</a>
                {format!(" in {} of {} example traces", f.traces, i.traces_read)}
                {(i.first_failing.len() > 1).then(|| {
                    let others = i.first_failing[1..].iter().map(|o| format!("{} in {}", o.service, o.traces)).collect::<Vec<_>>().join(", ");
                    view! { <span class="muted">{format!(" (then {others})")}</span> }
                })}
            </div>
        }
        .into_any(),
        None => view! {
            <div class="callout">
                {if a.traces.is_empty() { "The alert carries no example trace.".to_string() } else { format!("None of the {} example traces is kept here (sampled away, or past the retention).", a.traces.len()) }}
            </div>
        }
        .into_any(),
    };
    let traces = a
        .traces
        .iter()
        .map(|t| view! { <li><a href=format!("/traces/{t}")><code>{t.clone()}</code></a></li> })
        .collect_view();
    view! {
        <h1>{format!("Incident #{}: ", i.id)} {a.rule.clone()} " on " <a href=format!("/services/{}", a.service)>{a.service.clone()}</a></h1>
        <p>{status_pill(i.status)} " "
            <span class="muted">{format!("opened {} · severity {} · involved: {}", a.fired_ms.map(format_ms).unwrap_or_default(), a.severity, i.involved.join(", "))}</span>
            " · " <a href=format!("/alerts/{}", a.id)>"the alert"</a>
            " · " <a href=format!("/incidents/{}", i.id) data-testid="permalink">"permalink"</a></p>
        {failing_line}
        <section class="card" data-testid="incident-changes">
            <h2>"1. What changed in the hour before"</h2>
            {changes_before(&i.changes, a.onset_ms)}
        </section>
        <div class="incident-grid">
            <section class="card">
                <h2>"2. Where the error first occurred"</h2>
                {if a.context.is_empty() { view! { <p class="muted">"Nothing stands out among the failures."</p> }.into_any() } else { context_table(&a.context).into_any() }}
                <h3>"Example traces"</h3>
                {if a.traces.is_empty() { view! { <p class="muted">"None."</p> }.into_any() } else { view! { <ul data-testid="incident-traces">{traces}</ul> }.into_any() }}
            </section>
            <section class="card" data-testid="incident-evidence">
                <h2>"3. Evidence of the moment"</h2>
                {a.capture_id.map(|c| {
                    let what = i.taken.as_ref().map_or_else(
                        || format!("capture #{c}"),
                        |t| format!("{} of {} (capture #{c}, {})", t.kind.label(t.seconds), t.instance.as_deref().unwrap_or(&t.service), t.state.as_str()),
                    );
                    view! { <p>"Taken as it fired: " <a href=format!("/captures/{c}") data-testid="incident-capture">{what}</a></p> }
                })}
                {take_now(i.capture_target.clone())}
                {lag_and_consistency(&i)}
            </section>
        </div>
        <section class="card">
            <h2>"Timeline"</h2>
            <ul class="timeline" data-testid="timeline">
                {i.timeline.iter().map(|e| view! { <li data-kind=e.kind.clone()><span class="mono">{clock(e.ts_ms)}</span> " " <span class="pill">{e.kind.clone()}</span> " " {e.text.clone()}</li> }).collect_view()}
            </ul>
        </section>
        {notes_form(i.id, i.status, note)}
    }
}

/// A thread dump or a CPU profile of the first failing service's instance, now.
fn take_now(target: Option<(String, String)>) -> impl IntoView {
    let request = ServerAction::<RequestCapture>::new();
    target.map(|(service, instance)| {
        let (s1, i1, s2, i2) = (service.clone(), instance.clone(), service.clone(), instance.clone());
        view! {
            <ForRole role=Role::Developer>
                <p class="row">
                    <button data-testid="take-threads" on:click={
                        let (s, i) = (s1.clone(), i1.clone());
                        move |_| { request.dispatch(RequestCapture { service: s.clone(), instance: i.clone(), kind: CaptureKind::Threads, seconds: None, dumps: None }); }
                    }>{format!("Thread dump of {}", i1)}</button>
                    <button class="secondary" on:click={
                        let (s, i) = (s2.clone(), i2.clone());
                        move |_| { request.dispatch(RequestCapture { service: s.clone(), instance: i.clone(), kind: CaptureKind::Cpu, seconds: Some(10), dumps: None }); }
                    }>{format!("CPU profile of {} (10 s)", i2)}</button>
                </p>
                {move || request.value().get().map(|r| match r {
                    Ok(id) => view! { <p>"Started: " <a href=format!("/captures/{id}") data-testid="taken-capture">{format!("capture #{id}")}</a></p> }.into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                })}
            </ForRole>
        }
    })
}

fn lag_and_consistency(i: &IncidentView) -> impl IntoView {
    let lag = i
        .lag
        .iter()
        .map(|l| {
            let ms = |v: Option<f64>| v.map_or_else(|| "unknown".to_string(), |v| format!("{v:.1} ms"));
            let bad = l.lag_ms.is_some_and(|v| v > l.slo_ms);
            view! { <tr><td><a href=format!("/lag/{}", l.read_model)>{l.read_model.clone()}</a></td><td class={if bad { "bad" } else { "" }}>{ms(l.lag_ms)}</td><td>{ms(l.p99_ms)}</td><td>{format!("{} ms", l.slo_ms)}</td></tr> }
        })
        .collect_view();
    let checks = i
        .consistency
        .iter()
        .map(|c| view! { <tr><td><a href=format!("/checks/{}", c.check)>{c.check.clone()}</a></td><td class={if c.open_differences > 0 { "bad" } else { "" }}>{c.open_differences}</td></tr> })
        .collect_view();
    view! {
        <h3>"Read-model lag"</h3>
        {if i.lag.is_empty() { view! { <p class="muted">"No read model of the services involved."</p> }.into_any() } else { view! {
            <table class="grid"><thead><tr><th>"Read model"</th><th>"At onset"</th><th>"p99, last hour"</th><th>"SLO"</th></tr></thead><tbody>{lag}</tbody></table>
        }.into_any() }}
        <h3>"Consistency"</h3>
        {if i.consistency.is_empty() { view! { <p class="muted">"No consistency check of the services involved."</p> }.into_any() } else { view! {
            <table class="grid"><thead><tr><th>"Check"</th><th>"Open differences"</th></tr></thead><tbody>{checks}</tbody></table>
        }.into_any() }}
    }
}

fn notes_form(id: i64, status: IncidentStatus, note: ServerAction<AddIncidentNote>) -> impl IntoView {
    let options = || {
        IncidentStatus::ALL
            .map(|s| view! { <option value=s.as_str()>{format!("set it {}", s.as_str())}</option> })
            .collect_view()
    };
    view! {
        <ForRole role=Role::Developer>
            <section class="card">
                <h2>"Notes and status"</h2>
                <p class="muted small">{format!("Now {}. A note can change the status too; both are audited.", status.as_str())}</p>
                <ActionForm action=note attr:data-testid="note-form">
                    <input type="hidden" name="id" value=id/>
                    <textarea name="body" rows="3" placeholder="What you found, what you did"></textarea>
                    <p class="row">
                        <select name="status"><option value="">"keep the status"</option>{options}</select>
                        <button type="submit">"Add"</button>
                    </p>
                </ActionForm>
                {move || note.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
            </section>
        </ForRole>
    }
}
