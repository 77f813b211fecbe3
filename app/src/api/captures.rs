//! Profiling captures: request, cancel, list, and the views of an artifact.

use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use types::profiles::{FlameGraph, Neighbours, Top, TopDiff};
use types::threads::{Analysis, DumpDiff};
use types::{AppError, CaptureKind, CaptureView};

/// Captures with the server's clock, so ages read the same in every browser.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CaptureList {
    pub now_ms: i64,
    pub captures: Vec<CaptureView>,
}

/// A capture with the server's clock (for the seconds left of a running one).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CaptureNow {
    pub now_ms: i64,
    pub capture: CaptureView,
}

/// Two profiles compared: the per-function table and the differential flamegraph.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ProfileComparison {
    pub table: TopDiff,
    pub flame: FlameGraph,
}

#[server]
pub async fn list_captures(service: String, instance: Option<String>) -> Result<CaptureList, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let captures =
        hub.captures.list(&me, &service, instance.as_deref()).await.or_else(super::context::fail)?;
    Ok(CaptureList { now_ms: backend::now_ms(), captures })
}

#[server(input = Json)]
pub async fn request_capture(
    service: String,
    instance: String,
    kind: CaptureKind,
    seconds: Option<i64>,
    #[server(default)] dumps: Option<i64>,
) -> Result<i64, AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.captures
        .request(&me, &source, &service, &instance, kind, (seconds, dumps))
        .await
        .or_else(super::context::fail)
}

#[server(input = Json)]
pub async fn cancel_capture(id: i64) -> Result<(), AppError> {
    let (hub, me, source) = super::context::signed_in()?;
    hub.captures.cancel(&me, &source, id).await.or_else(super::context::fail)
}

#[server]
pub async fn get_capture(id: i64) -> Result<CaptureNow, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let capture = hub.captures.get(&me, id).await.or_else(super::context::fail)?;
    Ok(CaptureNow { now_ms: backend::now_ms(), capture })
}

#[server]
pub async fn capture_top(id: i64, sample: Option<String>) -> Result<Top, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.captures.top(&me, id, sample.as_deref()).await.or_else(super::context::fail)
}

#[server]
pub async fn capture_flame(id: i64, sample: Option<String>, collapse: bool) -> Result<FlameGraph, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.captures.flame(&me, id, sample.as_deref(), collapse).await.or_else(super::context::fail)
}

#[server]
pub async fn capture_neighbours(
    id: i64,
    sample: Option<String>,
    function: String,
) -> Result<Neighbours, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.captures.neighbours(&me, id, sample.as_deref(), &function).await.or_else(super::context::fail)
}

#[server]
pub async fn profile_diff(
    before: i64,
    after: i64,
    sample: Option<String>,
    collapse: bool,
) -> Result<ProfileComparison, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    let (table, flame) = hub
        .captures
        .diff(&me, before, after, sample.as_deref(), collapse)
        .await
        .or_else(super::context::fail)?;
    Ok(ProfileComparison { table, flame })
}

#[server]
pub async fn capture_threads(id: i64) -> Result<Analysis, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.captures.threads(&me, id).await.or_else(super::context::fail)
}

#[server]
pub async fn capture_threads_series(id: i64) -> Result<types::threads::SeriesAnalysis, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.captures.threads_series(&me, id).await.or_else(super::context::fail)
}

#[server]
pub async fn threads_diff(before: i64, after: i64) -> Result<DumpDiff, AppError> {
    let (hub, me, _) = super::context::signed_in()?;
    hub.captures.threads_diff(&me, before, after).await.or_else(super::context::fail)
}
