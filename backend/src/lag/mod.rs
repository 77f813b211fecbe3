//! Read-model lag: measured by the hub itself with heartbeat probes (one clock for both ends),
//! held against each read model's SLO with its error budget, kept as history, and answered
//! through one service — the pages and API here, and the consistency verifier and the alerts
//! later ("what was the lag of R at time T, and its p99 over the last N minutes").

mod charts;
mod histogram;
mod keeper;
mod live;
mod probe;
mod store;
mod views;

pub use keeper::LagKeeper;
pub use views::window_ms;

use crate::catalog::Catalog;
use crate::config::read_models::ReadModelDef;
use crate::config::HubConfig;
use crate::connections::{Connections, DbPool};
use crate::metrics::Metrics;
use crate::store::Store;
use crate::{now_ms, BackendError};
use live::{Figures, Live};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use tokio_util::sync::CancellationToken;

/// One read model being measured.
pub struct ReadModel {
    pub def: ReadModelDef,
    source: DbPool,
    read: DbPool,
    source_url: String,
    read_url: String,
    live: Mutex<Live>,
    /// The store's id of the breach in progress.
    breach_id: Mutex<Option<i64>>,
    /// Queries made to each side (heartbeats, positions): what the probe costs.
    source_queries: std::sync::atomic::AtomicU64,
    read_queries: std::sync::atomic::AtomicU64,
}

impl ReadModel {
    fn lock(&self) -> MutexGuard<'_, Live> {
        self.live.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queries made to each side since the hub started.
    pub fn queries(&self) -> types::lag::LagQueries {
        use std::sync::atomic::Ordering::Relaxed;
        types::lag::LagQueries {
            source: self.source_queries.load(Relaxed),
            read: self.read_queries.load(Relaxed),
        }
    }

    pub fn name(&self) -> &str {
        self.def.name.get_ref()
    }
}

/// The lag service.
pub struct Lag {
    catalog: Arc<Catalog>,
    metrics: Arc<Metrics>,
    store: Store,
    connections: Connections,
    models: RwLock<Vec<Arc<ReadModel>>>,
}

impl std::fmt::Debug for Lag {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lag").finish_non_exhaustive()
    }
}

impl Lag {
    pub fn new(catalog: Arc<Catalog>, metrics: Arc<Metrics>, store: Store, connections: Connections) -> Lag {
        Lag { catalog, metrics, store, connections, models: RwLock::default() }
    }

    pub fn models(&self) -> Vec<Arc<ReadModel>> {
        self.models.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    fn model(&self, name: &str) -> Result<Arc<ReadModel>, BackendError> {
        self.models()
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| BackendError::NotFound(format!("no read model named {name}")))
    }

    /// The read models of the running config, with their history of the last day; a model
    /// unchanged by a reload keeps its state.
    async fn rebuild(&self) -> Vec<Arc<ReadModel>> {
        let config = self.catalog.config();
        let old = self.models();
        let mut models = Vec::new();
        for def in &config.read_models {
            if let Some(same) = old.iter().find(|m| m.def == *def) {
                models.push(same.clone());
                continue;
            }
            match self.build(&config, def).await {
                Ok(m) => models.push(Arc::new(m)),
                Err(why) => {
                    tracing::error!(read_model = %def.name.get_ref(), error = %why, "a read model cannot be measured")
                }
            }
        }
        for m in old.iter().filter(|m| !models.iter().any(|n| Arc::ptr_eq(m, n))) {
            m.source.close().await;
            m.read.close().await;
        }
        *self.models.write().unwrap_or_else(PoisonError::into_inner) = models.clone();
        models
    }

    async fn build(&self, config: &HubConfig, def: &ReadModelDef) -> Result<ReadModel, String> {
        let (source, source_url) = self.connections.open(config, def.source.get_ref())?;
        let (read, read_url) = self.connections.open(config, def.read.get_ref())?;
        let mut live = Live::new(def.slo_ms, def.breach_after());
        let name = def.name.get_ref();
        let now = now_ms();
        match store::probes_since(&self.store, name, now - live::KEEP_MS).await {
            Ok(probes) => {
                let last = probes.last().map_or(0, |p| p.0);
                if let Err(e) = store::close_open_breaches(&self.store, name, last, def.slo_ms).await {
                    tracing::warn!(error = %e, "could not close the breaches of the last run");
                }
                live.probes = probes.into();
                // The last day's breaches, for the chart's shading.
                if let Ok(mut breaches) = store::breaches_since(&self.store, name, now - live::KEEP_MS).await
                {
                    breaches.reverse();
                    live.recent_breaches = breaches.into();
                }
            }
            Err(e) => {
                tracing::warn!(read_model = %name, error = %e, "could not restore the lag history; starting empty")
            }
        }
        let window = i64::try_from(def.window().as_millis()).unwrap_or(i64::MAX);
        if let Ok(minutes) = store::minutes_since(&self.store, name, now - window).await {
            // The keeper goes on after the last minute kept (the probes since are restored).
            live.minute_saved = minutes.last().map(|m| m.minute_ms);
            for m in minutes {
                let count = |n: i64| u64::try_from(n).unwrap_or(0);
                live.minutes.push_back((m.minute_ms, count(m.probes), count(m.good)));
                if m.minute_ms >= now - live::KEEP_MS {
                    live.minute_hists.push_back((m.minute_ms, m.histogram));
                }
            }
        }
        Ok(ReadModel {
            def: def.clone(),
            source,
            read,
            source_url,
            read_url,
            live: Mutex::new(live),
            breach_id: Mutex::new(None),
            source_queries: std::sync::atomic::AtomicU64::new(0),
            read_queries: std::sync::atomic::AtomicU64::new(0),
        })
    }

    /// Probes every read model until `shutdown`; starts over on a config change.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let changes = self.catalog.subscribe();
        crate::jobs::per_config(changes, shutdown, |tasks, generation| {
            let lag = self.clone();
            async move {
                for m in lag.rebuild().await {
                    tasks.spawn(probe::run(m.clone(), generation.clone()));
                    tasks.spawn(probe::sides(m, lag.metrics.clone(), generation.clone()));
                }
            }
        })
        .await;
    }

    /// The lag of read model `name` at time `at_ms`: the probe that arrived nearest after it
    /// (or the heartbeat still on its way then); None when nothing was measured around it.
    pub fn lag_at(&self, name: &str, at_ms: i64) -> Option<f64> {
        let m = self.model(name).ok()?;
        let live = m.lock();
        live.probes.iter().find(|p| p.0 >= at_ms).map(|p| p.1).or_else(|| live.current(now_ms()).map(|c| c.0))
    }

    /// Whether read model `name` was in breach of its SLO or unknown at any time in
    /// `[from_ms, to_ms]` (the last day): a difference seen then may be lag, not corruption.
    /// An unknown read model counts as troubled.
    pub fn troubled_between(&self, name: &str, from_ms: i64, to_ms: i64) -> bool {
        self.model(name).map_or(true, |m| m.lock().troubled_between(from_ms, to_ms))
    }

    /// The lag of read model `name` right now (ms; a heartbeat still on its way counts with
    /// its age) and its SLO; the lag is None while it cannot be measured, and the whole is
    /// None for a read model the hub does not know.
    pub fn now(&self, name: &str) -> Option<(Option<f64>, f64)> {
        let m = self.model(name).ok()?;
        let live = m.lock();
        Some((live.current(now_ms()).map(|c| c.0), live.slo_ms))
    }

    /// The p99 of read model `name` over the last `minutes` minutes (ms).
    pub fn p99_over(&self, name: &str, minutes: i64) -> Option<f64> {
        let m = self.model(name).ok()?;
        let now = now_ms();
        let live = m.lock();
        Figures::of(live.between(now - minutes * 60_000, now).map(|p| p.1), live.slo_ms).p99
    }
}
