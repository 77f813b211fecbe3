//! The versioned JSON API for scripts, CI and services: another thin adapter over the
//! same backend services as the server functions. Every error it answers, its extractors'
//! rejections included, is `{"error", "message"}` (see error.rs).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{middleware, Extension, Json, Router};
use backend::auth::LoginAttempt;
use backend::{Caller, Principal};
use serde::Deserialize;
use tower_sessions::Session;
use types::{ConformanceMatrix, Me, ServiceConformance, ServiceView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/services", get(services))
        .route("/services/{name}", get(service))
        .route("/services/{name}/conformance", get(service_conformance))
        .route("/conformance", get(conformance))
        .merge(crate::api_audit::router())
        .merge(crate::api_captures::router())
        .merge(crate::api_lag::router())
        .merge(crate::api_alerts::router())
        .merge(crate::api_events::router())
        .merge(crate::api_changes::router())
        .merge(crate::api_traces::router())
        .merge(crate::api_incidents::router())
        .merge(crate::api_checks::router())
        .fallback(|| async { StatusCode::NOT_FOUND })
        .layer(middleware::from_fn(crate::error::json_errors))
}

#[derive(Deserialize)]
struct LoginBody {
    username: String,
    password: String,
}

async fn login(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    session: Session,
    Json(body): Json<LoginBody>,
) -> Result<Json<Me>, ApiError> {
    let attempt = LoginAttempt { username: &body.username, password: body.password, source: &caller.source };
    let user = state.hub.accounts.log_in(&session, attempt).await?;
    Ok(Json(Me { username: user.username, role: user.role }))
}

async fn logout(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    session: Session,
) -> Result<StatusCode, ApiError> {
    state.hub.accounts.log_out(&session, caller.identity()?, &caller.source).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Extension(caller): Extension<Caller>) -> Result<Json<Me>, ApiError> {
    let p = caller.principal()?;
    Ok(Json(Me { username: p.username.clone(), role: p.role }))
}

/// The logged-in principal, or the reason there is none.
pub(crate) fn signed_in(caller: &Caller) -> Result<&Principal, ApiError> {
    Ok(caller.principal()?)
}

async fn services(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<Vec<ServiceView>>, ApiError> {
    Ok(Json(state.hub.catalog.services(signed_in(&caller)?)))
}

async fn service(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<ServiceView>, ApiError> {
    Ok(Json(state.hub.catalog.service(signed_in(&caller)?, &name)?.service))
}

async fn conformance(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
) -> Result<Json<ConformanceMatrix>, ApiError> {
    Ok(Json(state.hub.metrics.conformance_matrix(signed_in(&caller)?)))
}

async fn service_conformance(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<ServiceConformance>, ApiError> {
    Ok(Json(state.hub.metrics.service_conformance(signed_in(&caller)?, &name)?))
}
