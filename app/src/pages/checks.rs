//! Consistency checks: every check with its last run and open differences; a check's page
//! with Run now, the real-time verifier's live list, the trend across runs and its runs.

use crate::api::checks::{
    check_runs, check_trend, check_verifier, list_checks, DefineCheck, DeleteCheck, StartCheckRun,
};
use crate::components::chart::Chart;
use crate::components::client_only::ClientOnly;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::{cell, keyed_row, refreshed};
use crate::MeResource;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map};
use std::collections::BTreeMap;
use std::time::Duration;
use types::checks::{
    CheckSummary, DiffCounts, DifferenceView, RunMode, RunState, RunView, Suspect, VerifierView,
};
use types::time::{format_ms, format_opt_ms};
use types::{ErrorKind, Role};

pub fn state_pill(s: RunState) -> impl IntoView {
    let class = match s {
        RunState::Done => "pill ok",
        RunState::Failed => "pill bad",
        RunState::Running | RunState::Queued => "pill warn",
        RunState::Cancelled => "pill",
    };
    // Owned text: in a view rebuilt in place a `&'static str` child keeps its first text.
    view! { <span class=class data-testid="run-state">{s.as_str().to_string()}</span> }
}

/// The verifier's rolling run, which never ends while the verifier runs.
pub fn live_pill() -> impl IntoView {
    view! { <span class="pill ok" data-testid="run-state">"live"</span> }
}

pub fn counts(c: DiffCounts) -> String {
    format!("{} missing · {} extra · {} changed", c.missing, c.extra, c.changed)
}

pub fn key_text(key: &BTreeMap<String, Option<String>>) -> String {
    key.iter().map(|(k, v)| format!("{k}={}", v.as_deref().unwrap_or("NULL"))).collect::<Vec<_>>().join(", ")
}

/// Queues a run and opens its report.
#[component]
fn RunButton(name: String, mode: RunMode, label: &'static str) -> impl IntoView {
    let start = ServerAction::<StartCheckRun>::new();
    let navigate = use_navigate();
    let check = name.clone();
    Effect::new(move |_| {
        if let Some(Ok(id)) = start.value().get() {
            navigate(&format!("/checks/{check}/runs/{id}"), Default::default());
        }
    });
    view! {
        <button type="button" data-testid=format!("run-{}", mode.as_str()) disabled=move || start.pending().get()
            on:click=move |_| { start.dispatch(StartCheckRun { name: name.clone(), mode }); }>{label}</button>
        {move || start.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
    }
}

#[component]
pub fn ChecksPage() -> impl IntoView {
    let define = ServerAction::<DefineCheck>::new();
    let delete = ServerAction::<DeleteCheck>::new();
    let first = Resource::new(|| (), |()| list_checks());
    let me = expect_context::<MeResource>();
    let lead = Signal::derive(move || {
        me.get().and_then(Result::ok).flatten().is_some_and(|m| m.role.allows(Role::Lead))
    });
    view! {
        <Title text="Consistency checks"/>
        <RequireRole role=Role::Viewer>
            <h1>"Consistency checks"</h1>
            <p class="lead">"Each check compares a source of truth with its read model: the residual batch compares whole tables by checksums the databases compute; the real-time verifier follows recent changes and waits out the read model's lag before it reports a difference."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(l) => {
                            // Every 5 s and after a check is defined or deleted, in place: a
                            // row's Run now keeps its state (and its error) across refreshes.
                            let (live, refresh_error) = refreshed(l, Duration::from_secs(5), move || {
                                define.version().track();
                                delete.version().track();
                                list_checks()
                            });
                            view! {
                                {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                                <Show when=move || !live.with(Vec::is_empty)
                                    fallback=|| view! { <p class="muted">"No check is configured ([[checks]] in the config)."</p> }>
                                    {checks_table(live, delete, lead)}
                                </Show>
                            }
                            .into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
            {move || delete.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
            <Show when=move || lead.get()>
                <NewCheck define/>
            </Show>
        </RequireRole>
    }
}

/// A lead defines a check in TOML, as the config file would hold it.
#[component]
fn NewCheck(define: ServerAction<DefineCheck>) -> impl IntoView {
    const TEMPLATE: &str = "[[checks]]\nname = \"\"\nsource = { connection = \"\", table = \"\" }\ntarget = { connection = \"\", table = \"\" }\nkey = [\"id\"]\n";
    view! {
        <section class="card">
            <h2>"New check"</h2>
            <p class="muted">"One " <code>"[[checks]]"</code> " table, as in the config file (see README): its connections and read model must be in the config. It is checked before it is kept."</p>
            <ActionForm action=define>
                <textarea name="toml" rows="9" cols="80" data-testid="new-check" spellcheck="false">{TEMPLATE}</textarea>
                <p><button type="submit" disabled=move || define.pending().get()>"Create check"</button></p>
            </ActionForm>
            {move || define.value().get().map(|r| match r {
                Ok(name) => view! { <p class="note ok" role="status">{format!("Check {name} created.")} " " <a href=format!("/checks/{name}")>"Open it"</a></p> }.into_any(),
                Err(error) => view! { <ErrorNote error/> }.into_any(),
            })}
        </section>
    }
}

/// The checks, keyed by name: a row's buttons are built once and its cells follow the list.
fn checks_table(
    live: ReadSignal<Vec<CheckSummary>>,
    delete: ServerAction<DeleteCheck>,
    lead: Signal<bool>,
) -> impl IntoView {
    let names = move || live.with(|l| l.iter().map(|c| c.name.clone()).collect::<Vec<_>>());
    view! {
        <div class="table-scroll card flush">
            <table class="grid" data-testid="checks">
                <thead><tr><th>"Check"</th><th>"Source → read model"</th><th>"Last run"</th><th>"Open differences"</th><th>"Schedule"</th><th></th></tr></thead>
                <tbody>
                    <For each=names key=String::clone let:name>
                        {check_row(name, live, delete, lead)}
                    </For>
                </tbody>
            </table>
        </div>
    }
}

fn check_row(
    name: String,
    live: ReadSignal<Vec<CheckSummary>>,
    delete: ServerAction<DeleteCheck>,
    lead: Signal<bool>,
) -> impl IntoView {
    let key = name.clone();
    let current = keyed_row(live.into(), move |c| c.name == key);
    let text = move |f: fn(&CheckSummary) -> String| cell(current, f);
    let last_run = move || {
        current.with(|c| {
            let c = c.as_ref()?;
            let r = c.last_run.clone()?;
            Some(view! {
                <a href=format!("/checks/{}/runs/{}", c.name, r.id)>{state_pill(r.state)}</a>
                " " <span class="small muted">{format_opt_ms(r.finished_ms.or(Some(r.created_ms)))}</span><br/>
                <span class="small">{counts(r.counts)}</span>
            })
        })
    };
    let open = Memo::new(move |_| current.with(|c| c.as_ref().map_or(0, |c| c.open_differences)));
    let defined_by = Memo::new(move |_| current.with(|c| c.as_ref().and_then(|c| c.defined_by.clone())));
    let delete_button = {
        let name = name.clone();
        move || {
            let name = name.clone();
            (defined_by.get().is_some() && lead.get()).then(|| view! {
                <button class="danger" on:click=move |_| {
                    if window().confirm_with_message(&format!("Delete check {name}? Its runs and differences stay.")).unwrap_or(false) {
                        delete.dispatch(DeleteCheck { name: name.clone() });
                    }
                }>"Delete"</button>
            })
        }
    };
    view! {
        <tr data-check=name.clone()>
            <td><a href=format!("/checks/{name}")>{name.clone()}</a></td>
            <td class="small">{text(|c| format!("{} → {}", c.source, c.target))}</td>
            <td>{last_run}</td>
            <td class="num" class:bad=move || { open.get() > 0 } data-testid="open-differences">{move || open.get()}</td>
            <td class="small">{text(|c| c.schedule.clone().map(|s| format!("{s} (UTC) · next {}", format_opt_ms(c.next_run_ms))).unwrap_or_default())}
                {move || defined_by.get().map(|by| view! { <br/><span class="muted">{format!("defined in the UI by {by}")}</span> })}</td>
            <td><RunButton name=name.clone() mode=RunMode::Residual label="Run now"/>{delete_button}</td>
        </tr>
    }
}

#[component]
pub fn CheckPage() -> impl IntoView {
    let params = use_params_map();
    let name = Signal::derive(move || params.get().get("name").unwrap_or_default());
    view! {
        <Title text=name/>
        <RequireRole role=Role::Viewer>
            <p class="crumbs"><a href="/checks">"Consistency checks"</a> " / " {name}</p>
            <h1>{name}</h1>
            <ClientOnly>{move || view! { <Check name=name.get()/> }}</ClientOnly>
        </RequireRole>
    }
}

#[component]
fn Check(name: String) -> impl IntoView {
    let n = name.clone();
    let runs = Resource::new(|| (), move |()| check_runs(n.clone()));
    let n = name.clone();
    let verifier = Resource::new(|| (), move |()| check_verifier(n.clone()));
    let n = name.clone();
    let trend = Resource::new(|| (), move |()| check_trend(n.clone()));
    let check = name.clone();
    let verifier_check = name.clone();
    // Runs and the verifier's lists follow every 2 s in place: a run's link is never rebuilt
    // under a click.
    let every = Duration::from_secs(2);
    view! {
        <section class="card row">
            <RunButton name=name.clone() mode=RunMode::Residual label="Run residual batch"/>
            <RunButton name=name.clone() mode=RunMode::Recent label="Check recent changes"/>
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let check = check.clone();
                Suspend::new(async move {
                    match runs.await {
                        Ok(list) => {
                            let n = check.clone();
                            let (live, refresh_error) = refreshed(list, every, move || check_runs(n.clone()));
                            // The trend again once another residual run has finished.
                            let finished = move || {
                                live.with(|l| l.iter().filter(|r| r.mode == RunMode::Residual && r.state.ended()).count())
                            };
                            Effect::new(move |before: Option<usize>| {
                                let now = finished();
                                if before.is_some_and(|b| b != now) {
                                    trend.refetch();
                                }
                                now
                            });
                            view! {
                                {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                                {runs_table(&check, live)}
                            }
                            .into_any()
                        }
                        Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/checks", "All checks").into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })
            }}
        </Transition>
        <Transition fallback=|| ()>
            {move || {
                let check = verifier_check.clone();
                Suspend::new(async move {
                    verifier.await.ok().map(|v| {
                        let n = check.clone();
                        let (live, _) = refreshed(v, every, move || check_verifier(n.clone()));
                        verifier_view(check.clone(), live)
                    })
                })
            }}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                trend.await.ok().map(|(differences, durations)| view! {
                    <section class="card"><h2>"Trend of residual runs"</h2>
                        <div class="panels">
                            <figure class="panel" data-testid="trend-differences"><figcaption>"Differences per run"</figcaption><Chart chart=differences/></figure>
                            <figure class="panel"><figcaption>"Duration"</figcaption><Chart chart=durations/></figure>
                        </div>
                    </section>
                })
            })}
        </Transition>
    }
}

/// A check's runs, keyed by id: a row's link is built once and its cells follow the list.
fn runs_table(check: &str, live: ReadSignal<Vec<RunView>>) -> impl IntoView {
    let ids = move || live.with(|l| l.iter().map(|r| r.id).collect::<Vec<_>>());
    let check = check.to_string();
    view! {
        <section class="card">
            <h2>"Runs"</h2>
            <div class="table-scroll">
                <table class="grid" data-testid="runs">
                    <thead><tr><th>"Run"</th><th>"Mode"</th><th>"State"</th><th>"Asked"</th><th>"Progress"</th><th>"Rows"</th><th>"Found"</th><th>"Took"</th><th>"Signed off"</th></tr></thead>
                    <tbody>
                        <For each=ids key=|id| *id let:id>
                            {run_row(&check, id, live)}
                        </For>
                    </tbody>
                </table>
            </div>
        </section>
    }
}

fn run_row(check: &str, id: i64, live: ReadSignal<Vec<RunView>>) -> impl IntoView {
    let current = keyed_row(live.into(), move |r| r.id == id);
    let Some(r) = current.get_untracked() else { return ().into_any() };
    // The verifier's rolling run: no progress or duration, it goes on with the verifier.
    let verifier = r.mode == RunMode::Verifier;
    let text = move |f: fn(&RunView) -> String| cell(current, f);
    let ongoing = move |f: fn(&RunView) -> String| move || if verifier { String::new() } else { text(f)() };
    let state = move || current.with(|r| r.as_ref().map(|r| r.state));
    view! {
        <tr>
            <td><a href=format!("/checks/{check}/runs/{id}")>{format!("#{id}")}</a></td>
            <td>{if verifier { "verifier (live)".to_string() } else { r.mode.as_str().to_string() }}</td>
            <td>{move || if verifier { live_pill().into_any() } else { state().map(state_pill).into_any() }}</td>
            <td>{format_ms(r.created_ms)}<br/><span class="small muted">{r.requested_by.clone()}</span></td>
            <td class="num">{ongoing(|r| format!("{:.0} %", r.progress * 100.0))}</td>
            <td class="num">{ongoing(|r| r.rows_compared.to_string())}</td>
            <td class="small">{text(|r| counts(r.counts))}</td>
            <td class="num">{ongoing(|r| r.duration_ms.map(|d| format!("{:.1} s", d as f64 / 1000.0)).unwrap_or_default())}</td>
            <td class="small">{text(|r| r.signed_off_by.clone().map(|by| format!("by {by}, {} open", r.signed_off_open.unwrap_or(0))).unwrap_or_default())}</td>
        </tr>
    }
    .into_any()
}

fn suspect_row(s: Suspect) -> impl IntoView {
    view! {
        <tr>
            <td>{key_text(&s.key)}</td><td>{s.kind}</td><td>{s.columns.join(", ")}</td>
            <td>{format_ms(s.first_seen_ms)}</td>
            <td>{s.during_lag.then(|| view! { <span class="pill warn">"during lag"</span> })}</td>
        </tr>
    }
}

fn confirmed_row(d: DifferenceView) -> impl IntoView {
    let values = d
        .columns
        .iter()
        .map(|c| {
            let side = |s: &Option<BTreeMap<String, Option<String>>>| {
                s.as_ref().and_then(|m| m.get(c).cloned().flatten()).unwrap_or_else(|| "NULL".into())
            };
            format!("{c}: {} → {}", side(&d.source), side(&d.target))
        })
        .collect::<Vec<_>>()
        .join("; ");
    view! {
        <tr><td>{key_text(&d.key)}</td><td>{d.kind.clone()}</td><td class="small">{values}</td><td>{format_ms(d.first_seen_ms)}</td><td>{d.state.as_str().to_string()}</td></tr>
    }
}

/// The verifier's suspects and confirmed differences; each list is rebuilt only when it
/// changes, the link to its run only when the run does.
fn verifier_view(check: String, live: ReadSignal<VerifierView>) -> impl IntoView {
    let run = Memo::new(move |_| live.with(|v| v.run_id));
    let suspects = Memo::new(move |_| live.with(|v| v.suspects.clone()));
    let confirmed =
        Memo::new(move |_| live.with(|v| v.confirmed.iter().rev().take(50).cloned().collect::<Vec<_>>()));
    move || {
        match run.get() {
        None => view! { <section class="card"><h2>"Real-time verifier"</h2><p class="muted">"Not running for this check (it needs `recent` in its config)."</p></section> }.into_any(),
        Some(run) => view! {
            <section class="card" data-testid="verifier">
                <h2>"Real-time verifier"</h2>
                <p class="muted">"Follows the source's changes; a difference is suspected at first, and confirmed once it has outlived the read model's lag. "
                    <a href=format!("/checks/{check}/runs/{run}")>"Review what it confirmed"</a></p>
                <h3>"Suspected"</h3>
                <div class="table-scroll"><table class="grid" data-testid="suspects"><thead><tr><th>"Key"</th><th>"Kind"</th><th>"Columns"</th><th>"Seen"</th><th></th></tr></thead>
                    <tbody>{move || suspects.get().into_iter().map(suspect_row).collect_view()}</tbody></table></div>
                <h3>"Confirmed"</h3>
                <div class="table-scroll"><table class="grid" data-testid="confirmed"><thead><tr><th>"Key"</th><th>"Kind"</th><th>"Source → read model"</th><th>"Found"</th><th>"Review"</th></tr></thead>
                    <tbody>{move || confirmed.get().into_iter().map(confirmed_row).collect_view()}</tbody></table></div>
            </section>
        }
        .into_any(),
    }
    }
}
