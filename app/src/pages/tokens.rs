use crate::api::tokens::{list_tokens, token_services, CreateToken, RevokeToken};
use crate::components::errors::{action_outcome, ErrorNote};
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use types::time::{format_ms, format_opt_ms};
use types::{ApiTokenView, Role};

#[component]
pub fn TokensPage() -> impl IntoView {
    view! {
        <Title text="API tokens"/>
        <RequireRole role=Role::Viewer>
            <Tokens/>
        </RequireRole>
    }
}

#[component]
fn Tokens() -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(move || (create.version().get(), revoke.version().get()), |_| list_tokens());
    // The secret shown once, until its token is revoked (or another is made).
    let shown = RwSignal::new(None::<(i64, String)>);
    Effect::new(move |_| {
        if let Some(Ok(created)) = create.value().get() {
            shown.set(Some((created.token.id, created.secret)));
        }
    });
    Effect::new(move |_| {
        if let Some(RevokeToken { token_id }) = revoke.input().get() {
            if shown.get_untracked().is_some_and(|(id, _)| id == token_id) {
                shown.set(None);
            }
        }
    });
    let copied = RwSignal::new(None::<bool>);
    view! {
        <h1>"API tokens"</h1>
        <p class="lead">
            "A token acts with your role on " <code>"/api/v1"</code>
            ". Its secret is shown once; the hub keeps only a hash."
        </p>
        <section class="card">
            <h2>"New token"</h2>
            <ActionForm action=create attr:class="row">
                <label>"Name" <input name="name" placeholder="ci-deploy-check" required maxlength="80"/></label>
                <ServiceChoice/>
                <button type="submit">"Create token"</button>
            </ActionForm>
            {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNote error/> })}
            {move || shown.get().map(|(_, secret)| {
                let to_copy = secret.clone();
                view! {
                    <div class="note ok secret" role="status">
                        <p>"Copy this secret now; it will not be shown again:"</p>
                        <code data-testid="token-secret">{secret}</code>
                        <p><button type="button" class="secondary" data-testid="copy-secret" on:click=move |_| {
                            copied.set(Some(copy_text(&to_copy)));
                        }>{move || match copied.get() {
                            None => "Copy",
                            Some(true) => "Copied",
                            Some(false) => "This browser offers no clipboard here: select the secret and copy it",
                        }}</button></p>
                    </div>
                }
            })}
        </section>
        <section class="card">
            <h2>"Your tokens"</h2>
            {action_outcome(revoke.value(), "Token revoked.")}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Ok(list) if list.is_empty() => view! { <p class="muted">"No tokens yet."</p> }.into_any(),
                        Ok(list) => token_table(list, revoke).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Admins bind a token to one service: it then pushes that service's events, changes and
/// spans, and does nothing else (a service's or a deploy pipeline's token).
/// For admins only: the whole <select> is rendered at once, in one suspense (a marker inside
/// a <select>, or a suspense nested in another here, does not hydrate).
#[component]
fn ServiceChoice() -> impl IntoView {
    let me = expect_context::<crate::MeResource>();
    let services = Resource::new(|| (), |_| token_services());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let admin = matches!(me.await, Ok(Some(types::Me { role, .. })) if role.allows(Role::Admin));
                if !admin {
                    return ().into_any();
                }
                let options = services
                    .await
                    .unwrap_or_default()
                    .into_iter()
                    .map(|s| view! { <option value=s.clone()>{s.clone()}</option> })
                    .collect_view();
                view! {
                    <label>"For service"
                        <select name="service" data-testid="token-service">
                            <option value="">"none: acts with your role"</option>
                            {options}
                        </select>
                    </label>
                }
                .into_any()
            })}
        </Transition>
    }
}

fn token_table(list: Vec<ApiTokenView>, revoke: ServerAction<RevokeToken>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|t| {
            let id = t.id;
            view! {
                <tr class:revoked=t.revoked>
                    <td>{t.name}{t.service.map(|s| view! { " " <span class="pill" title="pushes this service's events, changes and spans, nothing else">{format!("for {s}")}</span> })}</td>
                    <td><code>{t.prefix} "…"</code></td>
                    <td>{format_ms(t.created_ms)}</td>
                    <td>{format_opt_ms(t.last_used_ms)}</td>
                    <td>
                        {if t.revoked {
                            view! { <span class="muted">"revoked"</span> }.into_any()
                        } else {
                            view! {
                                <button class="danger" on:click=move |_| {
                                    let sure = window().confirm_with_message("Revoke this token? Scripts that use it stop working at once.");
                                    if sure.unwrap_or(false) {
                                        revoke.dispatch(RevokeToken { token_id: id });
                                    }
                                }>
                                    "Revoke"
                                </button>
                            }.into_any()
                        }}
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="grid" data-testid="tokens">
                <thead><tr><th>"Name"</th><th>"Secret"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// Puts `text` on the clipboard; false where the browser offers none (a page served over
/// plain HTTP from another host than localhost).
fn copy_text(text: &str) -> bool {
    let navigator = window().navigator();
    let has = js_sys::Reflect::get(&navigator, &"clipboard".into()).is_ok_and(|c| !c.is_undefined());
    if has {
        let _ = navigator.clipboard().write_text(text);
    }
    has
}
