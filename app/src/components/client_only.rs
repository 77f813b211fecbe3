use leptos::prelude::*;

/// Draws its children in the browser only, once the page has hydrated: for views whose
/// resources live inside other suspended views, which the server and the browser would not
/// render alike. The server (and hydration) show "Loading…".
#[component]
pub fn ClientOnly(children: ChildrenFn) -> impl IntoView {
    let mounted = RwSignal::new(false);
    Effect::new(move |_| mounted.set(true));
    move || {
        if mounted.get() {
            children().into_any()
        } else {
            view! { <p class="muted">"Loading…"</p> }.into_any()
        }
    }
}
