use crate::api::captures::get_capture;
use crate::components::client_only::ClientOnly;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use crate::components::profile_diff::ProfileDiffView;
use crate::components::threads::DumpDiffView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use types::{AppError, ArtifactKind, Role};

/// Two captures compared: profiles by function and flamegraph, dumps by what got stuck.
#[component]
pub fn CaptureDiffPage() -> impl IntoView {
    let params = use_params_map();
    let number = move |k: &str| params.get().get(k).and_then(|i| i.parse::<i64>().ok()).unwrap_or(0);
    view! {
        <Title text="Compare captures"/>
        <RequireRole role=Role::Viewer>
            <ClientOnly>
                {move || view! { <Diff before=number("before") after=number("after")/> }}
            </ClientOnly>
        </RequireRole>
    }
}

#[component]
fn Diff(before: i64, after: i64) -> impl IntoView {
    let both = Resource::new(
        || (),
        move |()| async move { Ok::<_, AppError>((get_capture(before).await?, get_capture(after).await?)) },
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match both.await {
                    Ok((a, b)) => {
                        let (a, b) = (a.capture, b.capture);
                        let same = a.kind.artifact() == b.kind.artifact();
                        let of = |instance: &Option<String>| instance.clone().unwrap_or_else(|| "an upload".into());
                        view! {
                            <p class="crumbs"><a href="/services">"Services"</a> " / "
                                <a href=format!("/services/{}", b.service)>{b.service.clone()}</a> " / compare"</p>
                            <h1>"Compare captures"</h1>
                            <p class="lead">
                                "Before: " <a href=format!("/captures/{before}")>{format!("#{before} {} of {}", a.kind.label(a.seconds), of(&a.instance))}</a>
                                " · after: " <a href=format!("/captures/{after}")>{format!("#{after} {} of {}", b.kind.label(b.seconds), of(&b.instance))}</a>
                            </p>
                            {match (same, b.kind.artifact()) {
                                (false, _) => view! { <p class="note error">"A profile compares with a profile, a dump with a dump."</p> }.into_any(),
                                (true, ArtifactKind::Profile) => view! { <ProfileDiffView before after/> }.into_any(),
                                (true, ArtifactKind::ThreadDump) => view! { <DumpDiffView before after/> }.into_any(),
                            }}
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}
