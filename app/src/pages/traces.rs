//! Traces: a search (by service, operation, status, duration, attribute, time) and a trace's
//! page — its waterfall, critical path, and the first failing service named at the top.

use crate::api::traces::{get_trace, search_traces};
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use types::traces::{SpanStatus, SpanView, TraceSearch, TraceSummary, TraceView};
use types::{ErrorKind, Role};

/// "1.25 s", "340 ms", "85 µs".
pub fn span_duration(us: i64) -> String {
    match us {
        us if us >= 1_000_000 => format!("{:.2} s", us as f64 / 1e6),
        us if us >= 1_000 => format!("{:.1} ms", us as f64 / 1e3),
        us => format!("{us} µs"),
    }
}

const WINDOWS: [(&str, i64); 5] = [("15m", 15), ("1h", 60), ("6h", 360), ("24h", 1440), ("all", 0)];

#[component]
pub fn TracesPage() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.read().get(k).unwrap_or_default();
    let search = move || {
        let q = query.read();
        let text = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        TraceSearch {
            service: text("service"),
            operation: text("operation"),
            status: text("status"),
            min_ms: text("min_ms").and_then(|v| v.trim().parse().ok()),
            since: None,
            until: None,
            attribute: text("attribute"),
            limit: Some(100),
        }
    };
    let window = move || query.read().get("last").unwrap_or_else(|| "1h".into());
    let list = Resource::new(
        move || (search(), window()),
        |(s, w)| search_traces(s, WINDOWS.iter().find(|(k, _)| *k == w).map_or(60, |(_, m)| *m)),
    );
    let windows = move || {
        WINDOWS
            .map(|(k, _)| view! { <option value=k selected=move || window() == k>{if k == "all" { "everything kept".to_string() } else { format!("last {k}") }}</option> })
            .collect_view()
    };
    // The "open a trace id" form comes back here with ?id=.
    let open =
        move || query.read().get("id").map(|i| i.trim().to_ascii_lowercase()).filter(|i| !i.is_empty());
    view! {
        <Title text="Traces"/>
        {move || open().map(|id| view! { <leptos_router::components::Redirect path=format!("/traces/{id}")/> })}
        <RequireRole role=Role::Viewer>
            <h1>"Traces"</h1>
            <p class="lead">"Spans the services export over OTLP (" <code>"POST /v1/traces"</code> "). A trace's page names the service where its error first occurred."</p>
            <form method="get" action="/traces" class="card search-form" data-testid="trace-search">
                <label>"Service" <input name="service" value=move || param("service") placeholder="any"/></label>
                <label>"Operation" <input name="operation" value=move || param("operation") placeholder="any"/></label>
                <label>"Status" <select name="status">
                    <option value="" selected=move || param("status") != "error">"any"</option>
                    <option value="error" selected=move || param("status") == "error">"with an error"</option>
                </select></label>
                <label>"At least (ms)" <input name="min_ms" type="number" min="0" step="any" value=move || param("min_ms")/></label>
                <label>"Attribute" <input name="attribute" value=move || param("attribute") placeholder="key=value"/></label>
                <label>"When" <select name="last">{windows}</select></label>
                <button type="submit">"Search"</button>
            </form>
            <form method="get" action="/traces" class="inline open-trace">
                <label>"Open a trace id " <input name="id" size="34" placeholder="4bf92f3577b34da6a3ce929d0e0e4736"/></label>
                <button type="submit" class="secondary">"Open"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted" data-testid="no-traces">"No trace matches. Services send theirs with an OpenTelemetry SDK to this hub's /v1/traces (see README, Traces)."</p> }.into_any(),
                        Ok(list) => summaries_table(list).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

fn summaries_table(list: Vec<TraceSummary>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|t| {
            let href = format!("/traces/{}", t.trace_id);
            view! {
                <tr data-testid="trace-row">
                    <td title=types::time::format_ms(t.start_us / 1000)>{types::time::clock(t.start_us / 1000)}</td>
                    <td><a href=href>{format!("{}: {}", t.root_service, t.root_name)}</a></td>
                    <td class="num">{span_duration(t.duration_us)}</td>
                    <td class="num">{t.spans}</td>
                    <td>{(t.errors > 0).then(|| view! { <span class="pill bad">{format!("{} failed", t.errors)}</span> })}</td>
                    <td class="muted">{t.services.join(", ")}</td>
                    <td><code class="small">{t.trace_id.clone()}</code></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll"><table class="grid" data-testid="traces">
            <thead><tr><th>"Started (UTC)"</th><th>"Root"</th><th>"Duration"</th><th>"Spans"</th><th>"Errors"</th><th>"Services"</th><th>"Trace id"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
}

#[component]
pub fn TracePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let trace = Resource::new(id, get_trace);
    view! {
        <Title text=move || format!("Trace {}", id())/>
        <RequireRole role=Role::Viewer>
            <p class="crumbs"><a href="/traces">"Traces"</a> " / " <code>{id}</code></p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match trace.await {
                        Ok(t) => trace_view(t).into_any(),
                        Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/traces", "Search traces").into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

fn trace_view(t: TraceView) -> impl IntoView {
    let start = t.spans.iter().map(|s| s.start_us).min().unwrap_or(0);
    let end = t.spans.iter().map(|s| s.start_us + s.duration_us).max().unwrap_or(start);
    let total = (end - start).max(1);
    let mut services: Vec<&str> = t.spans.iter().map(|s| s.service.as_str()).collect();
    services.sort_unstable();
    services.dedup();
    let errors = t.spans.iter().filter(|s| s.status == SpanStatus::Error).count();
    let first = t.first_failing_span.clone().and_then(|id| t.spans.iter().find(|s| s.span_id == id).cloned());
    let headline = match (&t.first_failing_service, first) {
        (Some(service), Some(span)) => view! {
            <div class="callout bad" data-testid="first-failing">
                <strong>"First failing service: "</strong>
                <a href=format!("/services/{service}") data-testid="first-failing-service">{service.clone()}</a>
                <span class="muted">{format!(" — {} ({}){}", span.name, span_duration(span.duration_us), span.status_message.map(|m| format!(": {m}")).unwrap_or_default())}</span>
                <p class="small muted">"The earliest span whose error no failing child explains: where the error first occurred."</p>
            </div>
        }
        .into_any(),
        _ => view! { <div class="callout ok">"No span of this trace failed."</div> }.into_any(),
    };
    let colour = |service: &str| -> usize { services.iter().position(|s| *s == service).unwrap_or(0) % 8 };
    let critical: std::collections::HashSet<String> = t.critical_path.iter().cloned().collect();
    let rows = t
        .spans
        .iter()
        .zip(t.depths.iter().copied().chain(std::iter::repeat(0)))
        .map(|(s, depth)| {
            span_row(
                s,
                depth,
                start,
                total,
                colour(&s.service),
                critical.contains(&s.span_id),
                t.first_failing_span.as_deref() == Some(s.span_id.as_str()),
            )
        })
        .collect_view();
    let viewer = t.viewer_url.clone().map(|u| view! { <a class="button-link" href=u target="_blank" rel="noopener">"Open in the trace viewer"</a> });
    view! {
        <h1>"Trace " <code class="trace-id">{t.trace_id.clone()}</code></h1>
        <p class="muted">{format!("{} spans · {} services · {} · {} failed · read from {}", t.spans.len(), services.len(), span_duration(total), errors, t.source)} " " {viewer}</p>
        {headline}
        <section class="card">
            <h2>"Waterfall"</h2>
            <p class="muted small">"Each span under its parent, by start; the bar is its time within the trace. The critical path (where the time went) is marked ◆. Open a span for its attributes and events."</p>
            <div class="waterfall" data-testid="waterfall">{rows}</div>
        </section>
    }
}

fn span_row(
    s: &SpanView,
    depth: u32,
    start: i64,
    total: i64,
    colour: usize,
    critical: bool,
    first: bool,
) -> impl IntoView {
    let left = (s.start_us - start) as f64 / total as f64 * 100.0;
    let width = (s.duration_us as f64 / total as f64 * 100.0).max(0.3);
    let failed = s.status == SpanStatus::Error;
    let attributes = s
        .attributes
        .iter()
        .map(|(k, v)| view! { <tr><td class="muted">{k.clone()}</td><td>{v.clone()}</td></tr> })
        .collect_view();
    let events = s
        .events
        .iter()
        .map(|e| {
            let attrs = e.attributes.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(", ");
            view! { <li>{format!("+{} {}", span_duration(e.time_us - s.start_us), e.name)} <span class="muted">{attrs}</span></li> }
        })
        .collect_view();
    view! {
        <details class="span-row" class:failed=failed class:first=first data-testid="span" data-service=s.service.clone() data-status=s.status.as_str()>
            <summary>
                <span class="span-name" style=format!("padding-left: {}rem", f64::from(depth.min(30)) * 0.9)>
                    {critical.then(|| view! { <span class="critical" title="on the critical path">"◆ "</span> })}
                    <span class=format!("svc svc-{colour}")>{s.service.clone()}</span>
                    " " {s.name.clone()}
                </span>
                <span class="span-track"><span class=format!("span-bar svc-bg-{colour}") class:failed=failed style=format!("left: {left:.3}%; width: {width:.3}%")></span></span>
                <span class="span-dur num">{span_duration(s.duration_us)}</span>
            </summary>
            <div class="span-detail">
                <p class="small muted">{format!("span {} · {} · started +{} · status {}", s.span_id, if s.kind.is_empty() { "span" } else { s.kind.as_str() }, span_duration(s.start_us - start), s.status.as_str())}
                    {s.status_message.clone().map(|m| format!(": {m}"))}</p>
                <table class="kv">{attributes}</table>
                {(!s.events.is_empty()).then(|| view! { <h4>"Events"</h4><ul>{events}</ul> })}
            </div>
        </details>
    }
}
