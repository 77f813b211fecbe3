//! Every route of the hub: pages and server functions (Leptos), /api/v1, health, metrics,
//! static files; and the layers every request passes through.

use crate::state::AppState;
use crate::{api_v1, http_metrics, identify, same_origin};
use app::{shell, App};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{middleware, Json, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::time::Duration;
use tower::ServiceExt;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::ServeDir;
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

pub struct RouterOptions {
    pub secure_cookies: bool,
    pub session_idle: Duration,
}

pub fn build(state: AppState, options: &RouterOptions) -> Router {
    let routes = generate_route_list(App);
    let hub = state.hub.clone();
    let leptos = state.leptos.clone();
    let sessions = SessionManagerLayer::new(state.hub.sessions.clone())
        .with_name("switchboard_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(options.secure_cookies)
        .with_expiry(Expiry::OnInactivity(time::Duration::seconds(
            i64::try_from(options.session_idle.as_secs()).unwrap_or(i64::MAX),
        )));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .nest("/api/v1", api_v1::router())
        .nest("/v1", crate::api_traces::receiver())
        .merge(crate::upload_form::router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(hub.clone()),
            move || shell(leptos.clone()),
        )
        .fallback(static_or_page)
        .layer(middleware::from_fn_with_state(state.clone(), identify::identify))
        .layer(sessions)
        .layer(middleware::from_fn(same_origin::refuse_cross_origin))
        .layer(middleware::from_fn_with_state(state.metrics.clone(), http_metrics::record))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let id = req.headers().get("x-request-id").and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", id = %id, method = %req.method(), path = %req.uri().path())
        }))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.hub.store.ping().await {
        (StatusCode::OK, Json(serde_json::json!({ "status": "ready" }))).into_response()
    } else {
        let body =
            serde_json::json!({ "status": "unavailable", "message": "the hub's store does not answer" });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    let mut body = state.metrics.render();
    body.push_str(&state.hub.alerts.render_metrics());
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], body).into_response()
}

/// A built asset (served pre-compressed when the release build left .br/.gz files beside
/// it), or else the app, whose router shows its Not found page.
async fn static_or_page(State(state): State<AppState>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let probe = Request::from_parts(parts.clone(), Body::empty());
    let files = ServeDir::new(&*state.leptos.site_root).precompressed_br().precompressed_gzip();
    let Ok(res) = files.oneshot(probe).await;
    if res.status() != StatusCode::NOT_FOUND {
        return res.map(Body::new).into_response();
    }
    let hub = state.hub.clone();
    let leptos = state.leptos.clone();
    let render = leptos_axum::render_app_to_stream_with_context(
        move || provide_context(hub.clone()),
        move || shell(leptos.clone()),
    );
    render(Request::from_parts(parts, body)).await.into_response()
}
