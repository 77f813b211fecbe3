use crate::api::catalog::{list_services, ServiceList};
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use crate::components::poll::{age, refreshed};
use crate::components::signals::signal_cell;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::time::Duration;
use types::{KeySignals, Role, ServiceView};

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

/// The sortable key signals: URL key, signal id, column title.
const SIGNALS: [(&str, &str, &str); 4] = [
    ("rate", "request_rate", "Requests"),
    ("errors", "error_ratio", "Errors"),
    ("p95", "latency_p95", "p95"),
    ("pool", "pool_utilisation", "Pool"),
];

/// Filter and order as the URL says (`?q=…&sort=name|team|health|scrape|rate|errors|p95|pool`);
/// a signal sorts highest first, services without it last.
fn arrange(mut list: Vec<ServiceView>, signals: &[KeySignals], q: &str, sort: &str) -> Vec<ServiceView> {
    let q = q.trim().to_lowercase();
    list.retain(|s| q.is_empty() || s.name.contains(&q) || s.team.to_lowercase().contains(&q));
    if let Some((_, id, _)) = SIGNALS.iter().find(|(key, _, _)| *key == sort) {
        let value = |name: &str| {
            signals.iter().find(|k| k.service == name).and_then(|k| k.get(id)).and_then(|s| s.value)
        };
        list.sort_by(|a, b| {
            let (va, vb) = (value(&a.name), value(&b.name));
            vb.partial_cmp(&va).unwrap_or(std::cmp::Ordering::Equal).then_with(|| a.name.cmp(&b.name))
        });
        return list;
    }
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
    let services = Resource::new(|| (), |_| list_services());
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
                {sort_link("health", "health")} " · " {sort_link("scrape", "last scrape")} " · "
                {sort_link("rate", "requests")} " · " {sort_link("errors", "errors")} " · "
                {sort_link("p95", "p95")} " · " {sort_link("pool", "pool")}</span>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match services.await {
                    Ok(first) => service_table(first, Signal::derive(q), Signal::derive(sort)).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The table, refreshed in place every 3 s (see [`refreshed`]): rows keyed by service, in the
/// URL's filter and order.
fn service_table(first: ServiceList, q: Signal<String>, sort: Signal<String>) -> impl IntoView {
    let (live, refresh_error) = refreshed(first, Duration::from_secs(3), list_services);
    // Arranged once per refresh or URL change; the rows and the empty note both read it.
    let order = Memo::new(move |_| {
        live.with(|l| arrange(l.services.clone(), &l.signals, &q.get(), &sort.get()))
            .into_iter()
            .map(|s| s.name)
            .collect::<Vec<_>>()
    });
    let empty = move || order.with(Vec::is_empty);
    view! {
        {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
        <Show when=move || !empty() fallback=|| view! { <p class="muted">"No service matches."</p> }>
            <div class="table-scroll card flush">
                <table class="grid" data-testid="services">
                    <thead><tr><th>"Service"</th><th>"Team"</th><th>"Instances"</th>{SIGNALS.map(|(_, _, title)| view! { <th>{title}</th> }).collect_view()}<th>"Last scrape"</th><th>"Alerts"</th><th>"Links"</th></tr></thead>
                    <tbody>
                        <For each=move || order.get() key=|n| n.clone() let:name>
                            {service_row(name, live)}
                        </For>
                    </tbody>
                </table>
            </div>
        </Show>
    }
}

/// One service's row: the link is built once, the cells follow the refreshed list.
fn service_row(name: String, live: ReadSignal<ServiceList>) -> impl IntoView {
    let key = name.clone();
    let current = Memo::new(move |_| {
        live.with(|l| {
            let service = l.services.iter().find(|s| s.name == key).cloned();
            let signals = l.signals.iter().find(|k| k.service == key).cloned();
            let firing: Vec<String> =
                l.firing.iter().filter(|(s, _)| *s == key).map(|(_, r)| r.clone()).collect();
            (l.now_ms, service, signals, firing)
        })
    });
    let counts =
        move || current.with(|(_, s, _, _)| s.as_ref().map_or((0, 0), |s| (up_count(s), s.instances.len())));
    let health = move || match counts() {
        (up, total) if total > 0 && up == total => "pill ok",
        (0, _) => "pill bad",
        _ => "pill warn",
    };
    let cells = move || {
        current.with(|(_, _, mine, _)| {
            SIGNALS.map(|(_, id, _)| signal_cell(mine.as_ref().and_then(|k| k.get(id)))).collect_view()
        })
    };
    let links = move || {
        current.with(|(_, s, _, _)| {
            let Some(s) = s else { return Vec::new() };
            [
                ("runbook", s.links.runbook.clone()),
                ("dashboard", s.links.dashboard.clone()),
                ("traces", s.links.traces.clone()),
            ]
            .into_iter()
            .filter_map(|(label, href)| {
                href.map(|h| view! { <a href=h target="_blank" rel="noopener">{label}</a> " " })
            })
            .collect::<Vec<_>>()
        })
    };
    let firing = move || {
        current.with(|(_, _, _, firing)| {
            (!firing.is_empty()).then(|| {
                view! {
                    <a class="pill bad" href="/alerts?state=firing" title=firing.join(", ")>
                        {format!("{} firing", firing.len())}
                    </a>
                }
            })
        })
    };
    view! {
        <tr data-service=name.clone()>
            <td><a href=format!("/services/{name}")>{name.clone()}</a></td>
            <td>{move || current.with(|(_, s, _, _)| s.as_ref().map(|s| s.team.clone()).unwrap_or_default())}</td>
            <td><span class=health data-testid="up-count">{move || { let (up, total) = counts(); format!("{up}/{total} up") }}</span></td>
            {cells}
            <td>{move || current.with(|(now, s, _, _)| age(*now, s.as_ref().and_then(last_scrape)))}</td>
            <td data-testid="firing">{firing}</td>
            <td class="links">{links}</td>
        </tr>
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
        assert_eq!(names(arrange(list.clone(), &[], "", "name")), ["a-api", "b-api", "c"]);
        assert_eq!(names(arrange(list.clone(), &[], "ORDERS", "name")), ["b-api", "c"]);
        assert_eq!(names(arrange(list.clone(), &[], "", "health")), ["a-api", "c", "b-api"]);
        assert_eq!(names(arrange(list.clone(), &[], "", "team")), ["b-api", "c", "a-api"]);
        let errors = |service: &str, v: Option<f64>| KeySignals {
            service: service.into(),
            instance: None,
            signals: vec![types::KeySignal {
                id: "error_ratio".into(),
                label: "Error ratio".into(),
                unit: types::units::Unit::Percent,
                value: v,
                spark: vec![],
                bad: false,
            }],
        };
        let signals = [errors("a-api", Some(1.0)), errors("b-api", Some(35.0)), errors("c", None)];
        assert_eq!(
            names(arrange(list, &signals, "", "errors")),
            ["b-api", "a-api", "c"],
            "worst first, none last"
        );
    }
}
