//! Traces: the spans services export to the hub over OTLP/HTTP (`POST /v1/traces`), kept
//! for `[tracing] retention` and sampled (`sample_rate`, error traces always kept), or read
//! from an existing Jaeger; a trace read as a tree with the first failing service named.

pub mod analysis;
mod jaeger;
mod sampler;
mod store;

pub use analysis::Blame;
pub use store::TraceQuery;

use crate::catalog::Catalog;
use crate::jobs::Job;
use crate::rate::PerSecond;
use crate::store::Store;
use crate::{now_ms, BackendError, Principal};
use otlp::Encoding;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use types::traces::{TraceSummary, TraceView};
use types::Role;

/// Exports one caller may send per second.
const EXPORTS_PER_SECOND: u32 = 50;
/// The largest body `POST /v1/traces` reads (before inflating).
pub const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

#[derive(Debug)]
pub struct Traces {
    store: Store,
    catalog: Arc<Catalog>,
    rate: PerSecond,
    sampler: Mutex<sampler::Sampler>,
    http: reqwest::Client,
}

/// Why an id is not a trace id.
fn check_id(trace_id: &str) -> Result<(), BackendError> {
    let ok = matches!(trace_id.len(), 16 | 32) && trace_id.bytes().all(|b| b.is_ascii_hexdigit());
    if ok {
        Ok(())
    } else {
        Err(BackendError::Invalid(format!("{trace_id:?} is not a trace id (16 or 32 hex digits)")))
    }
}

impl Traces {
    pub fn new(store: Store, catalog: Arc<Catalog>) -> Traces {
        Traces {
            store,
            catalog,
            rate: PerSecond::new(EXPORTS_PER_SECOND),
            sampler: Mutex::default(),
            http: crate::http::client(Some(Duration::from_secs(10))),
        }
    }

    /// Keeps an OTLP export (gzipped or not); how many spans it carried. A token bound to a
    /// service exports that service's spans only; otherwise developers and up.
    pub async fn ingest(
        &self,
        actor: &Principal,
        body: &[u8],
        encoding: Encoding,
        gzipped: bool,
    ) -> Result<usize, BackendError> {
        if actor.service.is_none() {
            actor.require(Role::Developer)?;
        }
        let now = now_ms();
        self.rate.admit(actor, now, "exports")?;
        let refused = |e: otlp::DecodeError| BackendError::Invalid(format!("nothing was kept: {e}"));
        let inflated;
        let body = if gzipped {
            inflated = otlp::gunzip(body).map_err(refused)?;
            &inflated[..]
        } else {
            body
        };
        let spans = otlp::decode(body, encoding).map_err(refused)?;
        if let Some(only) = &actor.service {
            if let Some(other) = spans.iter().find(|s| &s.span.service != only) {
                return Err(BackendError::Invalid(format!(
                    "nothing was kept: this token exports spans of {only} only, not of {}",
                    other.span.service
                )));
            }
        }
        let count = spans.len();
        let rate = self.catalog.config().tracing.sample_rate;
        let kept = self.sampler.lock().unwrap_or_else(PoisonError::into_inner).keep(spans, rate, now);
        if !kept.is_empty() {
            store::insert(&self.store, &kept, now).await?;
        }
        Ok(count)
    }

    /// One trace as the page reads it; from Jaeger when the config names one.
    pub async fn trace(&self, _actor: &Principal, trace_id: &str) -> Result<TraceView, BackendError> {
        self.read(trace_id).await
    }

    async fn read(&self, trace_id: &str) -> Result<TraceView, BackendError> {
        check_id(trace_id)?;
        let trace_id = trace_id.to_ascii_lowercase();
        let config = self.catalog.config();
        let (spans, source) = match &config.tracing.jaeger {
            Some(base) => (jaeger::trace(&self.http, base, &trace_id).await?.unwrap_or_default(), "jaeger"),
            None => (store::trace(&self.store, &trace_id).await?, "hub"),
        };
        if spans.is_empty() {
            return Err(BackendError::NotFound(format!(
                "no trace {trace_id} (kept {} here)",
                config.tracing.retention
            )));
        }
        let mut view = analysis::assemble(&trace_id, spans);
        view.source = source.to_string();
        view.viewer_url = config.tracing.viewer(&trace_id);
        Ok(view)
    }

    /// Traces with a span that matches, newest first.
    pub async fn search(
        &self,
        _actor: &Principal,
        q: &TraceQuery,
    ) -> Result<Vec<TraceSummary>, BackendError> {
        let config = self.catalog.config();
        match &config.tracing.jaeger {
            Some(base) => jaeger::search(&self.http, base, q).await,
            None => store::search(&self.store, q).await,
        }
    }

    /// The services the spans of these traces (those the hub keeps) belong to; none when they
    /// cannot be read.
    pub async fn services_in(&self, trace_ids: &[String]) -> Vec<String> {
        let ids: Vec<String> =
            trace_ids.iter().filter(|t| check_id(t).is_ok()).map(|t| t.to_ascii_lowercase()).collect();
        if ids.is_empty() {
            return Vec::new();
        }
        store::services_in(&self.store, &ids).await.unwrap_or_else(|e| {
            tracing::warn!(error = %e, "traces: cannot read the services of traces");
            Vec::new()
        })
    }

    /// Where the failures of these traces started (`analysis::blame`'s first), over those the
    /// hub can read.
    pub async fn blame(&self, trace_ids: &[String]) -> Option<Blame> {
        analysis::blame(&self.readable(trace_ids).await).into_iter().next()
    }

    /// Those of these traces the hub can read (its store, or Jaeger), each as a tree; the
    /// others are left out (not kept, sampled away, past the retention).
    pub async fn readable(&self, trace_ids: &[String]) -> Vec<TraceView> {
        let mut out = Vec::new();
        for id in trace_ids {
            if let Ok(view) = self.read(id).await {
                out.push(view);
            }
        }
        out
    }
}

/// Deletes spans past the retention, every minute.
#[derive(Debug)]
pub struct TraceRetention(pub Arc<Traces>);

#[async_trait::async_trait]
impl Job for TraceRetention {
    fn name(&self) -> &'static str {
        "trace retention"
    }

    async fn run_once(&self) -> Result<(), BackendError> {
        let keep = self.0.catalog.config().tracing.retention();
        let before = now_ms() - i64::try_from(keep.as_millis()).unwrap_or(i64::MAX);
        let n = store::forget(&self.0.store, before).await?;
        if n > 0 {
            tracing::info!(spans = n, "traces: deleted spans past the retention");
        }
        Ok(())
    }
}
