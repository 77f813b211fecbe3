//! The home page's answer to "is anything wrong?": instances down or not scraping, services
//! failing the shared metric format, key signals past their line, captures running and the
//! latest ones, read models behind their SLO — for everyone, or for one team.

use crate::{now_ms, BackendError, Hub, Principal};
use types::{ConformanceTrouble, InstanceTrouble, Overview};

/// Captures the home page lists.
const LATEST: i64 = 8;

/// An instance is stale when its last scrape is older than this many intervals.
const STALE_INTERVALS: i64 = 3;

impl Hub {
    pub async fn overview(&self, actor: &Principal, team: Option<&str>) -> Result<Overview, BackendError> {
        let team = team.map(str::trim).filter(|t| !t.is_empty());
        let config = self.catalog.config();
        let mut teams: Vec<String> = config.services.iter().map(|s| s.team.clone()).collect();
        teams.sort_unstable();
        teams.dedup();
        let now = now_ms();
        let services: Vec<_> =
            self.catalog.services(actor).into_iter().filter(|s| team.is_none_or(|t| s.team == t)).collect();
        let names: Vec<String> = services.iter().map(|s| s.name.clone()).collect();
        let mut troubles = Vec::new();
        for s in &services {
            let interval = config
                .service(&s.name)
                .map_or(15_000, |d| i64::try_from(d.interval().as_millis()).unwrap_or(15_000));
            for i in &s.instances {
                let stale = i.last_scrape_ms.is_none_or(|t| now - t > interval * STALE_INTERVALS);
                if !i.up || stale {
                    troubles.push(InstanceTrouble {
                        service: s.name.clone(),
                        instance: i.name.clone(),
                        state: if i.up { "stale" } else { "down" }.to_string(),
                        error: i.error.clone(),
                        last_scrape_ms: i.last_scrape_ms,
                    });
                }
            }
        }
        let matrix = self.metrics.conformance_matrix(actor);
        let conformance = matrix
            .services
            .into_iter()
            .filter(|r| names.contains(&r.service) && (r.fail > 0 || r.warn > 0))
            .map(|r| ConformanceTrouble { service: r.service, fail: r.fail, warn: r.warn })
            .collect();
        let bad_signals = self
            .metrics
            .key_signals(actor)
            .into_iter()
            .filter(|k| names.contains(&k.service) && k.signals.iter().any(|s| s.bad))
            .collect();
        Ok(Overview {
            now_ms: now,
            teams,
            team: team.map(str::to_string),
            services: services.len(),
            instances: services.iter().map(|s| s.instances.len()).sum(),
            troubles,
            conformance,
            bad_signals,
            captures_running: self.captures.recent(actor, &names, true, LATEST).await?,
            captures_latest: self.captures.recent(actor, &names, false, LATEST).await?,
            read_models_behind: self
                .lag
                .list(actor)
                .into_iter()
                .filter(|l| names.contains(&l.service) && l.state != types::lag::LagState::Ok)
                .collect(),
        })
    }
}
