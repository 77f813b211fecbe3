//! The scrape job: every instance on its service's interval, each in its own task, so a
//! slow or dead instance never delays the others. A scrape has a timeout, a body size
//! limit and a place in a global concurrency limit; its outcome is the instance's health.

use super::Metrics;
use crate::catalog::health::InstanceHealth;
use crate::catalog::{Target, Unresolved};
use crate::http::BodyError;
use crate::now_ms;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;

pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
const MAX_CONCURRENT: usize = 64;
const MAX_TIMEOUT: Duration = Duration::from_secs(10);
/// Like Prometheus: OpenMetrics first, the classic text format as the fallback.
const ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

#[derive(Debug)]
pub struct Scraped {
    pub body: Vec<u8>,
    pub content_type: String,
}

/// Why a scrape got no body, in the user's terms.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScrapeError {
    #[error(transparent)]
    Unresolved(#[from] Unresolved),
    #[error("did not answer within {:.1} s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("HTTP {status} from {url}")]
    Status { status: reqwest::StatusCode, url: String },
    #[error(transparent)]
    Body(#[from] BodyError),
    #[error("{0}")]
    Request(String),
}

/// The scrape job of one hub.
pub struct Scraper {
    metrics: Arc<Metrics>,
    client: reqwest::Client,
    limit: Arc<Semaphore>,
}

impl Scraper {
    pub fn new(metrics: Arc<Metrics>) -> Scraper {
        Scraper {
            metrics,
            client: crate::http::client(None),
            limit: Arc::new(Semaphore::new(MAX_CONCURRENT)),
        }
    }

    /// Scrapes every target once, all at once.
    pub async fn run_once(&self) {
        let tasks: Vec<_> = self.metrics.targets().into_iter().map(|t| self.scrape(t)).collect();
        futures::future::join_all(tasks).await;
    }

    /// Runs until `shutdown`; starts over whenever the catalog's config changes.
    pub async fn run(self: Arc<Self>, shutdown: CancellationToken) {
        let changes = self.metrics.catalog().subscribe();
        crate::jobs::per_config(changes, shutdown, |tasks, generation| {
            for target in self.metrics.targets() {
                tasks.spawn(self.clone().scrape_loop(target, generation.clone()));
            }
            std::future::ready(())
        })
        .await;
    }

    async fn scrape_loop(self: Arc<Self>, target: Target, stop: CancellationToken) {
        let mut tick = tokio::time::interval(target.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = tick.tick() => {}
            }
            tokio::select! {
                () = stop.cancelled() => return,
                () = self.scrape(target.clone()) => {}
            }
        }
    }

    /// One scrape of one target, recorded as its health and (when it has a body) ingested.
    async fn scrape(&self, target: Target) {
        let started = Instant::now();
        let outcome = match &target.url {
            Err(why) => Err(ScrapeError::Unresolved(why.clone())),
            Ok(url) => {
                let Ok(_permit) = self.limit.acquire().await else { return };
                fetch(&self.client, url, target.interval.min(MAX_TIMEOUT), BODY_LIMIT).await
            }
        };
        let took_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let health = match outcome {
            Ok(scraped) => {
                let bytes = Some(i64::try_from(scraped.body.len()).unwrap_or(i64::MAX));
                // Like Prometheus: a body that does not parse makes the scrape fail.
                let parsed = self.metrics.ingest(&target, &scraped, took_ms);
                InstanceHealth {
                    up: parsed.is_ok(),
                    last_scrape_ms: Some(now_ms()),
                    duration_ms: Some(took_ms),
                    bytes,
                    error: parsed.err().map(|e| e.to_string()),
                }
            }
            Err(error) => {
                let unresolved = matches!(error, ScrapeError::Unresolved(_));
                let duration_ms = (!unresolved).then_some(took_ms);
                tracing::debug!(service = %target.service, instance = %target.instance, %error, "scrape failed");
                self.metrics.failed(&target, &error.to_string(), duration_ms);
                InstanceHealth {
                    up: false,
                    last_scrape_ms: Some(now_ms()),
                    duration_ms,
                    bytes: None,
                    error: Some(error.to_string()),
                }
            }
        };
        self.metrics.catalog().health.set(&target.service, &target.instance, health);
    }
}

/// One scrape: the reason it failed is said in the user's terms.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    limit: usize,
) -> Result<Scraped, ScrapeError> {
    let work = async {
        let res = client
            .get(url)
            .header(reqwest::header::ACCEPT, ACCEPT)
            .send()
            .await
            .map_err(|e| ScrapeError::Request(crate::http::describe(&e)))?;
        let status = res.status();
        if !status.is_success() {
            return Err(ScrapeError::Status { status, url: url.to_string() });
        }
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let body = crate::http::read_limited(res, limit).await?;
        Ok(Scraped { body, content_type })
    };
    tokio::time::timeout(timeout, work).await.unwrap_or(Err(ScrapeError::Timeout(timeout)))
}
