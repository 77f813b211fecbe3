//! Changes to services.

use leptos::prelude::*;
use types::changes::ChangeView;
use types::AppError;

/// The server's clock and a service's changes of the last `days`, newest first.
#[server]
pub async fn service_changes(service: String, days: i64) -> Result<(i64, Vec<ChangeView>), AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let now = backend::now_ms();
    let query = backend::changes::ChangeQuery {
        services: vec![service],
        since_ms: Some(now - days.clamp(1, 90) * 86_400_000),
        until_ms: None,
        limit: 200,
    };
    let list = hub.changes.list(&me, query).await.or_else(super::context::fail)?;
    Ok((now, list))
}
