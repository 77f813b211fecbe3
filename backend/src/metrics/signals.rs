//! The standard signals (request rate, error ratio, p95 latency, pool utilisation, lag)
//! and the catalog families each one reads, resolved once from the catalog file by its
//! `panel` and `panel_role` fields. Panels (local and remote), capture triggers and alerts
//! all read names from here, so a replaced catalog moves them together.

use super::catalog::CatalogFamily;

/// A part of a standard signal: which panel, in which role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Feed {
    Requests,
    Errors,
    Latency,
    PoolActive,
    PoolMax,
    PoolQueued,
    ConsumerLagMessages,
    ConsumerLagSeconds,
    ReadModelLag,
}

impl Feed {
    pub const ALL: [Feed; 9] = [
        Feed::Requests,
        Feed::Errors,
        Feed::Latency,
        Feed::PoolActive,
        Feed::PoolMax,
        Feed::PoolQueued,
        Feed::ConsumerLagMessages,
        Feed::ConsumerLagSeconds,
        Feed::ReadModelLag,
    ];

    /// The `panel` and `panel_role` a catalog family names to feed this.
    pub fn panel_and_role(self) -> (&'static str, &'static str) {
        match self {
            Feed::Requests => ("request_rate", ""),
            Feed::Errors => ("error_ratio", ""),
            Feed::Latency => ("latency_p95", ""),
            Feed::PoolActive => ("pool_utilisation", "active"),
            Feed::PoolMax => ("pool_utilisation", "max"),
            Feed::PoolQueued => ("pool_utilisation", "queued"),
            Feed::ConsumerLagMessages => ("consumer_lag", "messages"),
            Feed::ConsumerLagSeconds => ("consumer_lag", "lag"),
            Feed::ReadModelLag => ("consumer_lag", "read_model"),
        }
    }

    fn of(panel: &str, role: &str) -> Option<Feed> {
        Feed::ALL.into_iter().find(|f| f.panel_and_role() == (panel, role))
    }
}

/// One resolved feed: the family's name and the metric profile it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fed {
    pub family: String,
    pub profile: String,
}

/// Every feed the catalog provides.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Signals {
    fed: Vec<(Feed, Fed)>,
}

impl Signals {
    /// Resolves the feeds; an error names a family whose panel or role is unknown, or a
    /// feed two families claim.
    pub fn resolve(families: &[CatalogFamily]) -> Result<Signals, String> {
        let mut fed: Vec<(Feed, Fed)> = Vec::new();
        for f in families.iter().filter(|f| !f.panel.is_empty()) {
            let Some(feed) = Feed::of(&f.panel, &f.panel_role) else {
                let known: Vec<String> = Feed::ALL
                    .iter()
                    .map(|f| match f.panel_and_role() {
                        (p, "") => p.to_string(),
                        (p, r) => format!("{p}/{r}"),
                    })
                    .collect();
                return Err(format!(
                    "families.panel: {} names panel {:?} role {:?}; a standard signal is one of {}",
                    f.name,
                    f.panel,
                    f.panel_role,
                    known.join(", ")
                ));
            };
            if let Some((_, other)) = fed.iter().find(|(g, _)| *g == feed) {
                return Err(format!(
                    "families.panel: {} and {} both feed {} {:?}",
                    other.family, f.name, f.panel, f.panel_role
                ));
            }
            fed.push((feed, Fed { family: f.name.clone(), profile: f.profile.clone() }));
        }
        Ok(Signals { fed })
    }

    pub fn get(&self, feed: Feed) -> Option<&Fed> {
        self.fed.iter().find(|(f, _)| *f == feed).map(|(_, fed)| fed)
    }

    /// The family name of a feed.
    pub fn family(&self, feed: Feed) -> Option<&str> {
        self.get(feed).map(|f| f.family.as_str())
    }

    /// Whether a service implementing `profiles` provides any of `feeds`.
    pub fn provided(&self, feeds: &[Feed], profiles: &[String]) -> bool {
        feeds.iter().filter_map(|f| self.get(*f)).any(|fed| profiles.contains(&fed.profile))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::catalog::{MetricCatalog, SHIPPED};

    #[test]
    fn the_shipped_catalog_feeds_every_signal() {
        let catalog = MetricCatalog::parse(SHIPPED, "shipped").expect("valid");
        for feed in Feed::ALL {
            assert!(catalog.signals().get(feed).is_some(), "{feed:?}");
        }
        assert_eq!(catalog.signals().family(Feed::Requests), Some("http_requests_total"));
        assert!(catalog.signals().provided(&[Feed::PoolActive], &["worker_pool".to_string()]));
        assert!(!catalog.signals().provided(&[Feed::PoolActive], &["http".to_string()]));
    }

    #[test]
    fn an_unknown_or_doubled_feed_is_refused() {
        let family = |name: &str, panel: &str, role: &str| {
            format!(
                "[[families]]\nname = \"{name}\"\ntype = \"gauge\"\nprofile = \"p\"\nhelp = \"h\"\npanel = \"{panel}\"\npanel_role = \"{role}\"\n"
            )
        };
        let unknown = family("a", "request_rate", "max");
        let err = MetricCatalog::parse(&unknown, "c.toml").expect_err("refused");
        assert!(err.message.contains("a names panel \"request_rate\" role \"max\""), "{err}");
        let doubled = family("a", "pool_utilisation", "max") + &family("b", "pool_utilisation", "max");
        let err = MetricCatalog::parse(&doubled, "c.toml").expect_err("refused");
        assert!(err.message.contains("a and b both feed pool_utilisation"), "{err}");
    }
}
