//! `POST /captures/upload`: the service page's upload form (multipart, no script needed).
//! It opens the new capture, or goes back to the service with the reason it was refused.

use crate::state::AppState;
use axum::extract::{DefaultBodyLimit, Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Router};
use backend::Caller;
use types::AppError;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/captures/upload", post(upload))
        // The artifact limit, and room for the form's other fields.
        .layer(DefaultBodyLimit::max(backend::profiling::MAX_ARTIFACT + 64 * 1024))
}

#[derive(Default)]
struct Form {
    service: String,
    kind: String,
    file: Option<Vec<u8>>,
}

fn broke_off(e: &axum::extract::multipart::MultipartError) -> String {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        format!("too large: the limit is {} MiB", backend::profiling::MAX_ARTIFACT / (1024 * 1024))
    } else {
        format!("the upload broke off: {e}")
    }
}

/// The form's fields; on an error, what was read before it (the service comes first).
async fn read(mut multipart: Multipart) -> (Form, Option<String>) {
    let mut form = Form::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return (form, None),
            Err(e) => return (form, Some(broke_off(&e))),
        };
        let name = field.name().unwrap_or_default().to_string();
        let bytes = match field.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return (form, Some(broke_off(&e))),
        };
        match name.as_str() {
            "service" => form.service = String::from_utf8_lossy(&bytes).trim().to_string(),
            "kind" => form.kind = String::from_utf8_lossy(&bytes).trim().to_string(),
            "file" => form.file = Some(bytes.to_vec()),
            _ => {}
        }
    }
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    multipart: Multipart,
) -> Response {
    let Ok(me) = caller.principal() else {
        return Redirect::to("/login?next=/services").into_response();
    };
    let (form, failed) = read(multipart).await;
    let back = |message: &str| {
        tracing::info!(service = %form.service, kind = %form.kind, error = message, "upload refused");
        Redirect::to(&format!(
            "/services/{}?upload_error={}#captures",
            types::url::encode(&form.service),
            types::url::encode(message)
        ))
        .into_response()
    };
    if let Some(e) = failed {
        return back(&e);
    }
    let Some(file) = form.file.as_deref().filter(|f| !f.is_empty()) else {
        return back("Choose a file to upload.");
    };
    let kind = match form.kind.parse::<types::CaptureKind>() {
        Ok(kind) => kind,
        Err(why) => return back(&why),
    };
    match state.hub.captures.upload(me, &caller.source, &form.service, kind, file).await {
        Ok(id) => Redirect::to(&format!("/captures/{id}")).into_response(),
        Err(e) => back(&AppError::from(e).message),
    }
}
