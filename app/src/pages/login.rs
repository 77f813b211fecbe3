use crate::api::auth::Login;
use crate::components::errors::ErrorNote;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Where to go after login: only a path on this hub, never another site.
fn safe_next(next: Option<String>) -> String {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\"))
        .unwrap_or_else(|| "/".to_string())
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let query = use_query_map();
    Effect::new(move |_| {
        if let Some(Ok(_)) = login.value().get() {
            // A full load, so every part of the shell sees the new session.
            let next = safe_next(query.get_untracked().get("next"));
            let _ = window().location().set_href(&next);
        }
    });
    view! {
        <Title text="Log in"/>
        <section class="card login">
            <h1>"Log in to Switchboard"</h1>
            <ActionForm action=login>
                <label>"Username" <input name="username" autocomplete="username" required autofocus/></label>
                <label>
                    "Password"
                    <input type="password" name="password" autocomplete="current-password" required/>
                </label>
                <button type="submit" disabled=move || login.pending().get()>"Log in"</button>
            </ActionForm>
            {move || login.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_stays_on_the_hub() {
        assert_eq!(safe_next(Some("/audit?actor=x".into())), "/audit?actor=x");
        assert_eq!(safe_next(Some("//evil.example".into())), "/");
        assert_eq!(safe_next(Some("https://evil.example".into())), "/");
        assert_eq!(safe_next(Some("/\\evil.example".into())), "/");
        assert_eq!(safe_next(None), "/");
    }
}
