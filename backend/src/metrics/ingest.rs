//! A scrape's body parsed, appended to the history and checked against the catalog; the
//! latest outcome of every instance is what the conformance matrix and pages show.

use super::catalog::MetricCatalog;
use super::conformance;
use super::signals::{Feed, Signals};
use exposition::{Format, Limits};
use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};
use types::{RuleResult, ScrapeReport};

#[derive(Clone, Debug, Default)]
pub struct InstanceReport {
    pub scrape: ScrapeReport,
    /// Empty until a scrape parses.
    pub rules: Vec<RuleResult>,
}

#[derive(Debug, Default)]
pub struct MetricsBoard {
    reports: RwLock<HashMap<(String, String), InstanceReport>>,
}

/// Why a scrape's body was not taken: like Prometheus, such a scrape fails.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IngestError {
    #[error("the body is not UTF-8 (byte {at})")]
    NotUtf8 { at: usize },
    #[error("malformed exposition: {0}")]
    Malformed(String),
}

pub struct ScrapeInput<'a> {
    pub service: &'a str,
    pub instance: &'a str,
    pub profiles: &'a [String],
    pub body: &'a [u8],
    pub content_type: &'a str,
    pub duration_ms: i64,
    pub scraped_ms: i64,
}

impl MetricsBoard {
    /// Parses and checks one scrape; a body that does not parse is the scrape's error.
    pub fn ingest(
        &self,
        catalog: &MetricCatalog,
        history: &super::history::History,
        input: &ScrapeInput<'_>,
    ) -> Result<ScrapeGauges, IngestError> {
        let format = exposition::format_of(input.content_type);
        let mut gauges = ScrapeGauges::default();
        let mut scrape = ScrapeReport {
            ok: false,
            error: None,
            format: Some(if format == Format::OpenMetrics { "openmetrics" } else { "text" }.to_string()),
            families: 0,
            samples: 0,
            bytes: input.body.len(),
            duration_ms: input.duration_ms,
        };
        let parsed = std::str::from_utf8(input.body)
            .map_err(|e| IngestError::NotUtf8 { at: e.valid_up_to() })
            .and_then(|text| {
                exposition::parse(text, format, &Limits::default())
                    .map(|exp| {
                        scrape.families = exp.families.len();
                        scrape.samples = exp.samples.len();
                        history.append(input.service, input.instance, &exp, input.scraped_ms);
                        gauges = ScrapeGauges::of(&exp, catalog.signals());
                        conformance::check(&exp, format, catalog, input.profiles)
                    })
                    .map_err(|e| IngestError::Malformed(e.to_string()))
            });
        let (result, rules) = match parsed {
            Ok(rules) => {
                scrape.ok = true;
                (Ok(gauges), rules)
            }
            Err(e) => {
                scrape.error = Some(e.to_string());
                // Keep the last good verdicts: the error says what is wrong now.
                (Err(e), self.get(input.service, input.instance).map(|r| r.rules).unwrap_or_default())
            }
        };
        self.put(input.service, input.instance, InstanceReport { scrape, rules });
        result
    }

    /// Records a scrape that failed before there was a body to parse.
    pub fn failed(&self, service: &str, instance: &str, error: &str, duration_ms: Option<i64>) {
        let rules = self.get(service, instance).map(|r| r.rules).unwrap_or_default();
        let scrape = ScrapeReport {
            ok: false,
            error: Some(error.to_string()),
            duration_ms: duration_ms.unwrap_or(0),
            ..Default::default()
        };
        self.put(service, instance, InstanceReport { scrape, rules });
    }

    pub fn get(&self, service: &str, instance: &str) -> Option<InstanceReport> {
        let map = self.reports.read().unwrap_or_else(PoisonError::into_inner);
        map.get(&(service.to_string(), instance.to_string())).cloned()
    }

    fn put(&self, service: &str, instance: &str, report: InstanceReport) {
        let mut map = self.reports.write().unwrap_or_else(PoisonError::into_inner);
        map.insert((service.to_string(), instance.to_string()), report);
    }

    pub fn retain(&self, keep: &[(String, String)]) {
        let mut map = self.reports.write().unwrap_or_else(PoisonError::into_inner);
        map.retain(|k, _| keep.contains(k));
    }
}

/// What one scrape says at once, for what watches every scrape (capture triggers, alerts).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScrapeGauges {
    /// Busy workers over the pool's size (worker_pool_active_workers / worker_pool_max_workers,
    /// summed over pools), when the instance has a pool.
    pub pool_utilisation: Option<f64>,
    /// The trace ids the error counter's exemplars carry, with the series' labels: examples of
    /// failing requests for an alert's context.
    pub error_traces: Vec<ErrorTrace>,
    /// The latency histogram's exemplars: a request's duration and its trace, for the dots
    /// on the latency panel.
    pub latency_exemplars: Vec<LatencyExemplar>,
}

/// An exemplar of the latency histogram.
#[derive(Clone, Debug, PartialEq)]
pub struct LatencyExemplar {
    pub trace_id: String,
    /// Seconds, as observed.
    pub value: f64,
    /// When it was observed (unix ms), when the exposition says.
    pub ts_ms: Option<i64>,
}

/// An exemplar of the error counter.
#[derive(Clone, Debug, PartialEq)]
pub struct ErrorTrace {
    pub trace_id: String,
    pub labels: Vec<(String, String)>,
}

/// The most exemplars one scrape hands on.
const MAX_ERROR_TRACES: usize = 64;

impl ScrapeGauges {
    fn of(exp: &exposition::Exposition<'_>, signals: &Signals) -> ScrapeGauges {
        // By family: a scrape holds a few families and may hold thousands of samples.
        let sum = |feed: Feed| -> Option<f64> {
            let name = signals.family(feed)?;
            let samples = exp.samples_of(exp.families.iter().find(|f| f.name == name)?);
            (!samples.is_empty()).then(|| samples.iter().map(|s| s.value).sum())
        };
        let pool_utilisation = match (sum(Feed::PoolActive), sum(Feed::PoolMax)) {
            (Some(active), Some(max)) if max > 0.0 => Some(active / max),
            _ => None,
        };
        let mut error_traces = Vec::new();
        let trace_of = |ex: &exposition::Exemplar<'_>| {
            ex.labels
                .iter()
                .find(|l| matches!(l.name, "trace_id" | "traceID" | "trace-id"))
                .map(|l| l.value.to_string())
                .filter(|t| !t.is_empty() && t.len() <= 64)
        };
        // OpenMetrics names a counter's family without the `_total` its samples carry.
        let errors = signals.family(Feed::Errors).and_then(|name| {
            let bare = name.strip_suffix("_total").unwrap_or(name);
            exp.families.iter().find(|f| f.name == name || f.name == bare)
        });
        for s in errors.map(|f| exp.samples_of(f)).unwrap_or_default() {
            let Some(trace_id) = s.exemplar.as_deref().and_then(trace_of) else { continue };
            let labels = exp.labels_of(s).iter().map(|l| (l.name.to_string(), l.value.to_string())).collect();
            error_traces.push(ErrorTrace { trace_id, labels });
            if error_traces.len() >= MAX_ERROR_TRACES {
                break;
            }
        }
        let latency =
            signals.family(Feed::Latency).and_then(|name| exp.families.iter().find(|f| f.name == name));
        let latency_exemplars = latency
            .map(|f| exp.samples_of(f))
            .unwrap_or_default()
            .iter()
            .filter_map(|s| {
                let ex = s.exemplar.as_deref()?;
                let trace_id = trace_of(ex)?;
                #[expect(clippy::cast_possible_truncation, reason = "unix seconds to ms")]
                let ts_ms = ex.timestamp.filter(|t| t.is_finite()).map(|t| (t * 1000.0) as i64);
                ex.value.is_finite().then_some(LatencyExemplar { trace_id, value: ex.value, ts_ms })
            })
            .take(MAX_ERROR_TRACES)
            .collect();
        ScrapeGauges { pool_utilisation, error_traces, latency_exemplars }
    }
}

#[cfg(test)]
mod tests {
    use super::ScrapeGauges;
    use crate::metrics::catalog::{MetricCatalog, SHIPPED};
    use exposition::{parse, Format, Limits};

    #[test]
    fn pool_utilisation_sums_every_pool_of_the_scrape() {
        let body = "# TYPE worker_pool_active_workers gauge\n\
                    worker_pool_active_workers{pool=\"a\"} 3\nworker_pool_active_workers{pool=\"b\"} 5\n\
                    # TYPE worker_pool_max_workers gauge\n\
                    worker_pool_max_workers{pool=\"a\"} 4\nworker_pool_max_workers{pool=\"b\"} 6\n\
                    # TYPE http_requests_total counter\nhttp_requests_total 9\n";
        let catalog = MetricCatalog::parse(SHIPPED, "shipped").expect("valid");
        let exp = parse(body, Format::Text, &Limits::default()).expect("parses");
        assert_eq!(ScrapeGauges::of(&exp, catalog.signals()).pool_utilisation, Some(0.8));
        let no_pool = parse("http_requests_total 9\n", Format::Text, &Limits::default()).expect("parses");
        assert_eq!(ScrapeGauges::of(&no_pool, catalog.signals()).pool_utilisation, None);
    }
}
