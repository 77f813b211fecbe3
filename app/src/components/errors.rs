use leptos::prelude::*;
use types::{AppError, ErrorKind};

/// One error, as the user should read it.
#[component]
pub fn ErrorNote(error: AppError) -> impl IntoView {
    let class = match error.kind {
        ErrorKind::Unavailable => "note error unavailable",
        _ => "note error",
    };
    view! { <p class=class role="alert">{error.message}</p> }
}

/// What a page says when what it shows does not exist: once, with a way back.
pub fn not_found(error: &AppError, back_href: &'static str, back_label: &'static str) -> impl IntoView {
    view! {
        <section class="card gone" data-testid="not-found">
            <h2>"Not found"</h2>
            <p>{error.message.clone()}</p>
            <p><a href=back_href>{format!("← {back_label}")}</a></p>
        </section>
    }
}

/// The fallback of the shell's error boundaries: every AppError message, or a generic one.
pub fn error_list(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="note error" role="alert">
            {move || {
                errors
                    .get()
                    .into_iter()
                    .map(|(_, e)| {
                        let text = e
                            .downcast_ref::<AppError>()
                            .map_or_else(|| e.to_string(), |a| a.message.clone());
                        view! { <p>{text}</p> }
                    })
                    .collect_view()
            }}
        </div>
    }
}

/// The outcome of the last submission of a form: its error, or a confirmation.
pub fn action_outcome<T: Send + Sync + 'static>(
    value: impl Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
    done: &'static str,
) -> impl IntoView {
    move || {
        value.get().map(|r| match r {
            Ok(_) => view! { <p class="note ok" role="status">{done}</p> }.into_any(),
            Err(e) => view! { <ErrorNote error=e/> }.into_any(),
        })
    }
}
