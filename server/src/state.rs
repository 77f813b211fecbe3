use crate::http_metrics::HttpMetrics;
use axum::extract::FromRef;
use backend::Hub;
use leptos::prelude::LeptosOptions;

/// What the router's handlers share.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos: LeptosOptions,
    pub hub: Hub,
    pub metrics: HttpMetrics,
}
