//! Read-model lag: every read model against its SLO, and one read model's page — its lag
//! chart, the spread of its probes, its breaches, positions and the service's own figure.

use crate::api::lag::{list_lag, read_model_charts, read_model_lag};
use crate::components::chart::Chart;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::ticker;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::time::Duration;
use types::lag::{LagDetail, LagState, LagSummary};
use types::time::format_ms;
use types::units::Unit;
use types::{ErrorKind, Role};

fn ms(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| Unit::Seconds.format(v / 1000.0))
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{:.2} %", v * 100.0))
}

fn state_pill(s: LagState) -> impl IntoView {
    let class = match s {
        LagState::Ok => "pill ok",
        LagState::Breach => "pill bad",
        LagState::Unknown => "pill warn",
    };
    view! { <span class=class data-testid="lag-state">{s.as_str()}</span> }
}

/// The lag now: "≥ 1.2 s" while a heartbeat is on its way and older than the last probe.
fn current(s: &LagSummary) -> String {
    match (s.current_ms, s.outstanding) {
        (None, _) => "unknown".into(),
        (Some(v), true) => format!("≥ {}", ms(Some(v))),
        (Some(v), false) => ms(Some(v)),
    }
}

#[component]
pub fn LagPage() -> impl IntoView {
    let tick = ticker(Duration::from_secs(1));
    let list = Resource::new(move || tick.get(), |_| list_lag());
    view! {
        <Title text="Read-model lag"/>
        <RequireRole role=Role::Viewer>
            <h1>"Read-model lag"</h1>
            <p class="lead">"Measured by the hub with heartbeats through each read model's pipeline, one clock at both ends; figures over the last hour, the error budget over the SLO window."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No read model is configured ([[read_models]] in the config)."</p> }.into_any(),
                        Ok(l) => lag_table(l).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

fn lag_table(list: Vec<LagSummary>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|s| {
            view! {
                <tr data-read-model=s.read_model.clone()>
                    <td><a href=format!("/lag/{}", s.read_model)>{s.read_model.clone()}</a><br/>
                        <a class="muted small" href=format!("/services/{}", s.service)>{s.service.clone()}</a></td>
                    <td>{state_pill(s.state)}{s.reason.clone().map(|r| view! { <br/><span class="error-text small">{r}</span> })}</td>
                    <td class="num" data-testid="lag-current">{current(&s)}</td>
                    <td class="num">{ms(s.p50_ms)}</td>
                    <td class="num">{ms(s.p95_ms)}</td>
                    <td class="num">{ms(s.p99_ms)}</td>
                    <td class="num">{ms(Some(s.slo_ms))}</td>
                    <td class="num">{pct(s.compliance)}</td>
                    <td class="num">{pct(s.budget_left)}</td>
                    <td class="num">{s.burn_1h.map_or("–".into(), |b| format!("{b:.1}×"))} " / " {s.burn_6h.map_or("–".into(), |b| format!("{b:.1}×"))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll card flush">
            <table class="grid" data-testid="lag-list">
                <thead><tr><th>"Read model"</th><th>"State"</th><th>"Now"</th><th>"p50"</th><th>"p95"</th><th>"p99"</th>
                    <th>"SLO"</th><th>"Within SLO"</th><th>"Budget left"</th><th>"Burn 1h / 6h"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

const WINDOWS: [&str; 4] = ["5m", "1h", "24h", "28d"];

#[component]
pub fn ReadModelPage() -> impl IntoView {
    view! {
        <RequireRole role=Role::Viewer>
            <ReadModelView/>
        </RequireRole>
    }
}

#[component]
fn ReadModelView() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let name = Signal::derive(move || params.get().get("name").unwrap_or_default());
    let window = Signal::derive(move || {
        query.get().get("window").filter(|w| WINDOWS.contains(&w.as_str())).unwrap_or_else(|| "1h".into())
    });
    let log = Signal::derive(move || query.get().get("scale").as_deref() == Some("log"));
    let tick = ticker(Duration::from_secs(1));
    let detail =
        Resource::new(move || (name.get(), window.get(), tick.get()), |(n, w, _)| read_model_lag(n, w));
    let chart_tick = ticker(Duration::from_secs(5));
    let chart = Resource::new(
        move || (name.get(), window.get(), log.get(), chart_tick.get()),
        |(n, w, l, _)| read_model_charts(n, w, l),
    );
    let link = move |w: &str, l: bool| {
        format!("/lag/{}?window={w}{}", name.get(), if l { "&scale=log" } else { "" })
    };
    let windows = WINDOWS
        .map(|w| view! { <a class="preset" class:active=move || window.get() == w href=move || link(w, log.get())>{w}</a> })
        .collect_view();
    view! {
        <Title text=name/>
            <p class="crumbs"><a href="/lag">"Read-model lag"</a> " / " {name}</p>
            <h1>{name}</h1>
            <div class="picker" data-testid="lag-window">{windows} " · "
                <a href=move || link(&window.get(), !log.get()) data-testid="log-scale">{move || if log.get() { "linear scale" } else { "log scale" }}</a>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => facts_view(&d).into_any(),
                        Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/lag", "All read models").into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    chart.await.ok().map(|charts| view! {
                        <figure class="panel wide" data-testid="lag-chart"><figcaption>"Heartbeat lag (breaches and unknown periods shaded)"</figcaption><Chart chart=charts.lag/></figure>
                        {charts.positions.map(|chart| view! {
                            <figure class="panel wide" data-testid="positions-chart"><figcaption>"Stream position: messages behind"</figcaption><Chart chart/></figure>
                        })}
                    })
                })}
            </Transition>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move { detail.await.ok().map(|d| spread_view(&d)) })}
            </Transition>
    }
}

fn facts_view(d: &LagDetail) -> impl IntoView {
    let s = &d.summary;
    let facts = view! {
        <section class="card" data-testid="lag-facts">
            <dl class="facts">
                <dt>"State"</dt><dd>{state_pill(s.state)}{s.reason.clone().map(|r| view! { " " <span class="error-text">{r}</span> })}</dd>
                <dt>"Now"</dt><dd data-testid="lag-current">{current(s)}</dd>
                <dt>{format!("p50 / p95 / p99 ({})", d.window)}</dt><dd>{format!("{} / {} / {}", ms(s.p50_ms), ms(s.p95_ms), ms(s.p99_ms))}</dd>
                <dt>"SLO"</dt><dd>{format!("{} within {} ms · {} of {} probes within", pct(Some(s.objective)), s.slo_ms, pct(s.compliance), s.probes)}</dd>
                <dt>"Error budget left"</dt><dd>{pct(s.budget_left)} " · burn " {s.burn_1h.map_or("–".into(), |b| format!("{b:.1}×"))} " (1 h), " {s.burn_6h.map_or("–".into(), |b| format!("{b:.1}×"))} " (6 h)"</dd>
                <dt>"Positions"</dt><dd data-testid="lag-positions">{match (&d.positions, &d.positions_error) {
                    (_, Some(e)) => e.clone(),
                    (Some(p), None) => format!("source {} · read {} · {} behind", p.source, p.read, p.behind),
                    (None, None) => "not configured".into(),
                }}</dd>
                <dt>"The service says"</dt><dd>{d.metric_ms.map_or_else(|| "–".into(), |m| ms(Some(m)))}</dd>
                <dt>"Source · read side"</dt><dd><code>{d.source_url.clone()}</code> " · " <code>{d.read_url.clone()}</code></dd>
            </dl>
        </section>
    };
    facts
}

fn spread_view(d: &LagDetail) -> impl IntoView {
    let top = d.distribution.iter().map(|b| b.count).max().unwrap_or(0).max(1);
    #[expect(clippy::cast_precision_loss, reason = "bar widths")]
    let bars = d
        .distribution
        .iter()
        .filter(|b| b.count > 0)
        .map(|b| {
            let label = if b.le_ms >= 1e9 { "more".to_string() } else { format!("≤ {}", ms(Some(b.le_ms))) };
            let width = b.count as f64 / top as f64 * 100.0;
            view! { <div class="bar-row"><span class="bar-label">{label}</span><span class="bar" style=format!("width:{width:.1}%")></span><span class="muted small">{b.count}</span></div> }
        })
        .collect_view();
    let breaches = d
        .breaches
        .iter()
        .map(|b| {
            view! { <tr><td>{format_ms(b.start_ms)}</td><td>{b.end_ms.map_or_else(|| "ongoing".into(), format_ms)}</td><td class="num">{ms(Some(b.worst_ms))}</td></tr> }
        })
        .collect_view();
    let has_breaches = !d.breaches.is_empty();
    view! {
        <section class="card"><h2>"Probes by lag"</h2><div class="bars" data-testid="lag-distribution">{bars}</div></section>
        <section class="card"><h2>"Breaches"</h2>
            {if has_breaches {
                view! { <div class="table-scroll"><table class="grid" data-testid="lag-breaches"><thead><tr><th>"Start"</th><th>"End"</th><th>"Worst"</th></tr></thead><tbody>{breaches}</tbody></table></div> }.into_any()
            } else {
                view! { <p class="ok">"No breach in this window."</p> }.into_any()
            }}
        </section>
    }
}
