//! The catalog as the Services pages and the API read it.

use super::Catalog;
use crate::config::ServiceDef;
use crate::{BackendError, Principal};
use types::{InstanceView, LinksView, ServiceDetail, ServiceView};

impl Catalog {
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
        self.services_unchecked()
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
}

#[derive(serde::Serialize)]
struct SnippetDoc {
    services: Vec<ServiceDef>,
}
