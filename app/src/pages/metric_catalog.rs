use crate::api::metrics::metric_families;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use types::{CatalogFamilyView, Role};

#[component]
pub fn MetricCatalogPage() -> impl IntoView {
    view! {
        <Title text="Metric catalog"/>
        <RequireRole role=Role::Viewer>
            <Catalog/>
        </RequireRole>
    }
}

#[component]
fn Catalog() -> impl IntoView {
    let families = Resource::new(|| (), |()| metric_families());
    view! {
        <h1>"The shared metric format"</h1>
        <p class="lead">
            "What every service exposes on " <code>"/metrics"</code> " (Prometheus text 0.0.4 or OpenMetrics 1.0) "
            "to get the standard panels and alerts. A service's config names the profiles it implements "
            "(" <code>"metric_profiles"</code> "); " <strong>"process"</strong> " applies to every service."
        </p>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match families.await {
                    Ok(list) => list.into_iter().map(family_card).collect_view().into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn family_card(f: CatalogFamilyView) -> impl IntoView {
    let labels = |l: &[String]| if l.is_empty() { "none".to_string() } else { l.join(", ") };
    let help = format!("# HELP {} {}\n# TYPE {} {}\n{}", f.name, f.help, f.name, f.kind, f.example);
    view! {
        <section class="card family" data-family=f.name.clone()>
            <h2><code>{f.name.clone()}</code> " " <span class="pill">{f.kind.clone()}</span> " " <span class="pill">{f.profile.clone()}</span></h2>
            <p>{f.help.clone()}</p>
            <dl class="facts">
                <dt>"Unit"</dt><dd>{if f.unit.is_empty() { "none".to_string() } else { f.unit.clone() }}</dd>
                <dt>"Required labels"</dt><dd>{labels(&f.required_labels)}</dd>
                <dt>"Allowed labels"</dt><dd>{labels(&f.allowed_labels)}</dd>
                <dt>"Series at most"</dt><dd>{f.max_series}</dd>
                <dt>"Panel"</dt><dd>{if f.panel.is_empty() { "–".to_string() } else { f.panel.replace('_', " ") }}</dd>
            </dl>
            <pre class="config">{help}</pre>
        </section>
    }
}
