//! /api/v1 for what services and scripts push: events (a JSON array, size-limited), and the
//! API tokens they push with (`POST /api/v1/tokens`, optionally bound to one service by an
//! admin; `DELETE /api/v1/tokens/{id}`).

use crate::api_v1::signed_in;
use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, post};
use axum::{Extension, Json, Router};
use backend::alerts::events::{PushedEvent, MAX_BODY_BYTES};
use backend::Caller;
use serde::Deserialize;
use serde_json::{json, Value};
use types::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/events", post(push).layer(DefaultBodyLimit::max(MAX_BODY_BYTES)))
        .route("/tokens", post(create_token))
        .route("/tokens/{id}", delete(revoke_token))
}

/// → `{"accepted": N}`; a bad batch is refused whole (400 with the event and the reason).
async fn push(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(batch): Json<Vec<PushedEvent>>,
) -> Result<Json<Value>, ApiError> {
    let n = state.hub.alerts.push_events(signed_in(&caller)?, batch).await?;
    Ok(Json(json!({ "accepted": n })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    name: String,
    #[serde(default)]
    service: Option<String>,
}

/// → `{"id", "token", "name", "prefix", "service"}`: the secret is shown this once.
async fn create_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Json(body): Json<NewToken>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let me = signed_in(&caller)?;
    let service = body.service.as_deref().filter(|s| !s.is_empty());
    if let Some(s) = service {
        if state.hub.catalog.config().service(s).is_none() {
            return Err(ApiError(AppError::invalid(format!("no service named {s:?} in the config"))));
        }
    }
    let created = state.hub.accounts.create_token(me, &caller.source, &body.name, service).await?;
    let t = created.token;
    let body = json!({ "id": t.id, "token": created.secret, "name": t.name, "prefix": t.prefix, "service": t.service });
    Ok((StatusCode::CREATED, Json(body)))
}

async fn revoke_token(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.hub.accounts.revoke_token(signed_in(&caller)?, &caller.source, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
