use crate::api::catalog::{list_services, ServiceList};
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use crate::components::poll::{age, ticker};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::time::Duration;
use types::{Role, ServiceView};

#[component]
pub fn ServicesPage() -> impl IntoView {
    view! {
        <Title text="Services"/>
        <RequireRole role=Role::Viewer>
            <Services/>
        </RequireRole>
    }
}

fn up_count(s: &ServiceView) -> usize {
    s.instances.iter().filter(|i| i.up).count()
}

fn last_scrape(s: &ServiceView) -> Option<i64> {
    s.instances.iter().filter_map(|i| i.last_scrape_ms).max()
}

/// Filter and order as the URL says (`?q=…&sort=name|team|health|scrape`).
fn arrange(mut list: Vec<ServiceView>, q: &str, sort: &str) -> Vec<ServiceView> {
    let q = q.trim().to_lowercase();
    list.retain(|s| q.is_empty() || s.name.contains(&q) || s.team.to_lowercase().contains(&q));
    match sort {
        "team" => list.sort_by(|a, b| (&a.team, &a.name).cmp(&(&b.team, &b.name))),
        // Worst first: most instances down.
        "health" => list.sort_by_key(|s| (up_count(s) as i64 - s.instances.len() as i64, s.name.clone())),
        "scrape" => list.sort_by_key(|s| (last_scrape(s), s.name.clone())),
        _ => list.sort_by(|a, b| a.name.cmp(&b.name)),
    }
    list
}

#[component]
fn Services() -> impl IntoView {
    let query = use_query_map();
    let tick = ticker(Duration::from_secs(3));
    let services = Resource::new(move || tick.get(), |_| list_services());
    let q = move || query.get().get("q").unwrap_or_default();
    let sort = move || query.get().get("sort").unwrap_or_else(|| "name".into());
    let sort_link = move |key: &'static str, label: &'static str| {
        view! {
            <a
                class:active=move || sort() == key
                href=move || format!("/services?q={}&sort={key}", q())
            >
                {label}
            </a>
        }
    };
    view! {
        <h1>"Services"</h1>
        <form method="get" action="/services" class="row card">
            <label>"Filter" <input name="q" value=q placeholder="name or team"/></label>
            <input type="hidden" name="sort" value=sort/>
            <button type="submit">"Filter"</button>
            <span class="muted">"Sort: " {sort_link("name", "name")} " · " {sort_link("team", "team")} " · "
                {sort_link("health", "health")} " · " {sort_link("scrape", "last scrape")}</span>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match services.await {
                    Ok(ServiceList { now_ms, services }) => {
                        let list = arrange(services, &q(), &sort());
                        if list.is_empty() {
                            view! { <p class="muted">"No service matches."</p> }.into_any()
                        } else {
                            service_table(list, now_ms).into_any()
                        }
                    }
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn service_table(list: Vec<ServiceView>, now_ms: i64) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|s| {
            let (up, total) = (up_count(&s), s.instances.len());
            let health = if total > 0 && up == total { "ok" } else if up == 0 { "bad" } else { "warn" };
            let links = [("runbook", s.links.runbook.clone()), ("dashboard", s.links.dashboard.clone()), ("traces", s.links.traces.clone())]
                .into_iter()
                .filter_map(|(label, href)| href.map(|h| view! { <a href=h target="_blank" rel="noopener">{label}</a> " " }))
                .collect_view();
            view! {
                <tr data-service=s.name.clone()>
                    <td><a href=format!("/services/{}", s.name)>{s.name.clone()}</a></td>
                    <td>{s.team.clone()}</td>
                    <td><span class=format!("pill {health}") data-testid="up-count">{format!("{up}/{total} up")}</span></td>
                    <td>{age(now_ms, last_scrape(&s))}</td>
                    <td class="links">{links}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid" data-testid="services">
            <thead><tr><th>"Service"</th><th>"Team"</th><th>"Instances"</th><th>"Last scrape"</th><th>"Links"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use types::{InstanceView, LinksView};

    fn svc(name: &str, team: &str, up: &[bool]) -> ServiceView {
        ServiceView {
            name: name.into(),
            team: team.into(),
            description: String::new(),
            links: LinksView::default(),
            scrape_interval: "5s".into(),
            instances: up
                .iter()
                .enumerate()
                .map(|(i, u)| InstanceView {
                    name: format!("{name}-{i}"),
                    base_url: String::new(),
                    up: *u,
                    last_scrape_ms: Some(1),
                    duration_ms: None,
                    bytes: None,
                    error: None,
                })
                .collect(),
        }
    }

    #[test]
    fn filters_and_sorts_as_the_url_says() {
        let list = vec![
            svc("b-api", "orders", &[true]),
            svc("a-api", "risk", &[false, true]),
            svc("c", "orders", &[false]),
        ];
        let names = |l: Vec<ServiceView>| l.into_iter().map(|s| s.name).collect::<Vec<_>>();
        assert_eq!(names(arrange(list.clone(), "", "name")), ["a-api", "b-api", "c"]);
        assert_eq!(names(arrange(list.clone(), "ORDERS", "name")), ["b-api", "c"]);
        assert_eq!(names(arrange(list.clone(), "", "health")), ["a-api", "c", "b-api"]);
        assert_eq!(names(arrange(list, "", "team")), ["b-api", "c", "a-api"]);
    }
}
