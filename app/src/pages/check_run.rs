//! A run's report: progress while it runs, then its differences — filtered by the URL — with
//! the review a team lead does on each (acknowledge, assign, comment, resolve), the sign-off,
//! the CSV and the suggested repair SQL.

use super::checks::{counts, key_text, live_pill, state_pill};
use crate::api::checks::{
    check_run, difference_history, run_differences, CancelCheckRun, ReviewDifference, SignOffRun,
};
use crate::components::client_only::ClientOnly;
use crate::components::errors::{not_found, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::refreshed_while;
use crate::MeResource;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use std::time::Duration;
use types::checks::{DiffCounts, DifferenceView, RunMode, RunState, RunView};
use types::time::{format_ms, format_opt_ms};
use types::{ErrorKind, Role};

#[component]
pub fn CheckRunPage() -> impl IntoView {
    let params = use_params_map();
    let name = move || params.get().get("name").unwrap_or_default();
    let id = move || params.get().get("id").and_then(|i| i.parse::<i64>().ok()).unwrap_or(0);
    view! {
        <Title text=move || format!("{} run #{}", name(), id())/>
        <RequireRole role=Role::Viewer>
            <p class="crumbs"><a href="/checks">"Consistency checks"</a> " / " <a href=move || format!("/checks/{}", name())>{name}</a> " / " {move || format!("run #{}", id())}</p>
            <ClientOnly>{move || view! { <Report name=name() id=id()/> }}</ClientOnly>
        </RequireRole>
    }
}

#[component]
fn Report(name: String, id: i64) -> impl IntoView {
    let review = ServerAction::<ReviewDifference>::new();
    let sign = ServerAction::<SignOffRun>::new();
    let cancel = ServerAction::<CancelCheckRun>::new();
    let n = name.clone();
    let first = Resource::new(|| (), move |()| check_run(n.clone(), id));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let name = name.clone();
                Suspend::new(async move {
                    match first.await {
                        Ok(r) => {
                            // The verifier's rolling run never ends: its differences are a
                            // live list, read again when it has confirmed more.
                            let verifier = r.mode == RunMode::Verifier;
                            // Every second while the run goes on, and after a sign-off or a
                            // cancel; the page's parts follow it in place, so a button is never
                            // rebuilt under a click.
                            let n = name.clone();
                            let (live, refresh_error) = refreshed_while(
                                r,
                                Duration::from_secs(1),
                                move || {
                                    sign.version().track();
                                    cancel.version().track();
                                    check_run(n.clone(), id)
                                },
                                |r| !r.state.ended(),
                            );
                            let ended = Memo::new(move |_| live.with(|r| r.state.ended()));
                            let found = Memo::new(move |_| live.with(|r| r.counts));
                            view! {
                                {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                                {run_facts(&name, live, sign, cancel)}
                                <Show when=move || verifier || ended.get()>
                                    <Differences name=name.clone() id review found/>
                                </Show>
                            }
                            .into_any()
                        }
                        Err(error) if error.kind == ErrorKind::NotFound => not_found(&error, "/checks", "All checks").into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })
            }}
        </Transition>
        {move || sign.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
        {move || cancel.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
        {move || review.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
    }
}

/// What the run is (built once) and where it stands (following the polls).
fn run_facts(
    name: &str,
    live: ReadSignal<RunView>,
    sign: ServerAction<SignOffRun>,
    cancel: ServerAction<CancelCheckRun>,
) -> impl IntoView {
    let r = live.get_untracked();
    if r.mode == RunMode::Verifier {
        return verifier_facts(name, &r, live).into_any();
    }
    let (n1, n2, id) = (name.to_string(), name.to_string(), r.id);
    let progress = move || {
        live.with(|r| {
            let eta = r.eta_ms.map(|ms| format!(" · about {} s left", ms / 1000)).unwrap_or_default();
            let rate = r.rows_per_s.map(|v| format!(" · {v:.0} rows/s")).unwrap_or_default();
            format!(
                "{} of {} chunks · {} rows compared{rate}{eta}",
                r.chunks_done, r.chunks_total, r.rows_compared
            )
        })
    };
    let signed = move || {
        live.with(|r| match &r.signed_off_by {
            Some(by) => format!(
                "Reviewed by {by} at {}, {} open.",
                format_opt_ms(r.signed_off_ms),
                r.signed_off_open.unwrap_or(0)
            ),
            None => "not yet".into(),
        })
    };
    let running = move || live.with(|r| !r.state.ended());
    let done = move || live.with(|r| r.state == RunState::Done);
    view! {
        <h1>{format!("{name}: run #{id}")} " " {move || state_pill(live.with(|r| r.state))}</h1>
        <section class="card" data-testid="run-facts">
            <dl class="facts">
                <dt>"Mode"</dt><dd>{r.mode.as_str().to_string()} " · asked by " {r.requested_by.clone()} " at " {format_ms(r.created_ms)}</dd>
                <dt>"Progress"</dt><dd data-testid="run-progress"><progress max="1" prop:value=move || live.with(|r| r.progress)></progress> " " {progress}</dd>
                <dt>"Found"</dt><dd data-testid="run-counts">{move || live.with(|r| counts(r.counts))}</dd>
                <dt>"Took"</dt><dd>{move || live.with(|r| r.duration_ms.map_or_else(|| "–".into(), |d| format!("{:.1} s", d as f64 / 1000.0)))}</dd>
                {move || live.with(|r| r.error.clone()).map(|e| view! { <dt>"Error"</dt><dd class="error-text" data-testid="run-error">{e}</dd> })}
                <dt>"Sign-off"</dt><dd data-testid="signed-off">{signed}</dd>
            </dl>
            <p class="row">
                <Show when=running>
                    <button class="danger" disabled=move || cancel.pending().get()
                        on:click={let n = n1.clone(); move |_| { cancel.dispatch(CancelCheckRun { name: n.clone(), id }); }}>"Cancel"</button>
                </Show>
                <Show when=done>
                    <button data-testid="sign-off" disabled=move || sign.pending().get()
                        on:click={let n = n2.clone(); move |_| { sign.dispatch(SignOffRun { name: n.clone(), id }); }}>"Sign off this run"</button>
                    {downloads(&n2, id)}
                </Show>
            </p>
        </section>
    }
    .into_any()
}

/// The real-time verifier's rolling run: no chunks to count down and nothing to cancel or
/// sign off — what it has confirmed so far, to review as it comes.
fn verifier_facts(name: &str, r: &RunView, live: ReadSignal<RunView>) -> impl IntoView {
    view! {
        <h1>{format!("{name}: run #{}", r.id)} " " {live_pill()}</h1>
        <section class="card" data-testid="run-facts">
            <dl class="facts">
                <dt>"Mode"</dt><dd>"real-time verifier · following the source's changes since " {format_ms(r.created_ms)}</dd>
                <dt>"Confirmed"</dt><dd data-testid="run-counts">{move || live.with(|r| counts(r.counts))}</dd>
            </dl>
            <p class="muted">"The verifier adds each difference that outlives the read model's lag here as it confirms it; the list goes on as long as the verifier runs, so there is no end to sign off. "
                <a href=format!("/checks/{name}")>"Its suspects are on the check's page."</a></p>
            <p class="row">{downloads(name, r.id)}</p>
        </section>
    }
}

fn downloads(name: &str, id: i64) -> impl IntoView {
    view! {
        <a class="button-link" href=format!("/api/v1/checks/{name}/runs/{id}/differences?format=csv") download>"Export CSV"</a>
        <a class="button-link" href=format!("/api/v1/checks/{name}/runs/{id}/repair.sql") target="_blank">"Suggested repair SQL"</a>
    }
}

/// The filters of the report's URL.
fn filters() -> [(&'static str, Option<String>); 4] {
    let q = use_query_map().get();
    ["kind", "state", "assignee", "column"].map(|k| (k, q.get(k).filter(|v| !v.is_empty())))
}

#[component]
fn Differences(
    name: String,
    id: i64,
    review: ServerAction<ReviewDifference>,
    /// Read again when these change (the verifier's live run finds more).
    found: Memo<DiffCounts>,
) -> impl IntoView {
    let n = name.clone();
    let list = Resource::new(
        move || (filters(), review.version().get(), found.get()),
        move |(f, ..)| {
            let [kind, state, assignee, column] = f.map(|(_, v)| v);
            run_differences(n.clone(), id, kind, state, assignee, column, 0)
        },
    );
    let me = expect_context::<MeResource>();
    let lead = Signal::derive(move || {
        me.get().and_then(Result::ok).flatten().is_some_and(|m| m.role.allows(Role::Lead))
    });
    view! {
        <section class="card">
            <h2>"Differences"</h2>
            <form method="get" class="row" data-testid="difference-filters">
                <label>"Kind " <select name="kind">{options(&["", "missing", "extra", "changed"], "kind")}</select></label>
                <label>"State " <select name="state">{options(&["", "open", "acknowledged", "resolved"], "state")}</select></label>
                <label>"Assignee " <input name="assignee" value=value("assignee") size="10"/></label>
                <label>"Column " <input name="column" value=value("column") size="10"/></label>
                <button type="submit" class="secondary">"Filter"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(l) if l.is_empty() => view! { <p class="ok">"No difference here."</p> }.into_any(),
                        Ok(l) => view! {
                            <div class="table-scroll">
                                <table class="grid" data-testid="differences">
                                    <thead><tr><th>"Key"</th><th>"Kind"</th><th>"Source → read model"</th><th>"Review"</th></tr></thead>
                                    <tbody>{l.into_iter().map(|d| view! { <DifferenceRow d review lead/> }).collect_view()}</tbody>
                                </table>
                            </div>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn value(key: &str) -> String {
    use_query_map().get_untracked().get(key).unwrap_or_default()
}

fn options(values: &[&'static str], key: &str) -> impl IntoView {
    let current = value(key);
    values
        .iter()
        .map(|v| view! { <option value=*v selected=current == *v>{if v.is_empty() { "any" } else { v }}</option> })
        .collect_view()
}

fn side(s: &Option<BTreeMap<String, Option<String>>>, c: &str) -> String {
    s.as_ref().map_or_else(|| "—".into(), |m| m.get(c).cloned().flatten().unwrap_or_else(|| "NULL".into()))
}

#[component]
fn DifferenceRow(
    d: DifferenceView,
    review: ServerAction<ReviewDifference>,
    lead: Signal<bool>,
) -> impl IntoView {
    let id = d.id;
    let shown: Vec<String> = if d.columns.is_empty() {
        d.source.as_ref().or(d.target.as_ref()).map(|m| m.keys().cloned().collect()).unwrap_or_default()
    } else {
        d.columns.clone()
    };
    let values = shown
        .iter()
        .map(|c| view! { <div><code>{c.clone()}</code> ": " {side(&d.source, c)} " → " {side(&d.target, c)}</div> })
        .collect_view();
    let open_history = RwSignal::new(false);
    let history = Resource::new(
        move || (open_history.get(), review.version().get()),
        move |(open, _)| async move {
            if open {
                difference_history(id).await
            } else {
                Ok(Vec::new())
            }
        },
    );
    let team = RwSignal::new(d.assignee.clone().unwrap_or_default());
    let comment = RwSignal::new(String::new());
    let reason = RwSignal::new("fixed".to_string());
    let act = move |action: &str, text: Option<String>, note: Option<String>| {
        review.dispatch(ReviewDifference { id, action: action.to_string(), text, note });
    };
    view! {
        <tr data-difference=id data-kind=d.kind.clone()>
            <td>{key_text(&d.key)}</td>
            <td>{d.kind.clone()}{d.during_lag.then(|| view! { <br/><span class="pill warn" title="Found while the read model's lag was over its SLO or unknown">"during lag"</span> })}</td>
            <td class="small">{values}</td>
            <td class="small">
                <span data-testid="review-state">{d.state.as_str().to_string()}</span>
                {d.assignee.clone().map(|a| format!(" · {a}"))}
                {d.resolution.clone().map(|r| format!(" · {r}"))}
                <Show when=move || lead.get()>
                    <div class="review row">
                        <button class="secondary" on:click=move |_| act("acknowledge", None, None)>"Acknowledge"</button>
                        <input placeholder="team" size="8" prop:value=move || team.get() on:input=move |e| team.set(event_target_value(&e))/>
                        <button class="secondary" on:click=move |_| act("assign", Some(team.get_untracked()), None)>"Assign"</button>
                        <input placeholder="comment" size="14" prop:value=move || comment.get() on:input=move |e| comment.set(event_target_value(&e))/>
                        <button class="secondary" on:click=move |_| { act("comment", Some(comment.get_untracked()), None); comment.set(String::new()); }>"Comment"</button>
                        <select on:change=move |e| reason.set(event_target_value(&e))>
                            <option value="fixed">"fixed"</option><option value="expected">"expected"</option><option value="false_positive">"false positive"</option>
                        </select>
                        <button on:click=move |_| act("resolve", Some(reason.get_untracked()), None)>"Resolve"</button>
                    </div>
                </Show>
                <button class="link" on:click=move |_| open_history.update(|o| *o = !*o)>{move || if open_history.get() { "Hide history" } else { "History" }}</button>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        history.await.ok().filter(|h| !h.is_empty()).map(|h| view! {
                            <ul class="history" data-testid="history">{h.into_iter().map(|e| view! {
                                <li>{format_ms(e.ts_ms)} " " <b>{e.actor}</b> " " {e.action} {e.detail.map(|d| format!(": {d}"))}</li>
                            }).collect_view()}</ul>
                        })
                    })}
                </Transition>
            </td>
        </tr>
    }
}
