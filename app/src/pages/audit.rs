use crate::api::audit::list_audit;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use types::time::format_ms;
use types::{AuditEntryView, AuditFilter, Role};

#[component]
pub fn AuditPage() -> impl IntoView {
    view! {
        <Title text="Audit"/>
        <RequireRole role=Role::Lead>
            <Audit/>
        </RequireRole>
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

#[component]
fn Audit() -> impl IntoView {
    let query = use_query_map();
    // The filters live in the URL, so a filtered view is a permalink.
    let filter = move || {
        let q = query.get();
        AuditFilter {
            actor: non_empty(q.get("actor")),
            action: non_empty(q.get("action")),
            outcome: non_empty(q.get("outcome")),
            before_id: q.get("before").and_then(|b| b.parse().ok()),
            since_ms: None,
        }
    };
    let entries = Resource::new(filter, list_audit);
    let field = move |name: &'static str| move || query.get().get(name).unwrap_or_default();
    view! {
        <h1>"Audit log"</h1>
        <form method="get" action="/audit" class="row card">
            <label>"Actor" <input name="actor" value=field("actor")/></label>
            <label>"Action starts with" <input name="action" value=field("action") placeholder="user."/></label>
            <label>
                "Outcome"
                <select name="outcome">
                    {["", "ok", "denied", "failed"].map(|o| view! {
                        <option value=o selected=move || query.get().get("outcome").unwrap_or_default() == o>
                            {if o.is_empty() { "any" } else { o }}
                        </option>
                    })}
                </select>
            </label>
            <button type="submit">"Filter"</button>
            <a href="/audit">"Clear"</a>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entries.await {
                    Ok(list) if list.is_empty() => view! { <p class="muted">"No entries match."</p> }.into_any(),
                    Ok(list) => audit_table(list, filter()).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn audit_table(list: Vec<AuditEntryView>, filter: AuditFilter) -> impl IntoView {
    let older = (list.len() >= 100).then(|| list.last().map(|e| e.id)).flatten().map(|last| {
        let mut q = vec![format!("before={last}")];
        for (k, v) in [("actor", &filter.actor), ("action", &filter.action), ("outcome", &filter.outcome)] {
            if let Some(v) = v {
                q.push(format!("{k}={}", types::url::encode(v)));
            }
        }
        format!("/audit?{}", q.join("&"))
    });
    let rows = list
        .into_iter()
        .map(|e| {
            let class = format!("outcome-{}", e.outcome);
            view! {
                <tr class=class>
                    <td>{format_ms(e.at_ms)}</td>
                    <td>{e.actor}</td>
                    <td><code>{e.action}</code></td>
                    <td>{e.target}</td>
                    <td>{e.outcome}</td>
                    <td>{e.source}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid" data-testid="audit">
            <thead><tr><th>"When"</th><th>"Who"</th><th>"Action"</th><th>"Target"</th><th>"Outcome"</th><th>"From"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
        {older.map(|href| view! { <p><a href=href>"Older entries →"</a></p> })}
    }
}
