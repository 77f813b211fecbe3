//! Works out who is calling (session cookie or bearer token) and from where, once per
//! request, and leaves a `Caller` in the request for handlers and server functions.

use crate::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use backend::{BackendError, Caller, Principal};
use std::net::SocketAddr;
use tower_sessions::Session;

pub async fn identify(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let source = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |ci| ci.0.ip().to_string());
    let bearer = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string());
    let session = req.extensions().get::<Session>().cloned();
    let found = match (bearer, session) {
        (Some(secret), _) => state.hub.accounts.principal_for_token(&secret).await,
        (None, Some(session)) => from_session(&state, &session).await,
        (None, None) => Ok(None),
    };
    let caller = match found {
        Ok(principal) => Caller { principal, source, store_down: false },
        Err(e) => {
            tracing::warn!(error = %e, "could not identify the caller");
            Caller { principal: None, source, store_down: true }
        }
    };
    // A token bound to a service pushes that service's events and changes, nothing else.
    let bound = caller.principal.as_ref().and_then(|p| p.service.clone());
    if let Some(service) = bound {
        let pushing = req.method() == axum::http::Method::POST && PUSHED.contains(&req.uri().path());
        if !pushing {
            let why = format!(
                "a token bound to {service} may only push its events, changes and spans ({})",
                PUSHED.join(", ")
            );
            return axum::response::IntoResponse::into_response(crate::error::ApiError(
                types::AppError::forbidden(why),
            ));
        }
    }
    req.extensions_mut().insert(caller);
    next.run(req).await
}

/// What a token bound to a service may POST.
const PUSHED: [&str; 3] = ["/api/v1/events", "/api/v1/changes", "/v1/traces"];

async fn from_session(state: &AppState, session: &Session) -> Result<Option<Principal>, BackendError> {
    let Some(user_id) = backend::auth::session_user(session).await? else {
        return Ok(None);
    };
    let principal = state.hub.accounts.principal_for_user(user_id).await?;
    if principal.is_none() {
        // The user was disabled or removed: end the session now, not at its expiry.
        let _ = session.flush().await;
    }
    Ok(principal)
}
