//! Read-model lag: every read model against its SLO, and one read model's page — its lag
//! chart, the spread of its probes, its breaches, positions and the service's own figure.

use crate::api::lag::{list_lag, read_model_charts, read_model_lag};
use crate::components::chart::Chart;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::{cell, keyed_row, refreshed, ticker};
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

/// Three lags with their unit once when they share it: "3.6 / 8.5 / 12 ms".
fn three(a: Option<f64>, b: Option<f64>, c: Option<f64>) -> String {
    let (a, b, c) = (ms(a), ms(b), ms(c));
    let unit = |v: &str| v.rsplit_once(' ').map(|(_, u)| u.to_string());
    match (unit(&a), unit(&b), unit(&c)) {
        (Some(x), Some(y), Some(z)) if x == y && y == z => {
            let bare = |v: &str| v.rsplit_once(' ').map_or(v.to_string(), |(n, _)| n.to_string());
            format!("{} / {} / {c}", bare(&a), bare(&b))
        }
        _ => format!("{a} / {b} / {c}"),
    }
}

fn pct(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |v| format!("{:.2} %", v * 100.0))
}

fn state_class(s: LagState) -> &'static str {
    match s {
        LagState::Ok => "pill ok",
        LagState::Breach => "pill bad",
        LagState::Unknown => "pill warn",
    }
}

fn state_pill(s: LagState) -> impl IntoView {
    let class = state_class(s);
    // Owned text: rebuilt in place on each refresh, a `&'static str` child kept its first
    // value while the class moved on ("breach" in a green pill).
    view! { <span class=class data-testid="lag-state">{s.as_str().to_string()}</span> }
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
    let list = Resource::new(|| (), |()| list_lag());
    view! {
        <Title text="Read-model lag"/>
        <RequireRole role=Role::Viewer>
            <h1>"Read-model lag"</h1>
            <p class="lead">"Measured by the hub with heartbeats through each read model's pipeline, one clock at both ends: percentiles over the last 5 minutes, hour and day; compliance over the last hour; the error budget over each read model's SLO window."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(first) => {
                            let (live, refresh_error) = refreshed(first, Duration::from_secs(1), list_lag);
                            view! {
                                {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                                <Show when=move || live.with(|l| !l.is_empty())
                                    fallback=|| view! { <p class="muted">"No read model is configured ([[read_models]] in the config)."</p> }>
                                    {lag_table(live.into())}
                                </Show>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

fn step(step_ms: i64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a chart's step")]
    let seconds = step_ms as f64 / 1000.0;
    Unit::Seconds.format(seconds)
}

/// "p50 / p95 / p99" of one window, in one cell.
fn percentiles(s: &LagSummary, window: &str) -> String {
    s.windows.iter().find(|w| w.window == window).map_or_else(
        || "–".into(),
        |w| {
            if w.probes == 0 {
                "–".into()
            } else {
                three(w.p50_ms, w.p95_ms, w.p99_ms)
            }
        },
    )
}

fn burn(v: Option<f64>) -> String {
    v.map_or_else(|| "–".into(), |b| format!("{b:.1}×"))
}

/// The read models, keyed by name: a row's links are built once and its cells follow the
/// list every second (a row rebuilt under the pointer would lose the click).
fn lag_table(live: Signal<Vec<LagSummary>>) -> impl IntoView {
    let names = move || live.with(|l| l.iter().map(|s| s.read_model.clone()).collect::<Vec<_>>());
    view! {
        <div class="table-scroll card flush">
            <table class="grid lag-list" data-testid="lag-list">
                <thead><tr><th>"Read model"</th><th>"State"</th><th>"Now"</th>
                    <th title="p50 / p95 / p99 over the last 5 minutes">"5 min p50 / p95 / p99"</th>
                    <th title="p50 / p95 / p99 over the last hour">"1 h"</th>
                    <th title="p50 / p95 / p99 over the last day">"24 h"</th>
                    <th>"SLO"</th><th title="Share of the last hour's probes within the SLO">"Within SLO (1 h)"</th>
                    <th title="Error budget left over the SLO window">"Budget left"</th><th>"Burn 1 h / 6 h"</th></tr></thead>
                <tbody>
                    <For each=names key=|name| name.clone() let:name>
                        {lag_row(name, live)}
                    </For>
                </tbody>
            </table>
        </div>
    }
}

fn lag_row(name: String, live: Signal<Vec<LagSummary>>) -> impl IntoView {
    let key = name.clone();
    let current_row = keyed_row(live, move |s| s.read_model == key);
    let text = move |f: fn(&LagSummary) -> String| cell(current_row, f);
    let service = current_row.with_untracked(|s| s.as_ref().map(|s| s.service.clone()).unwrap_or_default());
    let state = move || current_row.with(|s| s.as_ref().map_or(LagState::Unknown, |s| s.state));
    let over =
        move || current_row.with(|s| s.as_ref().is_some_and(|s| s.current_ms.is_some_and(|c| c > s.slo_ms)));
    let reason = move || current_row.with(|s| s.as_ref().and_then(|s| s.reason.clone()));
    view! {
        <tr data-read-model=name.clone()>
            <td><a href=format!("/lag/{name}")>{name.clone()}</a><br/>
                <a class="muted small" href=format!("/services/{service}")>{service.clone()}</a></td>
            <td><span class=move || state_class(state()) data-testid="lag-state">{move || state().as_str().to_string()}</span>
                {move || reason().map(|r| view! { <br/><span class="error-text small">{r}</span> })}</td>
            <td class="num" class:bad=over data-testid="lag-current">{text(current)}</td>
            <td class="num">{text(|s| percentiles(s, "5m"))}</td>
            <td class="num">{text(|s| percentiles(s, "1h"))}</td>
            <td class="num">{text(|s| percentiles(s, "24h"))}</td>
            <td class="num">{text(|s| ms(Some(s.slo_ms)))}</td>
            <td class="num">{text(|s| pct(s.compliance))}</td>
            <td class="num">{text(|s| pct(s.budget_left))}</td>
            <td class="num">{text(|s| format!("{} / {}", burn(s.burn_1h), burn(s.burn_6h)))}</td>
        </tr>
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
                        <figure class="panel wide" data-testid="lag-chart"><figcaption>{format!("Heartbeat lag: p50, p95, p99 per {} (band p50–p99); breaches and unknown periods shaded", step(charts.step_ms))}</figcaption><Chart chart=charts.lag/></figure>
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
                <dt>{format!("p50 / p95 / p99 ({})", d.window)}</dt><dd>{three(s.p50_ms, s.p95_ms, s.p99_ms)}</dd>
                <dt>"SLO"</dt><dd>{format!("{} within {} ms · {} of {} probes within", pct(Some(s.objective)), s.slo_ms, pct(s.compliance), s.probes)}</dd>
                <dt>"Error budget left"</dt><dd>{pct(s.budget_left)} " · burn " {s.burn_1h.map_or("–".into(), |b| format!("{b:.1}×"))} " (1 h), " {s.burn_6h.map_or("–".into(), |b| format!("{b:.1}×"))} " (6 h)"</dd>
                <dt>"Positions"</dt><dd data-testid="lag-positions">{match (&d.positions, &d.positions_error) {
                    (_, Some(e)) => e.clone(),
                    (Some(p), None) => format!("source {} · read {} · {} behind", p.source, p.read, p.behind),
                    (None, None) => "not configured".into(),
                }}</dd>
                <dt>"The service says"</dt><dd>{d.metric_ms.map_or_else(|| "–".into(), |m| ms(Some(m)))}</dd>
                <dt>"Unknown"</dt><dd data-testid="lag-unknown">{unknown(d)}</dd>
                <dt>"Probe cost"</dt><dd>{format!("{} queries to the source, {} to the read side since the hub started", d.queries.source, d.queries.read)}</dd>
                <dt>"Source · read side"</dt><dd><code>{d.source_url.clone()}</code> " · " <code>{d.read_url.clone()}</code></dd>
            </dl>
        </section>
    };
    facts
}

/// Time in the window the lag could not be measured (not counted for or against the SLO).
fn unknown(d: &LagDetail) -> String {
    if d.unknown_ms == 0 {
        format!("never in {}", d.window)
    } else {
        #[expect(clippy::cast_precision_loss, reason = "ms of a window")]
        let seconds = d.unknown_ms as f64 / 1000.0;
        format!("{} in {} (not counted for or against the SLO)", Unit::Seconds.format(seconds), d.window)
    }
}

/// How long a breach lasted (so far).
fn lasted(b: &types::lag::LagBreach, now_ms: i64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "ms of a breach")]
    let seconds = (b.end_ms.unwrap_or(now_ms) - b.start_ms).max(0) as f64 / 1000.0;
    Unit::Seconds.format(seconds)
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
            view! { <tr><td>{format_ms(b.start_ms)}</td><td>{b.end_ms.map_or_else(|| "ongoing".into(), format_ms)}</td>
                <td class="num">{lasted(b, d.now_ms)}</td><td class="num">{ms(Some(b.worst_ms))}</td></tr> }
        })
        .collect_view();
    let has_breaches = !d.breaches.is_empty();
    view! {
        <section class="card"><h2>"Probes by lag"</h2><div class="bars" data-testid="lag-distribution">{bars}</div></section>
        <section class="card"><h2>"Breaches"</h2>
            {if has_breaches {
                view! { <div class="table-scroll"><table class="grid" data-testid="lag-breaches"><thead><tr><th>"Start"</th><th>"End"</th><th>"Lasted"</th><th>"Worst lag"</th></tr></thead><tbody>{breaches}</tbody></table></div> }.into_any()
            } else {
                view! { <p class="ok">"No breach in this window."</p> }.into_any()
            }}
        </section>
    }
}

/// The read models a service projects, on the service's page.
#[component]
pub fn ServiceReadModels(service: Signal<String>) -> impl IntoView {
    let mine = Resource::new(
        move || service.get(),
        |name| async move {
            list_lag().await.map(|list| list.into_iter().filter(|l| l.service == name).collect::<Vec<_>>())
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                mine.await.ok().filter(|l| !l.is_empty()).map(|list| view! {
                    <section id="read-models" data-testid="service-read-models">
                        <h2>"Read models it projects"</h2>
                        {lag_table(Signal::stored(list))}
                    </section>
                })
            })}
        </Transition>
    }
}
