//! A thread dump's analysis — deadlock cycles first, then pools, hot locks, states and
//! stacks by group — and the diff of two dumps.

use crate::api::captures::{capture_threads, capture_threads_series, threads_diff};
use crate::components::errors::ErrorNote;
use leptos::prelude::*;
use types::threads::{Analysis, Deadlock, DumpDiff, Group, SeriesAnalysis, StuckThread};
use types::time::clock;

/// Frames shown of a group's stack before "more".
const FRAMES_SHOWN: usize = 14;

fn loading() -> impl IntoView {
    view! { <p class="muted">"Loading…"</p> }
}

#[component]
pub fn ThreadsView(id: i64) -> impl IntoView {
    let analysis = Resource::new(|| (), move |()| capture_threads(id));
    view! {
        <p class="row">
            <a class="button-link" data-testid="raw-dump" href=format!("/api/v1/captures/{id}/raw?inline=1") target="_blank" rel="noopener">"Raw dump (text)"</a>
            <a class="button-link" href=format!("/api/v1/captures/{id}/raw") download="">"Download"</a>
        </p>
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match analysis.await {
                    Ok(a) => analysis_view(a).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A series of dumps: what stayed stuck across all of them. The last dump's own analysis
/// follows it on the page.
#[component]
pub fn SeriesView(id: i64) -> impl IntoView {
    let series = Resource::new(|| (), move |()| capture_threads_series(id));
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match series.await {
                    Ok(s) => series_view(s).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn series_view(s: SeriesAnalysis) -> impl IntoView {
    let times =
        s.dumps.iter().map(|(at, n)| format!("{} ({n} threads)", clock(*at))).collect::<Vec<_>>().join(", ");
    let stuck = if s.stuck.is_empty() {
        view! { <p class="muted" data-testid="series-no-stuck">"No thread stayed in the same frame on the same lock in every dump."</p> }.into_any()
    } else {
        let rows = s
            .stuck
            .iter()
            .map(|t| {
                view! {
                    <tr data-testid="series-stuck">
                        <td><code>{t.name.clone()}</code></td>
                        <td>{t.state.clone()}</td>
                        <td><code>{t.frame.clone().unwrap_or_default()}</code></td>
                        <td><code>{t.waiting_on.clone().unwrap_or_default()}</code></td>
                        <td><code>{t.holds.join(", ")}</code></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="grid">
                <thead><tr><th>"Thread"</th><th>"State"</th><th>"Frame"</th><th>"Waiting for"</th><th>"Holding"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let pools = if s.exhausted_pools.is_empty() {
        view! { <p class="muted">"No pool stayed exhausted."</p> }.into_any()
    } else {
        let rows = s
            .exhausted_pools
            .iter()
            .map(|p| view! { <li data-testid="series-pool"><strong>{p.name.clone()}</strong>{format!(": {} of {} busy in every dump", p.busy, p.threads)}</li> })
            .collect_view();
        view! { <ul>{rows}</ul> }.into_any()
    };
    view! {
        <section class="card" data-testid="series">
            <h2>"Across the series"</h2>
            <p class="muted">{format!("{} dumps, {} s apart: {times}. A thread is flagged when it sat in the same frame, waiting for or holding the same lock, in every one.", s.dumps.len(), s.interval_s)}</p>
            <h3>"Stuck in every dump"</h3>
            {stuck}
            <h3>"Pools exhausted in every dump"</h3>
            {pools}
            <p class="muted small">"Below: the last dump of the series."</p>
        </section>
    }
}

/// "A waits for 0x1 held by B; B waits for 0x2 held by A".
fn cycle_text(d: &Deadlock) -> String {
    let n = d.threads.len();
    (0..n)
        .map(|i| {
            let lock = d.locks.get(i).map_or("?", String::as_str);
            format!("{} waits for {lock} held by {}", d.threads[i], d.threads[(i + 1) % n])
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn deadlocks_view(deadlocks: &[Deadlock], title: &'static str) -> impl IntoView {
    (!deadlocks.is_empty()).then(|| {
        let items = deadlocks
            .iter()
            .map(|d| {
                view! {
                    <li>
                        <strong>{d.threads.join(" ⇄ ")}</strong>
                        <br/><span>{cycle_text(d)}</span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <section class="card alert" data-testid="deadlocks">
                <h2>{format!("{title}: {}", deadlocks.len())}</h2>
                <ul>{items}</ul>
            </section>
        }
    })
}

fn state_pills(states: impl IntoIterator<Item = (String, usize)>) -> impl IntoView {
    states
        .into_iter()
        .map(|(s, n)| {
            let class = match s.as_str() {
                "BLOCKED" => "pill bad",
                "RUNNABLE" => "pill ok",
                _ => "pill",
            };
            view! { <span class=class>{format!("{s} {n}")}</span> " " }
        })
        .collect_view()
}

fn group_view(g: Group) -> impl IntoView {
    let more = g.frames.len().saturating_sub(FRAMES_SHOWN);
    let frames = g.frames.iter().take(FRAMES_SHOWN).cloned().collect::<Vec<_>>().join("\n");
    let examples = if g.threads.len() > 4 {
        format!("{}, … ({} threads)", g.threads[..4].join(", "), g.threads.len())
    } else {
        g.threads.join(", ")
    };
    view! {
        <details class="group">
            <summary><strong>{g.count}</strong> " × " <span class="pill">{g.state.clone()}</span> " "
                <code>{g.frames.first().cloned().unwrap_or_default()}</code>
                <span class="muted">" — " {examples}</span>
            </summary>
            <pre class="stack">{frames}{(more > 0).then(|| format!("\n… {more} more frames"))}</pre>
        </details>
    }
}

fn analysis_view(a: Analysis) -> impl IntoView {
    let pools = a
        .pools
        .iter()
        .map(|p| {
            view! {
                <tr class:exhausted=p.exhausted data-pool=p.name.clone()>
                    <td><code>{p.name.clone()}</code></td>
                    <td class="num">{p.threads}</td>
                    <td class="num">{p.busy}</td>
                    <td class="num">{p.idle}</td>
                    <td>{if p.exhausted { view! { <span class="pill bad">"exhausted"</span> }.into_any() } else { view! { <span class="pill ok">"has idle workers"</span> }.into_any() }}</td>
                </tr>
            }
        })
        .collect_view();
    let hot = a
        .hot_locks
        .iter()
        .map(|h| {
            view! {
                <tr>
                    <td><code>{h.lock.clone()}</code></td>
                    <td>{h.holder.clone().unwrap_or_else(|| "unknown".into())}</td>
                    <td class="num">{h.waiters.len()}</td>
                    <td>{h.waiters.join(", ")}</td>
                </tr>
            }
        })
        .collect_view();
    let has_hot = !a.hot_locks.is_empty();
    let has_pools = !a.pools.is_empty();
    view! {
        {deadlocks_view(&a.deadlocks, "Deadlocks")}
        <section class="card">
            <h2>{format!("{} threads", a.threads)}</h2>
            <p data-testid="states">{state_pills(a.states.clone())}</p>
        </section>
        {has_pools.then(|| view! {
            <section class="card">
                <h2>"Pools"</h2>
                <table class="grid" data-testid="pools">
                    <thead><tr><th>"Pool"</th><th>"Threads"</th><th>"Busy"</th><th>"Idle"</th><th></th></tr></thead>
                    <tbody>{pools}</tbody>
                </table>
            </section>
        })}
        {has_hot.then(|| view! {
            <section class="card">
                <h2>"Locks several threads wait for"</h2>
                <table class="grid" data-testid="hot-locks">
                    <thead><tr><th>"Lock"</th><th>"Held by"</th><th>"Waiters"</th><th>"Threads"</th></tr></thead>
                    <tbody>{hot}</tbody>
                </table>
            </section>
        })}
        <section class="card">
            <h2>"Threads by identical stack"</h2>
            <div data-testid="groups">{a.groups.into_iter().map(group_view).collect_view()}</div>
        </section>
    }
}

/// What got stuck between two dumps.
#[component]
pub fn DumpDiffView(before: i64, after: i64) -> impl IntoView {
    let diff = Resource::new(|| (), move |()| threads_diff(before, after));
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match diff.await {
                    Ok(d) => dump_diff_view(d).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn dump_diff_view(d: DumpDiff) -> impl IntoView {
    let states = d
        .states
        .iter()
        .map(|s| {
            let change = i64::try_from(s.after).unwrap_or(0) - i64::try_from(s.before).unwrap_or(0);
            let worse = change > 0 && s.state == "BLOCKED";
            view! {
                <tr><td>{s.state.clone()}</td><td class="num">{s.before}</td><td class="num">{s.after}</td>
                <td class="num" class:bad=worse>{format!("{change:+}")}</td></tr>
            }
        })
        .collect_view();
    let stuck = |list: &[StuckThread]| {
        list.iter()
            .map(|t| {
                view! {
                    <tr>
                        <td>{t.name.clone()}</td>
                        <td>{t.was.clone().unwrap_or_else(|| "(new thread)".into())} " → " {t.state.clone()}</td>
                        <td><code>{t.frame.clone().unwrap_or_default()}</code></td>
                        <td><code>{t.waiting_on.clone().unwrap_or_default()}</code></td>
                    </tr>
                }
            })
            .collect_view()
    };
    let newly = stuck(&d.newly_stuck);
    let still = stuck(&d.still_stuck);
    let pools = d
        .pools
        .iter()
        .map(|p| {
            view! {
                <tr class:exhausted=p.busy_after == p.threads>
                    <td><code>{p.name.clone()}</code></td><td class="num">{p.threads}</td>
                    <td class="num">{p.busy_before}</td><td class="num">{p.busy_after}</td>
                </tr>
            }
        })
        .collect_view();
    let grown = d
        .grown
        .iter()
        .map(|g| {
            view! {
                <tr><td class="num">{g.before}</td><td class="num">{g.after}</td><td>{g.state.clone()}</td>
                <td><code>{g.frames.first().cloned().unwrap_or_default()}</code></td></tr>
            }
        })
        .collect_view();
    let (n_newly, n_still) = (d.newly_stuck.len(), d.still_stuck.len());
    view! {
        {deadlocks_view(&d.new_deadlocks, "New deadlocks")}
        <section class="card">
            <h2>{format!("Threads: {} → {}", d.threads_before, d.threads_after)}</h2>
            <table class="grid" data-testid="state-changes">
                <thead><tr><th>"State"</th><th>"Before"</th><th>"After"</th><th>"Change"</th></tr></thead>
                <tbody>{states}</tbody>
            </table>
        </section>
        <section class="card">
            <h2>{format!("Stuck since the first dump: {n_newly}")}</h2>
            <table class="grid" data-testid="newly-stuck">
                <thead><tr><th>"Thread"</th><th>"State"</th><th>"At"</th><th>"Waiting on"</th></tr></thead>
                <tbody>{newly}</tbody>
            </table>
            {(n_still > 0).then(|| view! {
                <details><summary>{format!("Stuck in both dumps on the same lock: {n_still}")}</summary>
                <table class="grid"><tbody>{still}</tbody></table></details>
            })}
        </section>
        <section class="card">
            <h2>"Pools: busy workers"</h2>
            <table class="grid"><thead><tr><th>"Pool"</th><th>"Threads"</th><th>"Busy before"</th><th>"Busy after"</th></tr></thead>
            <tbody>{pools}</tbody></table>
        </section>
        <section class="card">
            <h2>"Stacks with more threads than before"</h2>
            <table class="grid"><thead><tr><th>"Before"</th><th>"After"</th><th>"State"</th><th>"Top frame"</th></tr></thead>
            <tbody>{grown}</tbody></table>
        </section>
        {(!d.gone.is_empty()).then(|| view! { <p class="muted">{format!("Gone since the first dump: {}", d.gone.join(", "))}</p> })}
    }
}
