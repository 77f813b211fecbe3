use crate::api::auth::{hub_status, Logout};
use crate::MeResource;
use leptos::prelude::*;
use std::time::Duration;
use types::{Me, Role};

/// Navigation: only what exists, and only what the user's role may open.
const NAV: &[(&str, &str, Role)] = &[
    ("/", "Home", Role::Viewer),
    ("/services", "Services", Role::Viewer),
    ("/conformance", "Conformance", Role::Viewer),
    ("/catalog", "Metric catalog", Role::Viewer),
    ("/explore", "Explorer", Role::Viewer),
    ("/alerts", "Alerts", Role::Viewer),
    ("/incidents", "Incidents", Role::Viewer),
    ("/traces", "Traces", Role::Viewer),
    ("/lag", "Lag", Role::Viewer),
    ("/checks", "Checks", Role::Viewer),
    ("/tokens", "API tokens", Role::Viewer),
    ("/audit", "Audit", Role::Lead),
    ("/admin/users", "Users", Role::Admin),
    ("/admin/config", "Config", Role::Admin),
];

/// Whether `href` is the page at `path` (or a page under it, for every link but Home's).
fn is_current(path: &str, href: &str) -> bool {
    if href == "/" {
        return path == "/";
    }
    path == href || path.strip_prefix(href).is_some_and(|rest| rest.starts_with('/'))
}

/// The hub's own status, polled; shared by the banner and the navigation.
pub type StatusResource = Resource<Result<types::HubStatus, types::AppError>>;

pub fn provide_status() {
    let tick = crate::components::poll::ticker(Duration::from_secs(5));
    let status: StatusResource = Resource::new(move || tick.get(), |_| hub_status());
    provide_context(status);
}

#[component]
pub fn Header() -> impl IntoView {
    let me = expect_context::<MeResource>();
    // Loaded once per page: whether the demo fleet runs does not change while the hub runs.
    let status = Resource::new(|| (), |()| hub_status());
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Switchboard"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let demo_fleet = matches!(status.await, Ok(s) if s.demo_fleet);
                    match me.await {
                        Ok(Some(user)) => view! { <SignedIn user demo_fleet/> }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}

#[component]
fn SignedIn(user: Me, demo_fleet: bool) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    let location = leptos_router::hooks::use_location();
    let open = RwSignal::new(false);
    // Any navigation closes the menu.
    Effect::new(move |_| {
        location.pathname.track();
        open.set(false);
    });
    // Demo controls exist only while the demo fleet runs.
    let demo = demo_fleet && user.role.allows(Role::Admin);
    let links = NAV
        .iter()
        .copied()
        .filter(|(_, _, role)| user.role.allows(*role))
        .chain(demo.then_some(("/admin/demo", "Demo", Role::Admin)))
        .map(|(href, label, _)| {
            let here = move || is_current(&location.pathname.get(), href);
            view! { <a href=href class:current=here aria-current=move || here().then_some("page")>{label}</a> }
        })
        .collect_view();
    view! {
        <button class="menu-toggle" aria-expanded=move || open.get().to_string() aria-controls="nav"
            on:click=move |_| open.update(|o| *o = !*o)>"Menu"</button>
        <nav class="nav" id="nav" class:open=move || open.get()>{links}</nav>
        <div class="who">
            <span class="user" data-testid="current-user">{user.username}</span>
            <span class=format!("role role-{}", user.role)>{user.role.as_str()}</span>
            <ActionForm action=logout attr:class="inline">
                <button type="submit" class="link">"Log out"</button>
            </ActionForm>
        </div>
    }
}

/// A banner while the hub's store (or the hub itself) does not answer; it polls, so it goes
/// away on its own once the store is back.
#[component]
pub fn StoreBanner() -> impl IntoView {
    let status = expect_context::<StatusResource>();
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    Ok(s) if s.store_ok => ().into_any(),
                    Ok(_) => view! {
                        <div class="banner" role="alert">
                            "The hub's store is unavailable. Pages may fail until it is back; the hub reconnects on its own."
                        </div>
                    }.into_any(),
                    Err(e) => view! {
                        <div class="banner" role="alert">{e.message}</div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::is_current;

    #[test]
    fn the_current_page_and_the_pages_under_it() {
        assert!(is_current("/", "/") && !is_current("/services", "/"));
        assert!(is_current("/services/orders-api/instances/x", "/services"));
        assert!(!is_current("/servicesx", "/services"));
    }
}
