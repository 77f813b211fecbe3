//! How the hub calls out over HTTP (scrapes, captures, remote history, the demo fleet):
//! one client shape, and one way to read a body that may be too large.

use std::time::Duration;

/// The hub's HTTP client: never follows a redirect (only registered URLs are called, and a
/// redirect could lead anywhere), says who it is, and has an overall timeout when given.
pub fn client(timeout: Option<Duration>) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")));
    let builder = match timeout {
        Some(t) => builder.timeout(t),
        None => builder,
    };
    // Building fails only when the TLS backend cannot start; the default client then says
    // why on its first call.
    builder.build().unwrap_or_default()
}

/// Why a body could not be read whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    #[error("the body is over the {} MiB limit", .limit / (1024 * 1024))]
    TooLarge { limit: usize },
    #[error("the connection broke mid-body: {0}")]
    Broke(String),
}

/// Reads the whole body, refusing it as soon as it passes `limit` bytes (by its declared
/// length, or while it streams).
pub async fn read_limited(mut res: reqwest::Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    if res.content_length().is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut body = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| BodyError::Broke(describe(&e)))? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A request error in the user's terms, with its causes (reqwest hides them otherwise).
pub fn describe(e: &reqwest::Error) -> String {
    use std::error::Error;
    if e.is_connect() {
        return "connection refused (is it running?)".to_string();
    }
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text = format!("{text}: {s}");
        source = s.source();
    }
    text
}

/// The start of a body a peer sent with an error status, for the message that reports it.
pub async fn error_text(res: reqwest::Response) -> String {
    let text = read_limited(res, 64 * 1024).await.unwrap_or_default();
    String::from_utf8_lossy(&text).chars().take(200).collect()
}
