//! Alerts: the list (firing, pending, resolved; the state in the URL), one alert's page
//! (what fired, what the failures share, example traces, the delivery log, Acknowledge and
//! Silence), and the Silences page.

use crate::api::alerts::{
    alert_chart, get_alert, list_alerts, list_silences, AckAlert, CreateSilence, EndSilence,
};
use crate::components::chart::Chart;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::{cell, keyed_row, refreshed, ticker};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::time::Duration;
use types::alerts::{AlertDetail, AlertState, AlertView, ContextRow, SilenceView};
use types::time::{format_ms, format_opt_ms};
use types::{ErrorKind, Role};

fn state_pill(a: &AlertView) -> impl IntoView {
    let class = match a.state {
        AlertState::Firing => "pill bad",
        AlertState::Pending => "pill warn",
        AlertState::Resolved => "pill ok",
    };
    view! {
        <span class=class data-testid="alert-state">{a.state.as_str()}</span>
        {a.silenced.then(|| view! { " " <span class="pill">"silenced"</span> })}
        {a.acked_by.clone().map(|by| view! { " " <span class="pill" title=format!("acknowledged by {by}")>"acknowledged"</span> })}
    }
}

/// A signal's value in its own terms: ratios as percent, latencies in seconds.
fn value(signal: &str, v: Option<f64>) -> String {
    let Some(v) = v else { return "–".into() };
    match signal {
        "error_ratio" | "pool_utilisation" => format!("{:.1} %", v * 100.0),
        "latency_p95" | "consumer_lag_seconds" => types::units::Unit::Seconds.format(v),
        "read_model_lag" => format!("{v:.1} ms"),
        _ => format!("{}", (v * 1000.0).round() / 1000.0),
    }
}

fn delay(from: i64, to: Option<i64>) -> String {
    to.map_or_else(|| "–".into(), |t| format!("{} ms", t - from))
}

#[component]
pub fn AlertsPage() -> impl IntoView {
    let query = use_query_map();
    let state = move || query.read().get("state").unwrap_or_default();
    let list = Resource::new(state, list_alerts);
    let tab = move |s: &'static str, label: &'static str| {
        let href = if s.is_empty() { "/alerts".to_string() } else { format!("/alerts?state={s}") };
        view! { <a href=href class:current=move || state() == s>{label}</a> }
    };
    view! {
        <Title text="Alerts"/>
        <RequireRole role=Role::Viewer>
            <h1>"Alerts"</h1>
            <p class="lead">"Rules on the shared metric format, evaluated on every scrape. Each alert says what its failing requests have in common against the traffic before them."
                " " <a href="/silences">"Silences"</a></p>
            <nav class="tabs">{tab("", "All")}{tab("firing", "Firing")}{tab("pending", "Pending")}{tab("resolved", "Resolved")}{tab("silenced", "Silenced")}</nav>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(first) => {
                            let shown = untrack(state);
                            let (live, refresh_error) = refreshed(first, Duration::from_secs(2), move || list_alerts(shown.clone()));
                            view! {
                                {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                                <Show when=move || live.with(|l| !l.is_empty())
                                    fallback=|| view! { <p class="muted" data-testid="no-alerts">"No alerts here. Rules are [[alerts]] in the config."</p> }>
                                    {alerts_table(live.into())}
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

/// The alerts, keyed by id: a row's links are built once and its cells follow the list.
fn alerts_table(live: Signal<Vec<AlertView>>) -> impl IntoView {
    let ids = move || live.with(|l| l.iter().map(|a| a.id).collect::<Vec<_>>());
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th>"State"</th><th>"Rule"</th><th>"Service"</th><th>"Severity"</th><th>"Value"</th><th>"What the failures share"</th><th>"Onset"</th><th>"Onset → delivered"</th></tr></thead>
                <tbody>
                    <For each=ids key=|id| *id let:id>
                        {alert_row(id, live)}
                    </For>
                </tbody>
            </table>
        </div>
    }
}

fn alert_row(id: i64, live: Signal<Vec<AlertView>>) -> impl IntoView {
    let current = keyed_row(live, move |a| a.id == id);
    let text = move |f: fn(&AlertView) -> String| cell(current, f);
    let (rule, service) = current
        .with_untracked(|a| a.as_ref().map(|a| (a.rule.clone(), a.service.clone())).unwrap_or_default());
    view! {
        <tr data-alert=id>
            <td>{move || current.with(|a| a.as_ref().map(state_pill))}</td>
            <td><a href=format!("/alerts/{id}")>{rule}</a></td>
            <td><a href=format!("/services/{service}")>{service.clone()}</a></td>
            <td>{text(|a| a.severity.clone())}</td>
            <td class="num">{text(|a| value(&a.signal, a.value))} <span class="muted small">{text(|a| format!(" {} {}", a.comparison, value(&a.signal, a.threshold)))}</span></td>
            <td data-testid="alert-context">{text(|a| a.context.first().map(ContextRow::sentence).unwrap_or_default())}</td>
            <td>{text(|a| format_ms(a.onset_ms))}</td>
            <td class="num">{text(|a| delay(a.onset_ms, a.delivered_ms))}</td>
        </tr>
    }
}

#[component]
pub fn AlertPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<i64>().ok()).unwrap_or(0);
    let ack = ServerAction::<AckAlert>::new();
    let silence = ServerAction::<CreateSilence>::new();
    let detail = Resource::new(id, get_alert);
    view! {
        <Title text="Alert"/>
        <RequireRole role=Role::Viewer>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(first) => {
                            // Refreshed every 2 s and after each action; the buttons are
                            // rebuilt only when the alert's state changes, never under a click.
                            let alert_id = first.alert.id;
                            let (live, refresh_error) = refreshed(first, Duration::from_secs(2), move || {
                                ack.version().track();
                                silence.version().track();
                                get_alert(alert_id)
                            });
                            let detail = Memo::new(move |_| live.get());
                            view! {
                                {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                                {alert_view(detail, ack, silence)}
                            }
                            .into_any()
                        }
                        Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/alerts", "All alerts").into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
            {move || ack.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
            {move || silence.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
        </RequireRole>
    }
}

fn alert_view(
    detail: Memo<AlertDetail>,
    ack: ServerAction<AckAlert>,
    silence: ServerAction<CreateSilence>,
) -> impl IntoView {
    let actions = Memo::new(move |_| {
        detail.with(|d| {
            let a = &d.alert;
            (
                a.id,
                a.state != AlertState::Resolved && a.acked_by.is_none(),
                !a.silenced,
                format!("alertname={},service={}", a.rule, a.service),
            )
        })
    });
    let buttons = move || {
        let (id, can_ack, can_silence, matchers) = actions.get();
        view! {
            {can_ack.then(|| view! {
                <button data-testid="ack" on:click=move |_| { ack.dispatch(AckAlert { id }); }>"Acknowledge"</button>
            })}
            {can_silence.then(|| view! {
                <button data-testid="silence" on:click=move |_| {
                    silence.dispatch(CreateSilence { matchers: matchers.clone(), hours: 1.0, comment: format!("from alert #{id}") });
                }>"Silence for 1 h"</button>
            })}
        }
    };
    let head = Memo::new(move |_| detail.with(|d| (d.alert.rule.clone(), d.alert.service.clone())));
    view! {
        {move || head.with(|(rule, service)| view! { <h1>{rule.clone()} " on " <a href=format!("/services/{service}")>{service.clone()}</a></h1> })}
        {move || detail.with(|d| view! { <p>{state_pill(&d.alert)} " " <span class="muted">{format!("severity {}", d.alert.severity)}</span></p> })}
        <section class="card">
            <div class="actions">{buttons}</div>
            {move || detail.with(|d| facts(&d.alert))}
        </section>
        <SignalPanel id=detail.with_untracked(|d| d.alert.id)/>
        {move || detail.with(|d| findings(&d.alert))}
        <section class="card" data-testid="alert-changes">
            <h2>"Changes in the hour before"</h2>
            {move || detail.with(|d| crate::components::changes::changes_before(&d.changes, d.alert.onset_ms))}
        </section>
        <section class="card">
            <h2>"Deliveries"</h2>
            {move || detail.with(|d| deliveries(&d.deliveries, &d.due))}
        </section>
    }
}

/// The signal around the episode, redrawn every 10 s.
#[component]
fn SignalPanel(id: i64) -> impl IntoView {
    let tick = ticker(Duration::from_secs(10));
    let chart = Resource::new(move || tick.get(), move |_| alert_chart(id));
    view! {
        <section class="card" data-testid="alert-signal">
            <h2>"Signal"</h2>
            <p class="muted small">"As the rule reads it, with its threshold; the episode is shaded."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match chart.await {
                        Ok(chart) => view! { <Chart chart/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn facts(a: &AlertView) -> impl IntoView {
    view! {
        <dl class="facts">
            <dt>"Signal"</dt><dd>{a.signal.clone()} " " {a.comparison.clone()} " " {value(&a.signal, a.threshold)}</dd>
            <dt>"Value"</dt><dd data-testid="alert-value">{value(&a.signal, a.value)}</dd>
            <dt>"Worst instance"</dt><dd>{a.worst_instance.clone().unwrap_or_else(|| "–".into())}</dd>
            <dt>"First bad sample"</dt><dd>{format_ms(a.onset_ms)}</dd>
            <dt>"Fired"</dt><dd>{format_opt_ms(a.fired_ms)} <span class="muted">{a.fired_ms.map(|f| format!(" (+{} ms)", f - a.onset_ms))}</span></dd>
            <dt>"Delivered"</dt><dd>{format_opt_ms(a.delivered_ms)} <span class="muted">{a.delivered_ms.map(|t| format!(" (+{} ms after the first bad sample)", t - a.onset_ms))}</span></dd>
            <dt>"Resolved"</dt><dd>{format_opt_ms(a.resolved_ms)}</dd>
            <dt>"Acknowledged"</dt><dd>{match (&a.acked_by, a.acked_ms) { (Some(by), Some(t)) => format!("by {by} at {}", format_ms(t)), _ => "–".into() }}</dd>
            {a.capture_id.map(|c| view! { <dt>"Capture"</dt><dd><a href=format!("/captures/{c}")>{format!("capture #{c}")}</a></dd> })}
            {a.fired_ms.map(|_| view! { <dt>"Incident"</dt><dd><a href=format!("/incidents/{}", a.id) data-testid="alert-incident">{format!("incident #{}", a.id)}</a></dd> })}
        </dl>
    }
}

/// What the failures share, and traces of some of them.
fn findings(a: &AlertView) -> impl IntoView {
    let context = if a.context.is_empty() {
        view! { <p class="muted">"Nothing stands out among the failures (or too few to tell), or the signal is not one of errors."</p> }.into_any()
    } else {
        context_table(&a.context).into_any()
    };
    let traces = a
        .traces
        .iter()
        .map(|t| view! { <li><a href=format!("/traces/{t}")><code data-testid="alert-trace">{t.clone()}</code></a></li> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"What the failures share"</h2>
            {context}
            <h3>"Example traces"</h3>
            {if a.traces.is_empty() { view! { <p class="muted">"No exemplar of a failing request was seen."</p> }.into_any() } else { view! { <ul>{traces}</ul> }.into_any() }}
        </section>
    }
}

pub(crate) fn context_table(rows: &[ContextRow]) -> impl IntoView {
    let pct = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format!("{:.0} %", v * 100.0));
    let rows = rows
        .iter()
        .map(|r| {
            view! {
                <tr data-testid="context-row">
                    <td>{r.attribute.clone()}</td>
                    <td><strong>{r.value.clone()}</strong></td>
                    <td class="num">{pct(Some(r.failing_share))}</td>
                    <td class="num">{pct(r.baseline_share)}</td>
                    <td class="num">{r.lift.map_or_else(|| "–".into(), |l| format!("{l:.1}×"))}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data" data-testid="alert-context-table">
            <thead><tr><th>"Attribute"</th><th>"Value"</th><th>"Of failures"</th><th>"Of traffic before"</th><th>"Lift"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn deliveries(log: &[types::alerts::DeliveryView], due: &[String]) -> impl IntoView {
    let rows = log
        .iter()
        .map(|d| {
            let ok = d.error.is_none();
            view! {
                <tr class:bad=!ok>
                    <td>{format_ms(d.at_ms)}</td>
                    <td>{d.receiver.clone()}</td>
                    <td>{d.kind.clone()}</td>
                    <td class="num">{d.status.map_or_else(|| "–".into(), |s| s.to_string())}</td>
                    <td class="num">{format!("{} ms", d.latency_ms)}</td>
                    <td class="small">{d.error.clone().unwrap_or_default()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        {(!due.is_empty()).then(|| view! { <p class="note">{format!("Still due (retrying): {}", due.join(", "))}</p> })}
        {if log.is_empty() {
            view! { <p class="muted">"No delivery attempted yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-wrap">
                    <table class="data" data-testid="deliveries">
                        <thead><tr><th>"At"</th><th>"Receiver"</th><th>"Notice"</th><th>"Status"</th><th>"Latency"</th><th>"Error"</th></tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}

#[component]
pub fn SilencesPage() -> impl IntoView {
    let create = ServerAction::<CreateSilence>::new();
    let end = ServerAction::<EndSilence>::new();
    let list = Resource::new(move || (create.version().get(), end.version().get()), |_| list_silences());
    view! {
        <Title text="Silences"/>
        <RequireRole role=Role::Viewer>
            <h1>"Silences"</h1>
            <p class="lead">"An alert whose labels (alertname, service, severity and the rule's own) match every matcher of a running silence still fires, and sends nothing."</p>
            <ActionForm action=create>
                <label>"Matchers " <input name="matchers" placeholder="alertname=orders-api-error-ratio,service=orders-api" required size="48"/></label>
                " " <label>"Hours " <input name="hours" type="number" value="1" min="0.1" step="0.1" required/></label>
                " " <label>"Comment " <input name="comment" placeholder="why"/></label>
                " " <button type="submit">"Silence"</button>
            </ActionForm>
            {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
            {move || end.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.is_empty() => view! { <p class="muted">"No silence is running."</p> }.into_any(),
                        Ok(l) => silences_table(l, end).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </RequireRole>
    }
}

fn silences_table(list: Vec<SilenceView>, end: ServerAction<EndSilence>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|s| {
            let id = s.id;
            let matchers: Vec<String> = s.matchers.iter().map(|(k, v)| format!("{k}={v}")).collect();
            view! {
                <tr data-silence=id>
                    <td><code>{matchers.join(", ")}</code></td>
                    <td>{format_ms(s.starts_ms)}</td>
                    <td>{format_ms(s.ends_ms)}</td>
                    <td>{s.comment.clone()}</td>
                    <td>{s.created_by.clone()}</td>
                    <td><button on:click=move |_| { end.dispatch(EndSilence { id }); }>"End"</button></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data">
            <thead><tr><th>"Matchers"</th><th>"From"</th><th>"Until"</th><th>"Comment"</th><th>"By"</th><th></th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

/// A service's firing and pending alerts, on its page (nothing when there are none).
#[component]
pub fn ServiceAlerts(service: Signal<String>) -> impl IntoView {
    let list = Resource::new(|| (), |_| list_alerts(String::new()));
    let open_of = move |all: Vec<AlertView>| -> Vec<AlertView> {
        all.into_iter()
            .filter(|a| a.service == service.get_untracked() && a.state != AlertState::Resolved)
            .collect()
    };
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let first = list.await.unwrap_or_default();
                let (live, _) = refreshed(first, Duration::from_secs(3), || list_alerts(String::new()));
                let open = Memo::new(move |_| open_of(live.get()));
                view! {
                    <Show when=move || open.with(|o| !o.is_empty())>
                        <section class="card" data-testid="service-alerts">
                            <h2>"Alerts"</h2>
                            {alerts_table(open.into())}
                        </section>
                    </Show>
                }
            })}
        </Transition>
    }
}
