//! The Demo page's view of the fleet's own alert receiver (`demo://fleet/alerts`): the
//! notifications the hub sent it, as they arrived, so a newcomer sees the whole path from a
//! fault to a webhook.

use crate::api::demo::demo_notifications;
use crate::components::errors::ErrorNote;
use crate::components::poll::ticker;
use leptos::prelude::*;
use std::time::Duration;
use types::alerts::DemoNotification;
use types::time::format_ms;

#[component]
pub fn DemoNotifications() -> impl IntoView {
    let tick = ticker(Duration::from_secs(2));
    let list = Resource::new(move || tick.get(), |_| demo_notifications());
    view! {
        <section class="card" data-testid="demo-receiver">
        <h2>"What the demo's alert receiver got"</h2>
        <p class="muted">"The shipped config sends its alerts to the fleet's receiver (demo://fleet/alerts) in Alertmanager's webhook format. See "<a href="/alerts">"Alerts"</a>" for the hub's side."</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok(l) if l.is_empty() => view! { <p class="muted" data-testid="no-notifications">"Nothing yet: inject errors for a user group on orders-api."</p> }.into_any(),
                    Ok(l) => table(l).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
        </section>
    }
}

fn table(list: Vec<DemoNotification>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|n| {
            let class = if n.status == "resolved" { "pill ok" } else { "pill bad" };
            view! {
                <tr data-testid="demo-notification">
                    <td>{format_ms(n.received_ms)}</td>
                    <td><span class=class>{n.status.clone()}</span></td>
                    <td>{n.summary.clone()}</td>
                    <td>{n.context.clone()}</td>
                    <td><details><summary>"body"</summary><pre class="small">{n.body.clone()}</pre></details></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-wrap">
            <table class="data">
                <thead><tr><th>"Received"</th><th>"Status"</th><th>"Summary"</th><th>"What the failures share"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}
