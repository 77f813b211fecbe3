//! What the metrics pages and the API read: the conformance matrix and per-service verdicts,
//! the standard panels, the explorer, the catalog's families.

use super::chart::{chart, ChartInput};
use super::panels::{self, PanelKind, PanelQuery};
use super::remote::RemoteHistory;
use super::{conformance, explore, merge, InstanceReport, Metrics};
use crate::config::{parse_duration, ServiceDef};
use crate::{now_ms, BackendError, Principal};
use std::time::Duration;
use types::charts::Marker;
use types::{
    CatalogFamilyView, ConformanceMatrix, ExploreView, InstanceScrape, MatrixRow, PanelView, RuleStatus,
    ServiceConformance, TimeRange,
};

impl Metrics {
    /// The reports of a service's instances, in config order.
    fn reports(&self, s: &ServiceDef) -> Vec<(String, InstanceReport)> {
        s.instances
            .iter()
            .map(|i| {
                let name = i.name.get_ref().clone();
                let report = self.board.get(s.name.get_ref(), &name).unwrap_or_default();
                (name, report)
            })
            .collect()
    }

    /// Services × rules, for the conformance matrix.
    pub fn conformance_matrix(&self, _actor: &Principal) -> ConformanceMatrix {
        let config = self.catalog.config();
        let services = config
            .services
            .iter()
            .map(|s| {
                let merged = merge::service_rules(&self.reports(s));
                let statuses: Vec<Option<RuleStatus>> = conformance::RULES
                    .iter()
                    .map(|r| merged.iter().find(|m| m.rule == r.name).map(|m| m.status))
                    .collect();
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
        ConformanceMatrix {
            rules: conformance::RULES.iter().map(|r| r.name.to_string()).collect(),
            checks: conformance::RULES.iter().map(|r| r.checks.to_string()).collect(),
            services,
        }
    }

    pub fn service_conformance(
        &self,
        _actor: &Principal,
        name: &str,
    ) -> Result<ServiceConformance, BackendError> {
        let config = self.catalog.config();
        let s = config.service(name).ok_or_else(|| no_service(name))?;
        let reports = self.reports(s);
        Ok(ServiceConformance {
            service: name.to_string(),
            rules: merge::service_rules(&reports),
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
        markers: &[Marker],
    ) -> Result<Vec<PanelView>, BackendError> {
        let config = self.catalog.config();
        let service = config.service(name).ok_or_else(|| no_service(name))?;
        let catalog = self.catalog.metric_catalog();
        let signals = catalog.signals();
        let remote = config.metrics.remote.as_ref().map(|r| {
            let timeout = r.timeout.as_deref().and_then(parse_duration).unwrap_or(Duration::from_secs(10));
            RemoteHistory::new(&r.url, timeout)
        });
        let (from, to) = range.bounds(now_ms()).map_err(BackendError::Invalid)?;
        if remote.is_none() {
            let kept = i64::try_from(self.history.retention().as_millis()).unwrap_or(i64::MAX);
            if to - from > kept + 60_000 {
                return Err(BackendError::Invalid("the range reaches past the history the hub keeps".into()));
            }
        }
        let kinds = PanelKind::ALL.into_iter().filter(|k| k.shown_for(signals, &service.metric_profiles));
        let mut views = Vec::new();
        for kind in kinds {
            let panel = match &remote {
                Some(remote) => remote
                    .panel(signals, name, kind, from, to, service.interval())
                    .await
                    .map_err(|e| BackendError::Unavailable(e.to_string()))?,
                None => {
                    panels::compute(&self.history, signals, &PanelQuery { service: name, kind, from, to })
                }
            };
            // The latency panel's dots: requests the instances pointed at, each with its trace.
            let exemplars = if kind == PanelKind::LatencyP95 {
                self.exemplars.between(name, from, to)
            } else {
                Vec::new()
            };
            let input = ChartInput {
                markers,
                exemplars: &exemplars,
                lines: &panel.lines,
                shaded: &panel.alarms,
                refs: &panel.refs,
                bands: &[],
                unit: kind.unit(),
                from,
                to,
                fit: !range.is_custom(),
                log: false,
            };
            let chart = chart(&input).map_err(|e| BackendError::Internal(e.to_string()))?;
            views.push(PanelView {
                id: kind.id().to_string(),
                title: kind.title().to_string(),
                unit: kind.unit().caption().to_string(),
                has_data: chart.has_data(),
                chart,
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
        mode: &str,
        range: &TimeRange,
    ) -> Result<ExploreView, BackendError> {
        let config = self.catalog.config();
        let services: Vec<String> = config.services.iter().map(|s| s.name.get_ref().clone()).collect();
        if !service.is_empty() && !services.iter().any(|s| s == service) {
            return Err(no_service(service));
        }
        let (from, to) = range.bounds(now_ms()).map_err(BackendError::Invalid)?;
        let fit = !range.is_custom();
        let query = explore::Query { services, service, metric, labels, mode, from, to, fit };
        explore::explore(&self.history, &query).map_err(|e| BackendError::Internal(e.to_string()))
    }

    /// The shared metric format's families, for the Catalog page.
    pub fn metric_families(&self, _actor: &Principal) -> Vec<CatalogFamilyView> {
        self.catalog.metric_catalog().views()
    }
}

fn no_service(name: &str) -> BackendError {
    BackendError::NotFound(format!("no service named {name}"))
}
