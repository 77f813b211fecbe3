use crate::api::auth::{hub_status, Logout};
use crate::MeResource;
use leptos::prelude::*;
use std::time::Duration;
use types::{Me, Role};

/// Navigation: only what exists, and only what the user's role may open.
const NAV: &[(&str, &str, Role)] = &[
    ("/", "Home", Role::Viewer),
    ("/tokens", "API tokens", Role::Viewer),
    ("/audit", "Audit", Role::Lead),
    ("/admin/users", "Users", Role::Admin),
];

#[component]
pub fn Header() -> impl IntoView {
    let me = expect_context::<MeResource>();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"Switchboard"</a>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(user)) => view! { <SignedIn user/> }.into_any(),
                        _ => ().into_any(),
                    }
                })}
            </Transition>
        </header>
    }
}

#[component]
fn SignedIn(user: Me) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    let links = NAV
        .iter()
        .filter(|(_, _, role)| user.role.allows(*role))
        .map(|(href, label, _)| view! { <a href=*href>{*label}</a> })
        .collect_view();
    view! {
        <nav class="nav">{links}</nav>
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
    let tick = RwSignal::new(0u64);
    Effect::new(move |_| {
        let _ = set_interval_with_handle(move || tick.update(|t| *t += 1), Duration::from_secs(5));
    });
    let status = Resource::new(move || tick.get(), |_| hub_status());
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
