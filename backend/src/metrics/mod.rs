//! The shared metric format and everything the hub does with metrics: the catalog file of
//! families, scraping, parsing and checking each scrape (conformance), the embedded history,
//! the standard signals and panels (from the history or a remote query API), the explorer.
//! `Metrics` is the one service that owns them; the alerts and lag capabilities add their
//! signals here.

pub mod catalog;
pub mod chart;
pub mod conformance;
mod exemplars;
pub mod explore;
pub mod histogram;
pub mod history;
pub mod ingest;
mod key_signals;
pub mod merge;
pub mod panels;
pub mod remote;
pub mod scrape;
pub mod signals;
mod views;

pub use catalog::MetricCatalog;
pub use ingest::{
    ErrorTrace, IngestError, InstanceReport, LatencyExemplar, MetricsBoard, ScrapeGauges, ScrapeInput,
};
pub use signals::{Feed, Signals};

use crate::catalog::{Catalog, Target};
use crate::now_ms;
use history::History;
use scrape::Scraped;
use std::sync::Arc;
use tokio::sync::broadcast;

/// An instance was scraped: what its body said at once.
#[derive(Clone, Debug)]
pub struct ScrapeEvent {
    pub service: String,
    pub instance: String,
    pub gauges: ScrapeGauges,
    /// When the hub took it.
    pub scraped_ms: i64,
}

pub struct Metrics {
    catalog: Arc<Catalog>,
    board: MetricsBoard,
    history: Arc<History>,
    scrapes: broadcast::Sender<ScrapeEvent>,
    exemplars: exemplars::ExemplarLog,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").finish_non_exhaustive()
    }
}

impl Metrics {
    pub fn new(catalog: Arc<Catalog>) -> Metrics {
        let retention = catalog.config().metrics.retention();
        Metrics {
            catalog,
            board: MetricsBoard::default(),
            history: Arc::new(History::new(retention)),
            scrapes: broadcast::channel(1024).0,
            exemplars: exemplars::ExemplarLog::default(),
        }
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// The embedded history of every scraped series.
    pub fn history(&self) -> &Arc<History> {
        &self.history
    }

    /// Every instance to scrape; reports of instances no longer declared are forgotten.
    pub fn targets(&self) -> Vec<Target> {
        let targets = self.catalog.targets();
        let keep: Vec<(String, String)> =
            targets.iter().map(|t| (t.service.clone(), t.instance.clone())).collect();
        self.board.retain(&keep);
        targets
    }

    /// Every successful scrape, as it happens (a slow listener misses the oldest).
    pub fn scrapes(&self) -> broadcast::Receiver<ScrapeEvent> {
        self.scrapes.subscribe()
    }

    /// Parses, keeps and checks a scrape's body; an error is why the scrape failed.
    pub fn ingest(&self, target: &Target, scraped: &Scraped, duration_ms: i64) -> Result<(), IngestError> {
        let catalog = self.catalog.metric_catalog();
        let input = ScrapeInput {
            service: &target.service,
            instance: &target.instance,
            profiles: &target.profiles,
            body: &scraped.body,
            content_type: &scraped.content_type,
            duration_ms,
            scraped_ms: now_ms(),
        };
        let scraped_ms = input.scraped_ms;
        let gauges = self.board.ingest(&catalog, &self.history, &input)?;
        self.exemplars.record(&target.service, &target.instance, scraped_ms, &gauges.latency_exemplars);
        // Nobody listening is fine: the hub may run without capture triggers.
        let _ = self.scrapes.send(ScrapeEvent {
            service: target.service.clone(),
            instance: target.instance.clone(),
            gauges,
            scraped_ms,
        });
        Ok(())
    }

    /// The highest latest value of a family across a service's series since `since_ms`
    /// (a lag the service reports itself, say).
    pub fn latest(&self, service: &str, family: &str, since_ms: i64) -> Option<f64> {
        self.history
            .query(service, None, family, since_ms, now_ms())
            .iter()
            .filter_map(|(_, points)| points.last().map(|p| p.1))
            .filter(|v| v.is_finite())
            .reduce(f64::max)
    }

    /// Records a scrape that failed before there was a body to parse.
    pub fn failed(&self, target: &Target, error: &str, duration_ms: Option<i64>) {
        self.board.failed(&target.service, &target.instance, error, duration_ms);
    }
}
