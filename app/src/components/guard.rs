use crate::components::errors::ErrorNote;
use crate::MeResource;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_location;
use types::{Me, Role};

/// Shows `children` to users holding `role`; sends others to log in, or says what is missing.
/// The server functions behind the page check the role again: this only spares a dead end.
#[component]
pub fn RequireRole(role: Role, children: ChildrenFn) -> impl IntoView {
    let me = expect_context::<MeResource>();
    let location = use_location();
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            // One Suspend, not one made by a closure on each call: the server calls a
            // closure child once per rendering pass, and each made the whole page again (its
            // resources fetched three times, the HTML and the data from different reads).
            {Suspend::new(async move {
                    let here = location.pathname.get_untracked();
                    match me.await {
                        Ok(Some(Me { role: mine, .. })) if mine.allows(role) => children().into_any(),
                        Ok(Some(Me { role: mine, .. })) => {
                            view! {
                                <section class="card denied">
                                    <h1>"Not allowed"</h1>
                                    <p>{format!("This page needs the {role} role; you are {mine}.")}</p>
                                    <p><a href="/">"Back to the start page"</a></p>
                                </section>
                            }
                                .into_any()
                        }
                        Ok(None) => view! { <Redirect path=format!("/login?next={here}")/> }.into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
            })}
        </Suspense>
    }
}

/// Shows `children` only to users holding `role` (an action the others may not take), and
/// nothing to the rest; the server checks the role again.
#[component]
pub fn ForRole(role: Role, children: ChildrenFn) -> impl IntoView {
    let me = expect_context::<MeResource>();
    view! {
        <Suspense fallback=|| ()>
            {move || {
                let children = children.clone();
                Suspend::new(async move {
                    match me.await {
                        Ok(Some(Me { role: mine, .. })) if mine.allows(role) => children().into_any(),
                        _ => ().into_any(),
                    }
                })
            }}
        </Suspense>
    }
}
