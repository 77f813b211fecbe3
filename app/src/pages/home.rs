use crate::api::auth::hub_status;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use types::time::format_ms;
use types::Role;

#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <Title text="Home"/>
        <RequireRole role=Role::Viewer>
            <HubOverview/>
        </RequireRole>
    }
}

#[component]
fn HubOverview() -> impl IntoView {
    let status = Resource::new(|| (), |()| hub_status());
    view! {
        <h1>"Switchboard"</h1>
        <p class="lead">
            "One hub for the common tooling of the brokerage backend: services and their metrics, "
            "alerts with context, profiling captures, consistency checks and read-model lag."
        </p>
        <section class="card">
            <h2>"This hub"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match status.await {
                        Ok(s) => {
                            view! {
                                <dl class="facts">
                                    <dt>"Version"</dt><dd>{s.version}</dd>
                                    <dt>"Store"</dt>
                                    <dd>
                                        {s.store_engine} " · "
                                        <span class=if s.store_ok { "ok" } else { "bad" }>
                                            {if s.store_ok { "answering" } else { "not answering" }}
                                        </span>
                                    </dd>
                                    <dt>"Started"</dt>
                                    <dd>{format_ms(s.started_ms)}</dd>
                                </dl>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card">
            <h2>"Scripts and CI"</h2>
            <p>
                "Create a token under " <a href="/tokens">"API tokens"</a>
                " and send it as " <code>"Authorization: Bearer …"</code> " to " <code>"/api/v1"</code> ":"
            </p>
            <pre>"curl -H \"Authorization: Bearer $SWITCHBOARD_TOKEN\" http://127.0.0.1:3000/api/v1/me"</pre>
        </section>
    }
}
