//! The Demo page's view of the fleet's own alert receiver (`demo://fleet/alerts`): the
//! notifications the hub sent it, as they arrived, so a newcomer sees the whole path from a
//! fault to a webhook.

use crate::api::demo::demo_notifications;
use crate::components::errors::ErrorNote;
use crate::components::poll::refreshed;
use leptos::prelude::*;
use std::collections::HashMap;
use std::time::Duration;
use types::alerts::DemoNotification;
use types::time::format_ms;

#[component]
pub fn DemoNotifications() -> impl IntoView {
    let list = Resource::new(|| (), |()| demo_notifications());
    view! {
        <section class="card" data-testid="demo-receiver">
        <h2>"What the demo's alert receiver got"</h2>
        <p class="muted">"The shipped config sends its alerts to the fleet's receiver (demo://fleet/alerts) in Alertmanager's webhook format. See "<a href="/alerts">"Alerts"</a>" for the hub's side."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(first) => {
                        let (live, refresh_error) = refreshed(first, Duration::from_secs(2), demo_notifications);
                        view! {
                            {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                            <Show when=move || live.with(|l| !l.is_empty())
                                fallback=|| view! { <p class="muted" data-testid="no-notifications">"Nothing yet: inject errors for a user group on orders-api."</p> }>
                                {table(live)}
                            </Show>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
        </section>
    }
}

/// Each notification with a key of its own (a notification never changes once received): the
/// same time, status and summary a second time is told apart by its count.
fn keyed(list: &[DemoNotification]) -> Vec<(String, DemoNotification)> {
    let mut seen: HashMap<(i64, &str, &str), usize> = HashMap::new();
    list.iter()
        .map(|n| {
            let count = seen.entry((n.received_ms, n.status.as_str(), n.summary.as_str())).or_default();
            *count += 1;
            (format!("{}|{}|{}|{count}", n.received_ms, n.status, n.summary), n.clone())
        })
        .collect()
}

/// Rows keyed, built once: a newer notification arriving on top leaves an opened body open
/// on its own row.
fn table(live: ReadSignal<Vec<DemoNotification>>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th>"Received"</th><th>"Status"</th><th>"Summary"</th><th>"What the failures share"</th><th></th></tr></thead>
                <tbody>
                    <For each=move || live.with(|l| keyed(l)) key=|(key, _)| key.clone() let:item>
                        {row(item.1)}
                    </For>
                </tbody>
            </table>
        </div>
    }
}

fn row(n: DemoNotification) -> impl IntoView {
    let class = if n.status == "resolved" { "pill ok" } else { "pill bad" };
    view! {
        <tr data-testid="demo-notification">
            <td>{format_ms(n.received_ms)}</td>
            <td><span class=class>{n.status}</span></td>
            <td>{n.summary}</td>
            <td>{n.context}</td>
            <td><details><summary>"body"</summary><pre class="small">{n.body}</pre></details></td>
        </tr>
    }
}
