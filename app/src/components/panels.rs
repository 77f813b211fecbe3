use crate::api::metrics::service_panels;
use crate::components::chart::Chart;
use crate::components::errors::ErrorNote;
use crate::components::poll::ticker;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use std::time::Duration;
use types::time::parse_utc_minute;
use types::{PanelView, TimeRange};

/// A service's standard panels with a time-range picker; the range lives in the URL and the
/// panels refresh on their own.
#[component]
pub fn ServicePanels(name: Signal<String>) -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.get().get(k).unwrap_or_default();
    let range = move || {
        let preset = query.get().get("range").unwrap_or_else(|| "1h".into());
        TimeRange { from_ms: parse_utc_minute(&param("from")), to_ms: parse_utc_minute(&param("to")), preset }
    };
    let tick = ticker(Duration::from_secs(10));
    let panels = Resource::new(move || (name.get(), range(), tick.get()), |(n, r, _)| service_panels(n, r));
    let (from_input, to_input) =
        (NodeRef::<leptos::html::Input>::new(), NodeRef::<leptos::html::Input>::new());
    let refused = RwSignal::new(None::<String>);
    // A reversed or empty range is refused here with the reason; the form stays as it is.
    let check = move |ev: leptos::ev::SubmitEvent| {
        let value = |r: NodeRef<leptos::html::Input>| r.get().map(|i| i.value()).unwrap_or_default();
        let problem = range_problem(&value(from_input), &value(to_input));
        if problem.is_some() {
            ev.prevent_default();
        }
        refused.set(problem);
    };
    let presets = TimeRange::PRESETS
        .map(|(p, _)| {
            view! {
                <a class="preset" class:active=move || range().preset == p href=move || format!("/services/{}?range={p}", name.get())>
                    {p}
                </a>
            }
        })
        .collect_view();
    view! {
        <section class="card">
            <div class="panel-head">
                <h2>"Standard panels"</h2>
                <div class="picker" data-testid="range-picker">
                    {presets}
                    <form method="get" class="inline" action=move || format!("/services/{}", name.get()) on:submit=check>
                        <input type="hidden" name="range" value="custom"/>
                        <label class="inline-label">"from (UTC)" <input type="datetime-local" name="from" node_ref=from_input value=move || param("from")/></label>
                        <label class="inline-label">"to" <input type="datetime-local" name="to" node_ref=to_input value=move || param("to")/></label>
                        <button type="submit" class="secondary">"Show"</button>
                    </form>
                </div>
            </div>
            {move || refused.get().map(|why| view! { <p class="note error" role="alert" data-testid="range-error">{why}</p> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match panels.await {
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted">"This service names no metric profile with standard panels (metric_profiles in the config)."</p>
                        }.into_any(),
                        Ok(list) => {
                            let marked = list.first().map(|p| p.chart.markers.clone()).unwrap_or_default();
                            view! {
                                <div class="panels">{list.into_iter().map(panel).collect_view()}</div>
                                {marker_legend(marked)}
                            }.into_any()
                        }
                        // The page says once that the service does not exist.
                        Err(error) if error.kind == types::ErrorKind::NotFound => ().into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn panel(p: PanelView) -> impl IntoView {
    view! {
        <figure class="panel" data-panel=p.id.clone() data-has-data=p.has_data.to_string()>
            <figcaption>{p.title} {(!p.unit.is_empty()).then(|| view! { " " <span class="muted">"(" {p.unit.clone()} ")"</span> })}</figcaption>
            <Chart chart=p.chart/>
        </figure>
    }
}

/// What the dashed purple lines on the panels are: the service's changes in the range.
fn marker_legend(markers: Vec<types::charts::Marker>) -> impl IntoView {
    (!markers.is_empty()).then(|| {
        let items = markers
            .into_iter()
            .map(|m| view! { <li><span class="mono">{types::time::clock(m.ts_ms)}</span> " " <span class=format!("pill change-{}", m.kind)>{m.kind.clone()}</span> " " {m.label}</li> })
            .collect_view();
        view! {
            <div class="marker-legend" data-testid="panel-markers">
                <p class="muted small">"Dashed purple lines: the service's changes in this range (UTC)."</p>
                <ul class="plain">{items}</ul>
            </div>
        }
    })
}

/// Why a custom range cannot be shown, before it is asked for (the server says the same).
fn range_problem(from: &str, to: &str) -> Option<String> {
    let range =
        TimeRange { preset: "custom".into(), from_ms: parse_utc_minute(from), to_ms: parse_utc_minute(to) };
    range.bounds(0).err()
}
