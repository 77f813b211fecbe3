//! The versioned JSON API for scripts, CI and services: another thin adapter over the
//! same backend services as the server functions.

use crate::error::ApiError;
use crate::state::AppState;
use app::api::auth::SESSION_USER_KEY;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use backend::auth::LoginAttempt;
use backend::Caller;
use serde::Deserialize;
use tower_sessions::Session;
use types::{AppError, ConformanceMatrix, Me, ServiceConformance, ServiceView};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/services", get(services))
        .route("/services/{name}", get(service))
        .route("/services/{name}/conformance", get(service_conformance))
        .route("/conformance", get(conformance))
        .merge(crate::api_captures::router())
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
    let user = state.hub.accounts.login(attempt).await?;
    session.cycle_id().await.map_err(session_error)?;
    session.insert(SESSION_USER_KEY, user.id).await.map_err(session_error)?;
    Ok(Json(Me { username: user.username, role: user.role }))
}

async fn logout(session: Session) -> Result<StatusCode, ApiError> {
    session.flush().await.map_err(session_error)?;
    Ok(StatusCode::NO_CONTENT)
}

async fn me(Extension(caller): Extension<Caller>) -> Result<Json<Me>, ApiError> {
    if caller.store_down {
        return Err(AppError::unavailable("The hub's store is unavailable; retrying on its own.").into());
    }
    let p = caller.principal()?;
    Ok(Json(Me { username: p.username.clone(), role: p.role }))
}

fn session_error(e: tower_sessions::session::Error) -> ApiError {
    tracing::error!(error = %e, "session store failed");
    ApiError(AppError::unavailable("The session could not be stored; try again."))
}

pub(crate) fn signed_in(caller: &Caller) -> Result<&backend::Principal, ApiError> {
    if caller.store_down {
        return Err(AppError::unavailable("The hub's store is unavailable; retrying on its own.").into());
    }
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
    Ok(Json(state.hub.catalog.conformance_matrix(signed_in(&caller)?)))
}

async fn service_conformance(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Json<ServiceConformance>, ApiError> {
    Ok(Json(state.hub.catalog.service_conformance(signed_in(&caller)?, &name)?))
}
