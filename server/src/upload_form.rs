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

/// Query-string encoding of a message (everything but unreserved characters escaped).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[derive(Default)]
struct Form {
    service: String,
    kind: String,
    file: Option<Vec<u8>>,
}

async fn read(mut multipart: Multipart) -> Result<Form, String> {
    let mut form = Form::default();
    while let Some(field) = multipart.next_field().await.map_err(|e| format!("the upload broke off: {e}"))? {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field.bytes().await.map_err(|e| format!("the upload broke off: {e}"))?;
        match name.as_str() {
            "service" => form.service = String::from_utf8_lossy(&bytes).trim().to_string(),
            "kind" => form.kind = String::from_utf8_lossy(&bytes).trim().to_string(),
            "file" => form.file = Some(bytes.to_vec()),
            _ => {}
        }
    }
    Ok(form)
}

async fn upload(
    State(state): State<AppState>,
    Extension(caller): Extension<Caller>,
    multipart: Multipart,
) -> Response {
    let Ok(me) = caller.principal() else {
        return Redirect::to("/login?next=/services").into_response();
    };
    let form = match read(multipart).await {
        Ok(form) => form,
        Err(e) => return Redirect::to(&format!("/services?upload_error={}", encode(&e))).into_response(),
    };
    let back = |message: &str| {
        tracing::info!(service = %form.service, kind = %form.kind, error = message, "upload refused");
        Redirect::to(&format!(
            "/services/{}?upload_error={}#captures",
            encode(&form.service),
            encode(message)
        ))
        .into_response()
    };
    let Some(file) = form.file.as_deref().filter(|f| !f.is_empty()) else {
        return back("Choose a file to upload.");
    };
    match state.hub.captures.upload(me, &caller.source, &form.service, &form.kind, file).await {
        Ok(id) => Redirect::to(&format!("/captures/{id}")).into_response(),
        Err(e) => back(&AppError::from(e).message),
    }
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn messages_are_escaped_for_a_query_string() {
        assert_eq!(encode("not a profile: a&b=c #1"), "not%20a%20profile%3A%20a%26b%3Dc%20%231");
    }
}
