//! A profile's views: the sample-type picker, the flamegraph, the top table (sortable,
//! like `go tool pprof -top`), a function's callers and callees. The diff of two is in
//! profile_diff.rs.

use crate::api::captures::{capture_flame, capture_neighbours, capture_top};
use crate::components::errors::ErrorNote;
use crate::components::flame::Flamegraph;
use crate::components::units;
use leptos::prelude::*;
use types::profiles::{Edge, Neighbours, Top, TopRow};

/// Rows drawn at once; the search narrows the rest.
pub(crate) const MAX_ROWS: usize = 300;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tab {
    Flame,
    Top,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SortBy {
    Flat,
    Cum,
    Name,
}

pub(crate) fn loading() -> impl IntoView {
    view! { <p class="muted">"Loading…"</p> }
}

pub(crate) fn sample_picker(
    sample: RwSignal<Option<String>>,
    current: String,
    types: Vec<String>,
) -> impl IntoView {
    let options = types
        .into_iter()
        .map(|t| {
            let selected = t == current;
            view! { <option value=t.clone() selected=selected>{t.clone()}</option> }
        })
        .collect_view();
    view! {
        <label class="inline-label">"Sample"
            <select data-testid="sample-picker" on:change=move |ev| sample.set(Some(event_target_value(&ev)))>{options}</select>
        </label>
    }
}

/// What a profile's page keeps in its URL: the sample type, the search, the zoom, and whether
/// the runtime's frames are collapsed — so a view can be shared as a link.
#[derive(Clone, Copy)]
pub(crate) struct ViewState {
    pub sample: RwSignal<Option<String>>,
    pub search: RwSignal<String>,
    pub zoom: RwSignal<usize>,
    pub collapse: RwSignal<bool>,
}

impl ViewState {
    /// Read from the URL once, then written back to it (replacing the entry) on every change.
    pub fn from_url() -> ViewState {
        let query = leptos_router::hooks::use_query_map().get_untracked();
        let state = ViewState {
            sample: RwSignal::new(query.get("sample").filter(|s| !s.is_empty())),
            search: RwSignal::new(query.get("q").unwrap_or_default()),
            zoom: RwSignal::new(query.get("zoom").and_then(|z| z.parse().ok()).unwrap_or(0)),
            collapse: RwSignal::new(query.get("collapse").as_deref() == Some("1")),
        };
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |first: Option<()>| {
            let mut parts = Vec::new();
            if let Some(s) = state.sample.get() {
                parts.push(format!("sample={}", types::url::encode(&s)));
            }
            let q = state.search.get();
            if !q.is_empty() {
                parts.push(format!("q={}", types::url::encode(&q)));
            }
            match state.zoom.get() {
                0 => {}
                z => parts.push(format!("zoom={z}")),
            }
            if state.collapse.get() {
                parts.push("collapse=1".into());
            }
            if first.is_some() {
                let path = window().location().pathname().unwrap_or_default();
                let url = if parts.is_empty() { path } else { format!("{path}?{}", parts.join("&")) };
                navigate(
                    &url,
                    leptos_router::NavigateOptions { replace: true, scroll: false, ..Default::default() },
                );
            }
        });
        // Another layout (sample type, collapsed frames) numbers its frames anew.
        Effect::new(move |prev: Option<(Option<String>, bool)>| {
            let now = (state.sample.get(), state.collapse.get());
            if prev.is_some_and(|p| p != now) {
                state.zoom.set(0);
            }
            now
        });
        state
    }
}

pub(crate) fn collapse_toggle(collapse: RwSignal<bool>) -> impl IntoView {
    view! {
        <label class="inline-label" title="Leave out tokio's scheduler, std's thread start, panic and closure wrappers, libc's thread entry, Go's goexit, a JVM pool's run loop">
            <input type="checkbox" data-testid="collapse" prop:checked=move || collapse.get() on:change=move |ev| collapse.set(event_target_checked(&ev))/>
            "Collapse runtime frames"
        </label>
    }
}

#[component]
pub fn ProfileView(id: i64) -> impl IntoView {
    let state = ViewState::from_url();
    let (sample, search, zoom, collapse) = (state.sample, state.search, state.zoom, state.collapse);
    let tab = RwSignal::new(Tab::Flame);
    let picked = RwSignal::new(None::<String>);
    let pick = Callback::new(move |f: String| picked.set(Some(f)));
    let follow_zoom = Callback::new(move |f: Option<String>| picked.set(f));
    let flame = Resource::new(move || (sample.get(), collapse.get()), move |(s, c)| capture_flame(id, s, c));
    let tab_button = move |t: Tab, label: &'static str| {
        view! {
            <button class="tab" class:active=move || tab.get() == t on:click=move |_| tab.set(t)>{label}</button>
        }
    };
    view! {
        <div class="profile-tools">
            <div class="tabs">{tab_button(Tab::Flame, "Flamegraph")} {tab_button(Tab::Top, "Top")}</div>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    flame.await.ok().map(|g| sample_picker(sample, g.sample.clone(), g.sample_types.clone()))
                })}
            </Transition>
            <input type="search" placeholder="Search functions" data-testid="search"
                prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
            {collapse_toggle(collapse)}
            <a class="button-link" href=format!("/api/v1/captures/{id}/raw") download="">"Download .pb.gz"</a>
        </div>
        {move || match tab.get() {
            Tab::Flame => view! {
                <Transition fallback=loading>
                    {move || Suspend::new(async move {
                        match flame.await {
                            Ok(graph) => view! { <Flamegraph graph search=search zoom on_pick=follow_zoom/> }.into_any(),
                            Err(error) => view! { <ErrorNote error/> }.into_any(),
                        }
                    })}
                </Transition>
            }.into_any(),
            Tab::Top => view! { <TopTable id sample=sample search=search on_pick=pick/> }.into_any(),
        }}
        {move || picked.get().map(|function| view! { <NeighboursCard id sample=sample function on_pick=pick/> })}
    }
}

#[component]
fn TopTable(
    id: i64,
    sample: RwSignal<Option<String>>,
    search: RwSignal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let top = Resource::new(move || sample.get(), move |s| capture_top(id, s));
    let sort = RwSignal::new(SortBy::Flat);
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match top.await {
                    Ok(t) => top_table(t, sort, search, on_pick).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn top_table(
    t: Top,
    sort: RwSignal<SortBy>,
    search: RwSignal<String>,
    on_pick: Callback<String>,
) -> impl IntoView {
    let unit = t.unit.clone();
    // sum% runs down the table in go's own (flat) order, whatever the sorting shown.
    let mut running = 0.0;
    let rows: Vec<(TopRow, f64)> = t
        .rows
        .into_iter()
        .map(|r| {
            running += r.flat_pct;
            (r, running)
        })
        .collect();
    let header = move |by: SortBy, label: &'static str| {
        view! {
            <th class="sortable" class:sorted=move || sort.get() == by on:click=move |_| sort.set(by)>{label}</th>
        }
    };
    let body = move || {
        let needle = search.get().to_lowercase();
        let mut shown: Vec<&(TopRow, f64)> = rows
            .iter()
            .filter(|(r, _)| needle.is_empty() || r.function.to_lowercase().contains(&needle))
            .collect();
        match sort.get() {
            SortBy::Flat => {}
            SortBy::Cum => shown.sort_by_key(|r| std::cmp::Reverse(r.0.cum)),
            SortBy::Name => shown.sort_by(|a, b| a.0.function.cmp(&b.0.function)),
        }
        let more = shown.len().saturating_sub(MAX_ROWS);
        let unit = unit.clone();
        let rows = shown
            .into_iter()
            .take(MAX_ROWS)
            .map(|(r, sum)| {
                let f = r.function.clone();
                view! {
                    <tr>
                        <td class="num">{units::value(r.flat, &unit)}</td>
                        <td class="num">{units::pct(r.flat_pct)}</td>
                        <td class="num">{units::pct(*sum)}</td>
                        <td class="num">{units::value(r.cum, &unit)}</td>
                        <td class="num">{units::pct(r.cum_pct)}</td>
                        <td><button class="link fn" on:click=move |_| on_pick.run(f.clone())>{r.function.clone()}</button></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            {rows}
            {(more > 0).then(|| view! { <tr><td colspan="6" class="muted">{format!("{more} more rows: search to narrow")}</td></tr> })}
        }
    };
    view! {
        <p class="muted">{format!("{} · total {}", t.sample, units::value(t.total, &t.unit))}</p>
        <table class="grid top" data-testid="top-table">
            <thead><tr>
                {header(SortBy::Flat, "flat")}<th>"flat%"</th><th>"sum%"</th>
                {header(SortBy::Cum, "cum")}<th>"cum%"</th>{header(SortBy::Name, "function")}
            </tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}

#[component]
fn NeighboursCard(
    id: i64,
    sample: RwSignal<Option<String>>,
    function: String,
    on_pick: Callback<String>,
) -> impl IntoView {
    let name = function.clone();
    let peek = Resource::new(move || sample.get(), move |s| capture_neighbours(id, s, function.clone()));
    view! {
        <section class="card" data-testid="neighbours">
            <h2>"Callers and callees of " <code>{name}</code></h2>
            <Transition fallback=loading>
                {move || Suspend::new(async move {
                    match peek.await {
                        Ok(n) => neighbours_view(n, on_pick).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn neighbours_view(n: Neighbours, on_pick: Callback<String>) -> impl IntoView {
    let edges = |list: Vec<Edge>, unit: String, cum: i64| {
        if list.is_empty() {
            return view! { <p class="muted">"none"</p> }.into_any();
        }
        let rows = list
            .into_iter()
            .map(|e| {
                let f = e.function.clone();
                view! {
                    <tr>
                        <td class="num">{units::value(e.value, &unit)}</td>
                        <td class="num">{units::share_pct(e.value, cum)}</td>
                        <td><button class="link fn" on:click=move |_| on_pick.run(f.clone())>{e.function.clone()}</button></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="grid"><thead><tr><th>"value"</th><th>"of its cum"</th><th>"function"</th></tr></thead>
            <tbody>{rows}</tbody></table>
        }
        .into_any()
    };
    view! {
        <p>
            "flat " <strong>{units::value(n.flat, &n.unit)}</strong> " (" {units::share_pct(n.flat, n.total)} ") · "
            "cum " <strong>{units::value(n.cum, &n.unit)}</strong> " (" {units::share_pct(n.cum, n.total)} ")"
        </p>
        <div class="two-columns">
            <div><h3>"Called by"</h3>{edges(n.callers, n.unit.clone(), n.cum)}</div>
            <div><h3>"Calls"</h3>{edges(n.callees, n.unit.clone(), n.cum)}</div>
        </div>
    }
}
