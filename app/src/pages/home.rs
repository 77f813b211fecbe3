//! Home answers "is anything wrong?": tiles with what needs a look (instances down or not
//! scraping, services failing the metric format, signals past their line, captures running),
//! the lists behind them, and a team filter kept in the URL.

use crate::api::auth::hub_status;
use crate::api::catalog::overview;
use crate::components::captures::state_view;
use crate::components::client_only::ClientOnly;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use crate::components::poll::{age, ticker};
use crate::components::signals::signal_cell;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::time::Duration;
use types::time::format_ms;
use types::{CaptureView, Overview, Role};

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home"/>
        <RequireRole role=Role::Viewer>
            <Home/>
        </RequireRole>
    }
}

#[component]
fn Home() -> impl IntoView {
    view! {
        <h1>"What needs a look"</h1>
        // Drawn once hydrated: the overview holds captures that move on between renders.
        <ClientOnly>{|| view! { <LiveOverview/> }}</ClientOnly>
        <HubFacts/>
    }
}

#[component]
fn LiveOverview() -> impl IntoView {
    let query = use_query_map();
    let team = move || query.get().get("team").filter(|t| !t.is_empty());
    let tick = ticker(Duration::from_secs(5));
    let data = Resource::new(move || (team(), tick.get()), |(team, _)| overview(team));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(o) => overview_view(o).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn tile(href: String, count: usize, label: &'static str, testid: &'static str) -> impl IntoView {
    let class = if count > 0 { "tile bad" } else { "tile ok" };
    view! {
        <a class=class href=href data-testid=testid>
            <span class="tile-count">{count}</span>
            <span class="tile-label">{label}</span>
        </a>
    }
}

/// A later capability's tile, until it exists.
fn tile_to_come(label: &'static str) -> impl IntoView {
    view! {
        <div class="tile later">
            <span class="tile-count">"–"</span>
            <span class="tile-label">{label}</span>
            <span class="muted small">"not on this hub yet"</span>
        </div>
    }
}

fn team_filter(o: &Overview) -> impl IntoView {
    let current = o.team.clone();
    let all = view! { <a href="/" class:active=current.is_none()>"all teams"</a> };
    let teams = o
        .teams
        .iter()
        .map(|t| {
            let active = current.as_deref() == Some(t.as_str());
            view! { " · " <a href=format!("/?team={}", types::url::encode(t)) class:active=active>{t.clone()}</a> }
        })
        .collect_view();
    view! { <p class="muted" data-testid="team-filter">"Team: " {all} {teams}</p> }
}

fn overview_view(o: Overview) -> impl IntoView {
    let scope = o.team.clone().map_or_else(String::new, |t| format!("?team={}", types::url::encode(&t)));
    let tiles = view! {
        <div class="tiles" data-testid="tiles">
            {tile("#trouble".into(), o.troubles.len(), "instances down or not scraping", "tile-down")}
            {tile(format!("/conformance{scope}"), o.conformance.len(), "services off the metric format", "tile-conformance")}
            {tile("#signals".into(), o.bad_signals.len(), "services with signals past their line", "tile-signals")}
            <a class="tile" href="#captures" data-testid="tile-captures">
                <span class="tile-count">{o.captures_running.len()}</span>
                <span class="tile-label">"captures running"</span>
            </a>
            {tile_to_come("firing alerts")}
            {tile("#read-models".into(), o.read_models_behind.len(), "read models behind their SLO", "tile-lag")}
            {tile_to_come("open consistency differences")}
        </div>
    };
    let summary = format!("{} services, {} instances", o.services, o.instances);
    view! {
        {team_filter(&o)}
        <p class="muted">{summary}</p>
        {tiles}
        {troubles(&o)}
        {signals(&o)}
        {conformance(&o)}
        {read_models(&o)}
        <section class="card" id="captures">
            <h2>"Captures"</h2>
            {captures_table(&o.captures_running, o.now_ms, "captures-running", "None running.")}
            <h3>"Latest"</h3>
            {captures_table(&o.captures_latest, o.now_ms, "captures-latest", "No captures yet.")}
        </section>
    }
}

/// Read models in breach or unknown, with why.
fn read_models(o: &Overview) -> impl IntoView {
    (!o.read_models_behind.is_empty()).then(|| {
        let rows = o
            .read_models_behind
            .iter()
            .map(|l| {
                let now = match (l.current_ms, l.outstanding) {
                    (None, _) => "unknown".to_string(),
                    (Some(ms), true) => format!("≥ {}", types::units::Unit::Seconds.format(ms / 1000.0)),
                    (Some(ms), false) => types::units::Unit::Seconds.format(ms / 1000.0),
                };
                view! {
                    <tr>
                        <td><a href=format!("/lag/{}", l.read_model)>{l.read_model.clone()}</a></td>
                        <td><a href=format!("/services/{}", l.service)>{l.service.clone()}</a></td>
                        <td><span class="pill bad">{l.state.as_str().to_string()}</span></td>
                        <td class="num">{now}</td>
                        <td class="num">{format!("{} ms", l.slo_ms)}</td>
                        <td class="error-text">{l.reason.clone().unwrap_or_default()}</td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <section class="card" id="read-models">
                <h2>"Read models behind their SLO"</h2>
                <div class="table-scroll">
                    <table class="grid" data-testid="read-models-behind">
                        <thead><tr><th>"Read model"</th><th>"Service"</th><th>"State"</th><th>"Lag now"</th><th>"SLO"</th><th>"Why"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </section>
        }
    })
}

fn troubles(o: &Overview) -> impl IntoView {
    let rows = o
        .troubles
        .iter()
        .map(|t| {
            view! {
                <tr>
                    <td><a href=format!("/services/{}/instances/{}", t.service, t.instance)>{format!("{}/{}", t.service, t.instance)}</a></td>
                    <td><span class="pill bad">{t.state.clone()}</span></td>
                    <td>{age(o.now_ms, t.last_scrape_ms)}</td>
                    <td class="error-text">{t.error.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    let body = if o.troubles.is_empty() {
        view! { <p class="ok">"Every instance answered its last scrape."</p> }.into_any()
    } else {
        view! {
            <div class="table-scroll">
                <table class="grid" data-testid="troubles">
                    <thead><tr><th>"Instance"</th><th>"State"</th><th>"Last scrape"</th><th>"Why"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! { <section class="card" id="trouble"><h2>"Instances down or not scraping"</h2>{body}</section> }
}

fn signals(o: &Overview) -> impl IntoView {
    let ids = ["request_rate", "error_ratio", "latency_p95", "pool_utilisation"];
    let rows = o
        .bad_signals
        .iter()
        .map(|k| {
            let cells = ids.map(|id| signal_cell(k.get(id))).collect_view();
            view! { <tr><td><a href=format!("/services/{}", k.service)>{k.service.clone()}</a></td>{cells}</tr> }
        })
        .collect_view();
    let body = if o.bad_signals.is_empty() {
        view! { <p class="ok">"No error ratio or worker pool past its line."</p> }.into_any()
    } else {
        view! {
            <div class="table-scroll">
                <table class="grid" data-testid="bad-signals">
                    <thead><tr><th>"Service"</th><th>"Requests"</th><th>"Errors"</th><th>"p95"</th><th>"Pool"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
        .into_any()
    };
    view! { <section class="card" id="signals"><h2>"Signals past their line"</h2>{body}</section> }
}

fn conformance(o: &Overview) -> impl IntoView {
    let items = o
        .conformance
        .iter()
        .map(|c| {
            view! {
                <li><a href=format!("/services/{}/conformance", c.service)>{c.service.clone()}</a>
                    {format!(": {} failing, {} warning", c.fail, c.warn)}</li>
            }
        })
        .collect_view();
    let body = if o.conformance.is_empty() {
        view! { <p class="ok">"Every service speaks the shared metric format."</p> }.into_any()
    } else {
        view! { <ul data-testid="conformance-trouble">{items}</ul> }.into_any()
    };
    view! { <section class="card"><h2>"Off the shared metric format"</h2>{body}</section> }
}

fn captures_table(
    list: &[CaptureView],
    now_ms: i64,
    testid: &'static str,
    none: &'static str,
) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="muted">{none}</p> }.into_any();
    }
    let rows = list
        .iter()
        .map(|c| {
            let at = c
                .instance
                .clone()
                .map_or_else(|| format!("{} (upload)", c.service), |i| format!("{}/{i}", c.service));
            view! {
                <tr>
                    <td><a href=format!("/captures/{}", c.id)>{format!("#{}", c.id)}</a></td>
                    <td>{at}</td>
                    <td>{c.kind.label(c.seconds)}</td>
                    <td>{state_view(c, now_ms)}</td>
                    <td>{c.requested_by.clone()}</td>
                    <td>{age(now_ms, Some(c.created_ms))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="grid" data-testid=testid>
                <thead><tr><th>"Capture"</th><th>"Of"</th><th>"Kind"</th><th>"State"</th><th>"By"</th><th>"When"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn HubFacts() -> impl IntoView {
    let status = Resource::new(|| (), |()| hub_status());
    view! {
        <section class="card">
            <h2>"This hub"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => view! {
                            <dl class="facts">
                                <dt>"Version"</dt><dd>{s.version}</dd>
                                <dt>"Store"</dt>
                                <dd>{s.store_engine} " · "
                                    <span class=if s.store_ok { "ok" } else { "bad" }>{if s.store_ok { "answering" } else { "not answering" }}</span>
                                </dd>
                                <dt>"Started"</dt><dd>{format_ms(s.started_ms)}</dd>
                                <dt>"Scripts and CI"</dt>
                                <dd>"Create a token under " <a href="/tokens">"API tokens"</a> " and send it as "
                                    <code>"Authorization: Bearer …"</code> " to " <code>"/api/v1"</code> "."</dd>
                            </dl>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
