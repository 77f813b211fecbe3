//! The hub's web UI: Leptos components rendered on the server and hydrated in the browser,
//! and the server functions they call.
#![recursion_limit = "256"]

pub mod api;
mod components;
mod pages;

use components::layout::{Header, StoreBanner};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;
use types::{AppError, Me};

/// The logged-in user, loaded once per page and shared by the shell and the pages.
pub type MeResource = Resource<Result<Option<Me>, AppError>>;

pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let me: MeResource = Resource::new(|| (), |()| api::auth::current_user());
    provide_context(me);
    components::layout::provide_status();
    // Tests and users click only after this marker: a click before hydration is lost.
    Effect::new(|_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/switchboard.css"/>
        <Title formatter=|page: String| format!("{page} · Switchboard")/>
        <Router>
            <Header/>
            <StoreBanner/>
            <main class="page">
                <ErrorBoundary fallback=components::errors::error_list>
                <Routes fallback=pages::not_found::NotFound>
                    <Route path=path!("/") view=pages::home::HomePage/>
                    <Route path=path!("/login") view=pages::login::LoginPage/>
                    <Route path=path!("/tokens") view=pages::tokens::TokensPage/>
                    <Route path=path!("/admin/users") view=pages::users::UsersPage/>
                    <Route path=path!("/audit") view=pages::audit::AuditPage/>
                    <Route path=path!("/services") view=pages::services::ServicesPage/>
                    <Route path=path!("/services/:name") view=pages::service::ServicePage/>
                    <Route
                        path=path!("/services/:name/instances/:instance")
                        view=pages::instance::InstancePage
                    />
                    <Route path=path!("/captures/:id") view=pages::capture::CapturePage/>
                    <Route
                        path=path!("/captures/:before/diff/:after")
                        view=pages::capture_diff::CaptureDiffPage
                    />
                    <Route
                        path=path!("/services/:name/conformance")
                        view=pages::service_conformance::ServiceConformancePage
                    />
                    <Route path=path!("/conformance") view=pages::conformance::ConformancePage/>
                    <Route path=path!("/catalog") view=pages::metric_catalog::MetricCatalogPage/>
                    <Route path=path!("/explore") view=pages::explore::ExplorePage/>
                    <Route path=path!("/checks") view=pages::checks::ChecksPage/>
                    <Route path=path!("/checks/:name") view=pages::checks::CheckPage/>
                    <Route path=path!("/checks/:name/runs/:id") view=pages::check_run::CheckRunPage/>
                    <Route path=path!("/alerts") view=pages::alerts::AlertsPage/>
                    <Route path=path!("/alerts/:id") view=pages::alerts::AlertPage/>
                    <Route path=path!("/silences") view=pages::alerts::SilencesPage/>
                    <Route path=path!("/incidents") view=pages::incidents::IncidentsPage/>
                    <Route path=path!("/incidents/:id") view=pages::incidents::IncidentPage/>
                    <Route path=path!("/traces") view=pages::traces::TracesPage/>
                    <Route path=path!("/traces/:id") view=pages::traces::TracePage/>
                    <Route path=path!("/lag") view=pages::lag::LagPage/>
                    <Route path=path!("/lag/:name") view=pages::lag::ReadModelPage/>
                    <Route path=path!("/admin/config") view=pages::config::ConfigPage/>
                    <Route path=path!("/admin/demo") view=pages::demo::DemoPage/>
                </Routes>
                </ErrorBoundary>
            </main>
        </Router>
    }
}
