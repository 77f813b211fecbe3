use crate::api::catalog::{running_config, ReloadConfig};
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use types::time::format_ms;
use types::{DiffOp, ReloadOutcome, Role};

#[component]
pub fn ConfigPage() -> impl IntoView {
    view! {
        <Title text="Config"/>
        <RequireRole role=Role::Admin>
            <Config/>
        </RequireRole>
    }
}

#[component]
fn Config() -> impl IntoView {
    let reload = ServerAction::<ReloadConfig>::new();
    let config = Resource::new(move || reload.version().get(), |_| running_config());
    view! {
        <h1>"Configuration"</h1>
        <p class="lead">
            "Services and instances are declared in the config file. Edit the file, then reload: "
            "the new file is checked first, and a bad one leaves the running config as it is. "
            "Sending SIGHUP to the hub does the same."
        </p>
        <ActionForm action=reload>
            <button type="submit" disabled=move || reload.pending().get()>"Reload from file"</button>
        </ActionForm>
        {move || reload.value().get().map(|r| match r {
            Ok(outcome) => outcome_view(outcome).into_any(),
            Err(error) => view! { <ErrorNote error/> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match config.await {
                    Ok(c) => view! {
                        <section class="card">
                            <h2>"Running config"</h2>
                            <p class="muted"><code>{c.file}</code> " · loaded " {format_ms(c.loaded_ms)}</p>
                            <pre class="config" data-testid="running-config">{c.text}</pre>
                        </section>
                    }.into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn outcome_view(o: ReloadOutcome) -> impl IntoView {
    if !o.applied {
        let message = o.error.unwrap_or_else(|| "The reload was refused.".into());
        return view! {
            <div class="note error" role="alert" data-testid="reload-outcome">
                <p><strong>"Not reloaded: "</strong> {message}</p>
                <p>"The running config is unchanged."</p>
            </div>
        }
        .into_any();
    }
    let notes = o.notes.into_iter().map(|n| view! { <p>{n}</p> }).collect_view();
    let lines = o
        .diff
        .into_iter()
        .filter(|l| l.op != DiffOp::Same)
        .map(|l| {
            let (class, sign) = match l.op {
                DiffOp::Added => ("added", "+ "),
                DiffOp::Removed => ("removed", "- "),
                DiffOp::Same => ("same", "  "),
            };
            view! { <div class=class>{sign}{l.text}</div> }
        })
        .collect_view();
    view! {
        <div class="note ok" role="status" data-testid="reload-outcome">
            <p><strong>"Reloaded."</strong></p>
            {notes}
        </div>
        <pre class="diff">{lines}</pre>
    }
    .into_any()
}
