use leptos::prelude::*;
use types::{AppError, AuditEntryView, AuditFilter};

#[server]
pub async fn list_audit(#[server(default)] filter: AuditFilter) -> Result<Vec<AuditEntryView>, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.audit.list(&me, &filter, backend::audit::PAGE_SIZE).await.or_else(super::context::fail)
}
