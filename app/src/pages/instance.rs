use crate::components::captures::{CaptureButtons, CaptureTable};
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;
use types::Role;

/// One instance: capture buttons and the instance's captures.
#[component]
pub fn InstancePage() -> impl IntoView {
    let params = use_params_map();
    let service = move || params.get().get("name").unwrap_or_default();
    let instance = move || params.get().get("instance").unwrap_or_default();
    view! {
        <Title text=instance/>
        <RequireRole role=Role::Viewer>
            <p class="crumbs">
                <a href="/services">"Services"</a> " / "
                <a href=move || format!("/services/{}", service())>{service}</a> " / " {instance}
            </p>
            <h1>{instance}</h1>
            <section class="card">
                <h2>"Capture"</h2>
                <p class="muted">
                    "The hub calls this instance's profiling endpoints (as registered in the config) and keeps "
                    "the artifact; one capture per instance at a time."
                </p>
                {move || view! { <CaptureButtons service=service() instance=instance()/> }}
            </section>
            <section class="card">
                <h2>"Captures of this instance"</h2>
                {move || view! { <CaptureTable service=service() instance=instance()/> }}
            </section>
        </RequireRole>
    }
}
