//! A service's recent changes (deploys, config, flags, migrations), newest first.

use crate::api::changes::service_changes;
use crate::components::errors::ErrorNote;
use crate::components::poll::{age, refreshed};
use leptos::prelude::*;
use std::time::Duration;
use types::changes::ChangeView;

/// How far back a service's page lists changes.
const DAYS: i64 = 7;

/// The changes of the last week, refreshed in place; a note when there are none.
#[component]
pub fn ServiceChanges(service: Signal<String>) -> impl IntoView {
    let first = Resource::new(move || service.get(), |s| service_changes(s, DAYS));
    view! {
        <section class="card" data-testid="service-changes">
            <h2>"Recent changes"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(initial) => changes_table(service, initial).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn changes_table(service: Signal<String>, initial: (i64, Vec<ChangeView>)) -> impl IntoView {
    let (live, refresh_error) = refreshed(initial, Duration::from_secs(10), move || {
        let s = service.get_untracked();
        async move { service_changes(s, DAYS).await }
    });
    let ids = move || live.with(|(_, list)| list.iter().map(|c| c.id).collect::<Vec<_>>());
    view! {
        {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
        <Show
            when=move || live.with(|(_, l)| !l.is_empty())
            fallback=|| view! {
                <p class="muted">
                    "No changes recorded in the last 7 days. Deploy pipelines record theirs with "
                    <code>"POST /api/v1/changes"</code> "; the hub records its config reloads and the demo's chaos."
                </p>
            }
        >
            <div class="table-scroll"><table class="grid">
                <thead><tr><th>"When"</th><th>"Kind"</th><th>"Version"</th><th>"What"</th><th>"By"</th></tr></thead>
                <tbody>
                    <For each=ids key=|id| *id let:id>
                        {change_row(id, live)}
                    </For>
                </tbody>
            </table></div>
        </Show>
    }
}

fn change_row(id: i64, live: ReadSignal<(i64, Vec<ChangeView>)>) -> impl IntoView {
    // A change never changes once recorded: only its age moves.
    let Some(c) = live.with_untracked(|(_, l)| l.iter().find(|c| c.id == id).cloned()) else {
        return ().into_any();
    };
    let ts = c.ts_ms;
    let when = move || live.with(|(now, _)| age(*now, Some(ts)));
    let what = match c.url.clone() {
        Some(href) => {
            view! { <a href=href target="_blank" rel="noopener">{c.summary.clone()}</a> }.into_any()
        }
        None => view! { <span>{c.summary.clone()}</span> }.into_any(),
    };
    let by = match (&c.author, c.recorded_by.as_str()) {
        (Some(a), r) if a == r => a.clone(),
        (Some(a), r) => format!("{a} (recorded by {r})"),
        (None, r) => r.to_string(),
    };
    view! {
        <tr data-kind=c.kind.as_str()>
            <td title=types::time::format_ms(ts)>{when}</td>
            <td><span class=format!("pill change-{}", c.kind.as_str())>{c.kind.as_str()}</span></td>
            <td>{c.version.clone().unwrap_or_default()}</td>
            <td>{what}</td>
            <td>{by}</td>
        </tr>
    }
    .into_any()
}

/// The changes in the hour before an alert's onset, newest first, each with how long before.
pub fn changes_before(changes: &[ChangeView], onset_ms: i64) -> impl IntoView {
    if changes.is_empty() {
        return view! { <p class="muted">"No change to the service was recorded in the hour before the first bad sample."</p> }
            .into_any();
    }
    let rows = changes
        .iter()
        .map(|c| {
            let seconds = (onset_ms - c.ts_ms).max(0) / 1000;
            let before = if seconds < 60 {
                format!("{seconds} s before")
            } else {
                format!("{} min before", seconds / 60)
            };
            let who = c.author.clone().unwrap_or_else(|| c.recorded_by.clone());
            view! {
                <tr data-testid="change-before">
                    <td title=types::time::format_ms(c.ts_ms)>{before}</td>
                    <td>{c.service.clone()}</td>
                    <td><span class=format!("pill change-{}", c.kind.as_str())>{c.kind.as_str()}</span></td>
                    <td>{c.summary.clone()}</td>
                    <td>{who}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll"><table class="grid">
            <thead><tr><th>"When"</th><th>"Service"</th><th>"Kind"</th><th>"What"</th><th>"By"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table></div>
    }
    .into_any()
}
