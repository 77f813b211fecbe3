use crate::api::metrics::explore_metrics;
use crate::components::chart::Chart;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use types::{ExploreView, Role, TimeRange};

#[component]
pub fn ExplorePage() -> impl IntoView {
    view! {
        <Title text="Metric explorer"/>
        <RequireRole role=Role::Viewer>
            <Explorer/>
        </RequireRole>
    }
}

fn number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v:.4}")
    }
}

#[component]
fn Explorer() -> impl IntoView {
    let query = use_query_map();
    let param = move |k: &str| query.get().get(k).unwrap_or_default();
    // The whole view is in the URL: service, metric, labels and range.
    let picked = move || {
        let range = TimeRange {
            preset: query.get().get("range").unwrap_or_else(|| "1h".into()),
            from_ms: None,
            to_ms: None,
        };
        (param("service"), param("metric"), param("labels"), param("mode"), range)
    };
    let view = Resource::new(picked, |(service, metric, labels, mode, range)| {
        explore_metrics(service, metric, labels, mode, range)
    });
    view! {
        <h1>"Metric explorer"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match view.await {
                    Ok(v) => {
                        let picked = Picked { service: param("service"), metric: param("metric"), labels: param("labels"), mode: param("mode"), range: param("range") };
                        explorer(v, picked).into_any()
                    }
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// What the URL picked.
struct Picked {
    service: String,
    metric: String,
    labels: String,
    mode: String,
    range: String,
}

fn explorer(v: ExploreView, p: Picked) -> impl IntoView {
    let Picked { service, metric, labels, mode, range } = p;
    // Picking a service shows its metrics at once: the URL takes it.
    let navigate = leptos_router::hooks::use_navigate();
    let pick_service = move |ev: leptos::ev::Event| {
        let href = format!("/explore?service={}", types::url::encode(&event_target_value(&ev)));
        navigate(&href, leptos_router::NavigateOptions::default());
    };
    let services = v
        .services
        .iter()
        .map(|s| view! { <option value=s.clone() selected=*s == service>{s.clone()}</option> })
        .collect_view();
    let names = v
        .names
        .iter()
        .map(|n| view! { <option value=n.clone() selected=*n == metric>{n.clone()}</option> })
        .collect_view();
    let ranges = TimeRange::PRESETS
        .map(|(r, _)| view! { <option value=r selected=range == r || (range.is_empty() && r == "1h")>{r}</option> })
        .collect_view();
    let modes =
        [("", "as its type says (counters as rates, histograms as quantiles)"), ("raw", "raw values")]
            .map(|(m, label)| view! { <option value=m selected=mode == m>{label}</option> })
            .collect_view();
    let rows = v
        .rows
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{r.instance.clone()}</td>
                    <td><code>{r.labels.clone()}</code></td>
                    <td class="num">{number(r.last)}</td>
                    <td class="num">{number(r.min)}</td>
                    <td class="num">{number(r.max)}</td>
                    <td class="num">{r.points}</td>
                </tr>
            }
        })
        .collect_view();
    let has_rows = !v.rows.is_empty();
    let label_error = v.label_error.clone();
    view! {
        <form method="get" action="/explore" class="row card" data-testid="explore-form">
            <label>"Service" <select name="service" on:change=pick_service><option value="">"pick a service"</option>{services}</select></label>
            <label>"Metric" <select name="metric"><option value="">"pick a metric"</option>{names}</select></label>
            <label class:invalid=label_error.is_some()>"Labels" <input name="labels" value=labels placeholder="route=/orders, status=200" aria-invalid=label_error.is_some().to_string()/>
                {label_error.clone().map(|e| view! { <span class="field-error" data-testid="labels-error">{e}</span> })}
            </label>
            <label>"Show" <select name="mode">{modes}</select></label>
            <label>"Range" <select name="range">{ranges}</select></label>
            <button type="submit">"Show"</button>
        </form>
        {v.chart.map(|chart| view! {
            <figure class="panel wide">
                <figcaption>{metric.clone()} " " <span class="muted">"(" {v.shown.clone()} ")"</span></figcaption>
                <Chart chart/>
            </figure>
        })}
        {v.truncated.then(|| view! { <p class="muted">"More series match than are shown; narrow the labels."</p> })}
        {has_rows.then(|| view! {
            <table class="grid" data-testid="explore-series">
                <thead><tr><th>"Instance"</th><th>"Labels"</th><th>"Last"</th><th>"Min"</th><th>"Max"</th><th>"Points"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        })}
        {(!metric.is_empty() && !has_rows && label_error.is_none()).then(|| view! { <p class="muted">"No series match in this range."</p> })}
    }
}
