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
        .route("/captures", post(request_capture))
        .route("/captures/{id}", get(capture))
        .route("/captures/{id}/raw", get(capture_raw))
        .route("/captures/{id}/threads", get(capture_threads))
        .route("/captures/{id}/top", get(capture_top))
        .route("/uploads", post(upload))
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

fn signed_in(caller: &Caller) -> Result<&backend::Principal, ApiError> {
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

#[derive(Deserialize)]
struct CaptureBody {
    service: String,
    instance: String,
    kind: String,
    seconds: Option<i64>,
}

async fn request_capture(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<CaptureBody>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let me = signed_in(&caller)?;
    let captures = &state.hub.captures;
    let id =
        captures.request(me, &caller.source, &body.service, &body.instance, &body.kind, body.seconds).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

async fn capture(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<types::CaptureView>, ApiError> {
    Ok(Json(state.hub.captures.get(signed_in(&caller)?, id).await?))
}

async fn capture_raw(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let (bytes, name) = state.hub.captures.raw(signed_in(&caller)?, id).await?;
    let disposition = format!("attachment; filename=\"{name}\"");
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}

async fn capture_threads(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<Json<threaddump::Analysis>, ApiError> {
    Ok(Json(state.hub.captures.threads(signed_in(&caller)?, id).await?))
}

#[derive(Deserialize)]
struct UploadQuery {
    kind: String,
    service: String,
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    axum::extract::Query(q): axum::extract::Query<UploadQuery>,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let me = signed_in(&caller)?;
    let id = state.hub.captures.upload(me, &caller.source, &q.service, &q.kind, &body).await?;
    Ok(Json(serde_json::json!({ "id": id })))
}

#[derive(Deserialize)]
struct TopQuery {
    sample: Option<String>,
}

async fn capture_top(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<TopQuery>,
) -> Result<Json<pprofile::Top>, ApiError> {
    Ok(Json(state.hub.captures.top(signed_in(&caller)?, id, q.sample.as_deref()).await?))
}
