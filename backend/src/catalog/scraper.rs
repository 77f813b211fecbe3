//! The scrape job: every instance on its service's interval, each in its own task, so a
//! slow or dead instance never delays the others. A scrape has a timeout, a body size
//! limit and a place in a global concurrency limit; its outcome is the instance's health.

use super::health::InstanceHealth;
use super::Catalog;
use crate::now_ms;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

pub const BODY_LIMIT: usize = 16 * 1024 * 1024;
const MAX_CONCURRENT: usize = 64;
const MAX_TIMEOUT: Duration = Duration::from_secs(10);
/// Like Prometheus: OpenMetrics first, the classic text format as the fallback.
const ACCEPT: &str =
    "application/openmetrics-text;version=1.0.0;q=0.9,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

/// One instance to scrape: resolved URL (or why there is none) and timing.
#[derive(Clone, Debug)]
pub struct Target {
    pub service: String,
    pub instance: String,
    pub url: Result<String, String>,
    pub interval: Duration,
    /// Profiles of the shared metric format the service implements.
    pub profiles: Vec<String>,
}

#[derive(Debug)]
pub struct Scraped {
    pub body: Vec<u8>,
    pub content_type: String,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        // Only registered URLs are called: a redirect could lead anywhere.
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("switchboard/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_default()
}

/// Runs until `shutdown`; starts over whenever the catalog's config changes.
pub async fn run(catalog: Arc<Catalog>, shutdown: CancellationToken) {
    let client = client();
    let limit = Arc::new(Semaphore::new(MAX_CONCURRENT));
    let mut changes = catalog.subscribe();
    loop {
        let generation = shutdown.child_token();
        let tasks = TaskTracker::new();
        for target in catalog.targets() {
            let (catalog, client, limit, stop) =
                (catalog.clone(), client.clone(), limit.clone(), generation.clone());
            tasks.spawn(scrape_loop(catalog, client, limit, target, stop));
        }
        tasks.close();
        let restart = tokio::select! {
            () = shutdown.cancelled() => false,
            changed = changes.changed() => changed.is_ok(),
        };
        generation.cancel();
        tasks.wait().await;
        if !restart {
            return;
        }
    }
}

async fn scrape_loop(
    catalog: Arc<Catalog>,
    client: reqwest::Client,
    limit: Arc<Semaphore>,
    target: Target,
    stop: CancellationToken,
) {
    let mut tick = tokio::time::interval(target.interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        let health = match &target.url {
            Err(why) => {
                catalog.metrics.failed(&target.service, &target.instance, why, None);
                InstanceHealth {
                    up: false,
                    last_scrape_ms: Some(now_ms()),
                    error: Some(why.clone()),
                    ..Default::default()
                }
            }
            Ok(url) => {
                let Ok(_permit) = limit.acquire().await else {
                    return;
                };
                let timeout = target.interval.min(MAX_TIMEOUT);
                let started = Instant::now();
                let outcome = tokio::select! {
                    () = stop.cancelled() => return,
                    outcome = scrape(&client, url, timeout, BODY_LIMIT) => outcome,
                };
                let took_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
                let duration_ms = Some(took_ms);
                match outcome {
                    Ok(scraped) => {
                        let bytes = Some(i64::try_from(scraped.body.len()).unwrap_or(i64::MAX));
                        // Like Prometheus: a body that does not parse makes the scrape fail.
                        let parsed = catalog.ingest(&target, &scraped, took_ms);
                        InstanceHealth {
                            up: parsed.is_ok(),
                            last_scrape_ms: Some(now_ms()),
                            duration_ms,
                            bytes,
                            error: parsed.err(),
                        }
                    }
                    Err(error) => {
                        tracing::debug!(service = %target.service, instance = %target.instance, %error, "scrape failed");
                        catalog.metrics.failed(&target.service, &target.instance, &error, duration_ms);
                        InstanceHealth {
                            up: false,
                            last_scrape_ms: Some(now_ms()),
                            duration_ms,
                            bytes: None,
                            error: Some(error),
                        }
                    }
                }
            }
        };
        catalog.health.set(&target.service, &target.instance, health);
    }
}

/// One scrape: the reason it failed is said in the user's terms.
pub async fn scrape(
    client: &reqwest::Client,
    url: &str,
    timeout: Duration,
    limit: usize,
) -> Result<Scraped, String> {
    let work = async {
        let mut res =
            client.get(url).header(reqwest::header::ACCEPT, ACCEPT).send().await.map_err(|e| describe(&e))?;
        let status = res.status();
        if !status.is_success() {
            return Err(format!("HTTP {status} from {url}"));
        }
        if res.content_length().is_some_and(|n| n > limit as u64) {
            return Err(format!("the body is over the {} MiB limit", limit / (1024 * 1024)));
        }
        let content_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut body = Vec::new();
        while let Some(chunk) =
            res.chunk().await.map_err(|e| format!("the connection broke mid-body: {}", describe(&e)))?
        {
            if body.len() + chunk.len() > limit {
                return Err(format!("the body is over the {} MiB limit", limit / (1024 * 1024)));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Scraped { body, content_type })
    };
    tokio::time::timeout(timeout, work)
        .await
        .unwrap_or_else(|_| Err(format!("did not answer within {:.1} s", timeout.as_secs_f64())))
}

fn describe(e: &reqwest::Error) -> String {
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
