//! The service catalog: services and instances declared in the config, their health from
//! the scrape job, and config reloads (validated first, shown as a diff, audited).

mod demo;
mod diff;
pub mod health;
pub mod scraper;

pub use demo::DemoControls;

use crate::audit::{AuditEvent, AuditLog, Outcome};
use crate::config::{ConfigFile, HubConfig, ServiceDef};
use crate::metrics::history::History;
use crate::metrics::panels::{self, PanelKind};
use crate::metrics::remote::RemoteHistory;
use crate::metrics::render;
use crate::metrics::{MetricCatalog, MetricsBoard, ScrapeInput};
use crate::HubSetup;
use crate::{now_ms, BackendError, Principal};
use health::HealthBoard;
use scraper::{Scraped, Target};
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use types::{
    CatalogFamilyView, ConfigView, ConformanceMatrix, ExploreView, FleetManifest, InstanceScrape,
    InstanceView, LinksView, MatrixRow, PanelView, ReloadOutcome, Role, RuleStatus, ServiceConformance,
    ServiceDetail, ServiceView, TimeRange,
};

struct Loaded {
    config: HubConfig,
    text: String,
    metric_catalog: Arc<MetricCatalog>,
    /// The Prometheus-compatible history backend, when the config names one.
    remote: Option<RemoteHistory>,
    loaded_ms: i64,
}

fn remote_of(config: &HubConfig) -> Option<RemoteHistory> {
    config.metrics.remote.as_ref().map(|r| {
        let timeout =
            r.timeout.as_deref().and_then(crate::config::parse_duration).unwrap_or(Duration::from_secs(10));
        RemoteHistory::new(&r.url, timeout)
    })
}

pub struct Catalog {
    file: ConfigFile,
    current: RwLock<Arc<Loaded>>,
    fleet: RwLock<Option<FleetManifest>>,
    demo_enabled: bool,
    pub health: HealthBoard,
    pub metrics: MetricsBoard,
    pub history: Arc<History>,
    changes: watch::Sender<u64>,
    scrapes: tokio::sync::broadcast::Sender<ScrapeEvent>,
    audit: AuditLog,
}

/// An instance was scraped: what its body said at once.
#[derive(Clone, Debug)]
pub struct ScrapeEvent {
    pub service: String,
    pub instance: String,
    pub gauges: crate::metrics::board::ScrapeGauges,
}

impl std::fmt::Debug for Catalog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Catalog").field("file", &self.file.label()).finish_non_exhaustive()
    }
}

impl Catalog {
    pub fn new(setup: HubSetup, audit: AuditLog) -> Catalog {
        let retention = setup.config.metrics.retention();
        let loaded = Loaded {
            remote: remote_of(&setup.config),
            config: setup.config,
            text: setup.config_text,
            metric_catalog: Arc::new(setup.metric_catalog),
            loaded_ms: now_ms(),
        };
        Catalog {
            file: setup.config_file,
            current: RwLock::new(Arc::new(loaded)),
            fleet: RwLock::new(None),
            demo_enabled: setup.demo_enabled,
            health: HealthBoard::default(),
            metrics: MetricsBoard::default(),
            history: Arc::new(History::new(retention)),
            changes: watch::channel(0).0,
            scrapes: tokio::sync::broadcast::channel(1024).0,
            audit,
        }
    }

    fn loaded(&self) -> Arc<Loaded> {
        self.current.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    pub fn config(&self) -> HubConfig {
        self.loaded().config.clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }

    /// The demo fleet has started: its instances get their addresses.
    pub fn set_fleet(&self, manifest: FleetManifest) {
        *self.fleet.write().unwrap_or_else(PoisonError::into_inner) = Some(manifest);
        self.changes.send_modify(|v| *v += 1);
    }

    /// Where an instance is: its base URL, or `demo://NAME` resolved through the fleet.
    fn resolve(&self, base_url: &str) -> Result<String, String> {
        let Some(name) = base_url.strip_prefix("demo://") else {
            return Ok(base_url.trim_end_matches('/').to_string());
        };
        let fleet = self.fleet.read().unwrap_or_else(PoisonError::into_inner);
        match fleet.as_ref() {
            Some(f) => f
                .instances
                .iter()
                .find(|i| i.name == name)
                .map(|i| i.base_url.clone())
                .ok_or_else(|| format!("the demo fleet has no instance {name}")),
            None if self.demo_enabled => Err("the demo fleet is not running (see the hub's log)".to_string()),
            None => Err("the demo fleet is disabled (SWITCHBOARD_DEMO=0)".to_string()),
        }
    }

    /// The base URL of a registered instance: the only addresses the hub ever calls.
    pub fn instance_url(&self, service: &str, instance: &str) -> Result<String, BackendError> {
        let loaded = self.loaded();
        let s = loaded
            .config
            .service(service)
            .ok_or_else(|| BackendError::NotFound(format!("no service named {service}")))?;
        let i = s
            .instances
            .iter()
            .find(|i| i.name.get_ref() == instance)
            .ok_or_else(|| BackendError::NotFound(format!("{service} has no instance {instance}")))?;
        self.resolve(i.base_url.get_ref()).map_err(BackendError::Unavailable)
    }

    pub fn targets(&self) -> Vec<Target> {
        let loaded = self.loaded();
        let mut keep = Vec::new();
        let mut targets = Vec::new();
        for s in &loaded.config.services {
            for i in &s.instances {
                keep.push((s.name.get_ref().clone(), i.name.get_ref().clone()));
                targets.push(Target {
                    service: s.name.get_ref().clone(),
                    instance: i.name.get_ref().clone(),
                    url: self.resolve(i.base_url.get_ref()).map(|base| format!("{base}{}", i.metrics_path)),
                    interval: s.interval(),
                    profiles: s.metric_profiles.clone(),
                });
            }
        }
        self.health.retain(&keep);
        self.metrics.retain(&keep);
        targets
    }

    /// Parses and checks a scrape's body; an error is why the scrape failed.
    /// Every successful scrape, as it happens (a slow listener misses the oldest).
    pub fn scrapes(&self) -> tokio::sync::broadcast::Receiver<ScrapeEvent> {
        self.scrapes.subscribe()
    }

    pub fn ingest(&self, target: &Target, scraped: &Scraped, duration_ms: i64) -> Result<(), String> {
        let catalog = self.loaded().metric_catalog.clone();
        let input = ScrapeInput {
            service: &target.service,
            instance: &target.instance,
            profiles: &target.profiles,
            body: &scraped.body,
            content_type: &scraped.content_type,
            duration_ms,
            scraped_ms: now_ms(),
        };
        let gauges = self.metrics.ingest(&catalog, &self.history, &input)?;
        // Nobody listening is fine: the hub may run without capture triggers.
        let _ = self.scrapes.send(ScrapeEvent {
            service: target.service.clone(),
            instance: target.instance.clone(),
            gauges,
        });
        Ok(())
    }

    pub fn metric_catalog(&self) -> Arc<MetricCatalog> {
        self.loaded().metric_catalog.clone()
    }

    fn view(&self, s: &ServiceDef) -> ServiceView {
        let name = s.name.get_ref();
        ServiceView {
            name: name.clone(),
            team: s.team.clone(),
            description: s.description.clone(),
            links: LinksView {
                runbook: s.links.runbook.clone(),
                dashboard: s.links.dashboard.clone(),
                traces: s.links.traces.clone(),
            },
            scrape_interval: s.scrape_interval.get_ref().clone(),
            instances: s
                .instances
                .iter()
                .map(|i| {
                    let h = self.health.get(name, i.name.get_ref());
                    InstanceView {
                        name: i.name.get_ref().clone(),
                        base_url: self
                            .resolve(i.base_url.get_ref())
                            .unwrap_or_else(|_| i.base_url.get_ref().clone()),
                        up: h.up,
                        last_scrape_ms: h.last_scrape_ms,
                        duration_ms: h.duration_ms,
                        bytes: h.bytes,
                        error: h.error,
                    }
                })
                .collect(),
        }
    }

    /// Every service, for the hub's own jobs and benchmarks (no caller to check).
    pub fn services_unchecked(&self) -> Vec<ServiceView> {
        self.loaded().config.services.iter().map(|s| self.view(s)).collect()
    }

    /// Every service; any logged-in user may look.
    pub fn services(&self, _actor: &Principal) -> Vec<ServiceView> {
        self.loaded().config.services.iter().map(|s| self.view(s)).collect()
    }

    pub fn service(&self, _actor: &Principal, name: &str) -> Result<ServiceDetail, BackendError> {
        let loaded = self.loaded();
        let s = loaded
            .config
            .service(name)
            .ok_or_else(|| BackendError::NotFound(format!("no service named {name}")))?;
        let snippet = toml::to_string_pretty(&SnippetDoc { services: vec![s.clone()] }).unwrap_or_default();
        Ok(ServiceDetail { service: self.view(s), config_snippet: snippet })
    }

    /// The reports of a service's instances, in config order.
    fn reports(&self, s: &ServiceDef) -> Vec<(String, crate::metrics::InstanceReport)> {
        s.instances
            .iter()
            .map(|i| {
                let name = i.name.get_ref().clone();
                let report = self.metrics.get(s.name.get_ref(), &name).unwrap_or_default();
                (name, report)
            })
            .collect()
    }

    /// Services × rules, for the conformance matrix.
    pub fn conformance_matrix(&self, _actor: &Principal) -> ConformanceMatrix {
        let loaded = self.loaded();
        let rules: Vec<String> =
            crate::metrics::conformance::RULES.iter().map(|r| (*r).to_string()).collect();
        let services = loaded
            .config
            .services
            .iter()
            .map(|s| {
                let merged = crate::metrics::merge::service_rules(&self.reports(s));
                let statuses: Vec<Option<RuleStatus>> =
                    rules.iter().map(|r| merged.iter().find(|m| &m.rule == r).map(|m| m.status)).collect();
                let count = |st| statuses.iter().filter(|x| **x == Some(st)).count();
                MatrixRow {
                    service: s.name.get_ref().clone(),
                    team: s.team.clone(),
                    fail: count(RuleStatus::Fail),
                    warn: count(RuleStatus::Warn),
                    statuses,
                }
            })
            .collect();
        ConformanceMatrix { rules, services }
    }

    pub fn service_conformance(
        &self,
        _actor: &Principal,
        name: &str,
    ) -> Result<ServiceConformance, BackendError> {
        let loaded = self.loaded();
        let s = loaded
            .config
            .service(name)
            .ok_or_else(|| BackendError::NotFound(format!("no service named {name}")))?;
        let reports = self.reports(s);
        Ok(ServiceConformance {
            service: name.to_string(),
            rules: crate::metrics::merge::service_rules(&reports),
            instances: reports
                .into_iter()
                .map(|(instance, r)| InstanceScrape { instance, scrape: r.scrape })
                .collect(),
        })
    }

    /// The standard panels of a service over a time range, drawn as SVG: from the hub's own
    /// history, or from the remote query API when the config names one.
    pub async fn panels(
        &self,
        _actor: &Principal,
        name: &str,
        range: &TimeRange,
    ) -> Result<Vec<PanelView>, BackendError> {
        let loaded = self.loaded();
        let Some(service) = loaded.config.service(name) else {
            return Err(BackendError::NotFound(format!("no service named {name}")));
        };
        // The panels its metric profiles feed.
        let kinds: Vec<PanelKind> = PanelKind::ALL
            .into_iter()
            .filter(|k| k.profiles().iter().any(|p| service.metric_profiles.iter().any(|m| m == p)))
            .collect();
        let (from, to) = range.bounds(now_ms());
        let mut views = Vec::with_capacity(kinds.len());
        for kind in kinds {
            let panel = match &loaded.remote {
                Some(remote) => remote
                    .panel(&loaded.metric_catalog, name, kind, from, to, service.interval())
                    .await
                    .map_err(BackendError::Unavailable)?,
                None => {
                    let kept = i64::try_from(self.history.retention().as_millis()).unwrap_or(i64::MAX);
                    if to - from > kept + 60_000 {
                        return Err(BackendError::Invalid(
                            "the range reaches past the history the hub keeps".into(),
                        ));
                    }
                    panels::compute(&self.history, name, kind, from, to)
                }
            };
            let svg =
                render::svg(&panel).map_err(|e| BackendError::Internal(format!("drawing a panel: {e}")))?;
            views.push(PanelView {
                id: kind.id().to_string(),
                title: kind.title().to_string(),
                unit: kind.unit().to_string(),
                has_data: !panel.lines.is_empty(),
                svg,
            });
        }
        Ok(views)
    }

    /// The metric explorer over the history: any family of a service, filtered by labels.
    pub fn explore(
        &self,
        _actor: &Principal,
        service: &str,
        metric: &str,
        labels: &str,
        range: &TimeRange,
    ) -> Result<ExploreView, BackendError> {
        let loaded = self.loaded();
        let services: Vec<String> = loaded.config.services.iter().map(|s| s.name.get_ref().clone()).collect();
        if !service.is_empty() && !services.iter().any(|s| s == service) {
            return Err(BackendError::NotFound(format!("no service named {service}")));
        }
        let matchers = crate::metrics::explore::parse_matchers(labels).map_err(BackendError::Invalid)?;
        let (from, to) = range.bounds(now_ms());
        let query =
            crate::metrics::explore::Query { services, service, metric, matchers: &matchers, from, to };
        crate::metrics::explore::explore(&self.history, &query).map_err(BackendError::Internal)
    }

    /// The shared metric format's families, for the Catalog page.
    pub fn metric_families(&self, _actor: &Principal) -> Vec<CatalogFamilyView> {
        self.metric_catalog().views()
    }

    pub fn config_view(&self, actor: &Principal) -> Result<ConfigView, BackendError> {
        actor.require(Role::Admin)?;
        let loaded = self.loaded();
        Ok(ConfigView { file: self.file.label(), text: loaded.text.clone(), loaded_ms: loaded.loaded_ms })
    }

    /// Re-reads the config file. A bad file is refused with its line and field and the
    /// running config stays; a good one replaces it and the scrapers restart. `actor` is
    /// None for SIGHUP.
    pub async fn reload(
        &self,
        actor: Option<&Principal>,
        source: &str,
    ) -> Result<ReloadOutcome, BackendError> {
        let who = actor.map_or("system (SIGHUP)", |a| a.username.as_str());
        fn event<'a>(who: &'a str, source: &'a str, outcome: Outcome, target: &'a str) -> AuditEvent<'a> {
            AuditEvent { actor: who, action: "config.reload", target, outcome, source }
        }
        if let Some(actor) = actor {
            if let Err(refusal) = actor.require(Role::Admin) {
                self.audit.record(event(who, source, Outcome::Denied, &self.file.label())).await?;
                return Err(refusal);
            }
        }
        let old = self.loaded();
        let loaded = self.file.load().and_then(|(config, text)| {
            let metric_catalog = crate::metrics::catalog::load(&config, &self.file)?;
            Ok((config, text, metric_catalog))
        });
        let (config, text, metric_catalog) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                tracing::warn!(error = %e, "config reload refused; the running config stays");
                self.audit.record(event(who, source, Outcome::Failed, &e.to_string())).await?;
                let outcome = ReloadOutcome {
                    applied: false,
                    error: Some(e.to_string()),
                    line: e.line,
                    diff: vec![],
                    notes: vec![],
                };
                return Ok(outcome);
            }
        };
        let diff = diff::lines(&old.text, &text);
        let mut notes = Vec::new();
        if !diff::changed(&diff) {
            notes.push("The file has not changed.".to_string());
        }
        if config.hub != old.config.hub {
            notes.push("[hub] settings take effect at the next restart.".to_string());
        }
        let (added, removed) = diff.iter().fold((0, 0), |(a, r), l| match l.op {
            types::DiffOp::Added => (a + 1, r),
            types::DiffOp::Removed => (a, r + 1),
            types::DiffOp::Same => (a, r),
        });
        *self.current.write().unwrap_or_else(PoisonError::into_inner) = Arc::new(Loaded {
            remote: remote_of(&config),
            config,
            text,
            metric_catalog: Arc::new(metric_catalog),
            loaded_ms: now_ms(),
        });
        self.changes.send_modify(|v| *v += 1);
        let target = format!("{} (+{added} −{removed} lines)", self.file.label());
        self.audit.record(event(who, source, Outcome::Ok, &target)).await?;
        tracing::info!(%target, "config reloaded");
        Ok(ReloadOutcome { applied: true, error: None, line: None, diff, notes })
    }
}

#[derive(serde::Serialize)]
struct SnippetDoc {
    services: Vec<ServiceDef>,
}
