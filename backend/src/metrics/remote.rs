//! At scale the hub reads history from a Prometheus-compatible query API (Prometheus,
//! VictoriaMetrics, Thanos, Mimir) instead of its own: `query_range` with PromQL generated
//! from the catalog (which family feeds which panel). Targets carry the service as `job`
//! and the instance's name as `instance`.

use super::panels::{lag_slo, Line, Panel, PanelKind};
use super::signals::{Feed, Signals};
use serde::Deserialize;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct RemoteHistory {
    base: String,
    client: reqwest::Client,
}

/// A query result larger than this is refused (a panel needs a few thousand points).
const MAX_RESPONSE: usize = 64 * 1024 * 1024;

/// Why the metrics backend gave no series.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RemoteError {
    #[error("the metrics backend at {base} did not answer: {why}")]
    Unreachable { base: String, why: String },
    #[error("the metrics backend at {base} sent no query result: {why}")]
    NoResult { base: String, why: String },
    #[error("the metrics backend at {base} refused the query (HTTP {status}): {error}")]
    Refused { base: String, status: u16, error: String },
}

#[derive(Deserialize)]
struct Response {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    result: Vec<Series>,
}

#[derive(Deserialize)]
struct Series {
    metric: std::collections::BTreeMap<String, String>,
    values: Vec<(f64, String)>,
}

/// A PromQL string literal.
fn quoted(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The PromQL of a panel for a service, from the catalog's families; None when the catalog
/// names no family for it. The second query, when there is one, marks alarm spans.
pub fn promql(
    signals: &Signals,
    service: &str,
    kind: PanelKind,
    window: &str,
) -> Option<(String, Option<String>)> {
    let job = format!("{{job={}}}", quoted(service));
    let name = |feed: Feed| signals.family(feed).map(str::to_string);
    let rate = |n: &str| format!("sum by (instance) (rate({n}{job}[{window}]))");
    Some(match kind {
        PanelKind::RequestRate => (rate(&name(Feed::Requests)?), None),
        PanelKind::ErrorRatio => {
            let (errors, requests) = (name(Feed::Errors)?, name(Feed::Requests)?);
            // An instance without errors has no error series: count it as zero.
            let q = format!("100 * ({} or 0 * {}) / {}", rate(&errors), rate(&requests), rate(&requests));
            (q, None)
        }
        PanelKind::LatencyP95 => {
            let h = name(Feed::Latency)?;
            (
                format!("histogram_quantile(0.95, sum by (instance, le) (rate({h}_bucket{job}[{window}])))"),
                None,
            )
        }
        PanelKind::PoolUtilisation => {
            let sum = |n: String| format!("sum by (instance) ({n}{job})");
            let (active, max, queued) =
                (sum(name(Feed::PoolActive)?), sum(name(Feed::PoolMax)?), sum(name(Feed::PoolQueued)?));
            (format!("100 * {active} / {max}"), Some(format!("({active} >= {max}) and ({queued} > 0)")))
        }
        PanelKind::ConsumerLag => {
            (format!("max by (instance) ({}{job})", name(Feed::ConsumerLagSeconds)?), None)
        }
    })
}

impl RemoteHistory {
    pub fn new(url: &str, timeout: Duration) -> RemoteHistory {
        RemoteHistory {
            base: url.trim_end_matches('/').to_string(),
            client: crate::http::client(Some(timeout)),
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    async fn query_range(
        &self,
        query: &str,
        from: i64,
        to: i64,
        step_s: i64,
    ) -> Result<Vec<Line>, RemoteError> {
        #[expect(clippy::cast_precision_loss, reason = "unix seconds fit an f64 exactly")]
        let (start, end) = (from as f64 / 1000.0, to as f64 / 1000.0);
        let res = self
            .client
            .get(format!("{}/api/v1/query_range", self.base))
            .query(&[
                ("query", query),
                ("start", &start.to_string()),
                ("end", &end.to_string()),
                ("step", &format!("{step_s}s")),
            ])
            .send()
            .await
            .map_err(|e| RemoteError::Unreachable {
                base: self.base.clone(),
                why: crate::http::describe(&e),
            })?;
        let status = res.status();
        let bytes = crate::http::read_limited(res, MAX_RESPONSE)
            .await
            .map_err(|e| RemoteError::NoResult { base: self.base.clone(), why: e.to_string() })?;
        let body: Response = serde_json::from_slice(&bytes)
            .map_err(|e| RemoteError::NoResult { base: self.base.clone(), why: e.to_string() })?;
        if body.status != "success" {
            return Err(RemoteError::Refused {
                base: self.base.clone(),
                status: status.as_u16(),
                error: body.error.unwrap_or_default(),
            });
        }
        let mut lines: Vec<Line> = body
            .data
            .map(|d| d.result)
            .unwrap_or_default()
            .into_iter()
            .map(|s| Line {
                label: s.metric.get("instance").cloned().unwrap_or_else(|| format!("{:?}", s.metric)),
                #[expect(clippy::cast_possible_truncation, reason = "milliseconds of real dates fit an i64")]
                points: s
                    .values
                    .into_iter()
                    .filter_map(|(t, v)| v.parse::<f64>().ok().map(|v| ((t * 1000.0).round() as i64, v)))
                    .collect(),
            })
            .collect();
        lines.sort_by(|a, b| a.label.cmp(&b.label));
        Ok(lines)
    }

    /// One standard panel of a service over [from, to].
    pub async fn panel(
        &self,
        signals: &Signals,
        service: &str,
        kind: PanelKind,
        from: i64,
        to: i64,
        scrape_interval: Duration,
    ) -> Result<Panel, RemoteError> {
        let window_s = (scrape_interval.as_secs() * 4).max(60);
        let step_s = ((to - from) / 1000 / 240).max(1);
        let refs: Vec<_> = (kind == PanelKind::ConsumerLag).then(lag_slo).into_iter().collect();
        let Some((query, alarm_query)) = promql(signals, service, kind, &format!("{window_s}s")) else {
            return Ok(Panel { kind, lines: vec![], alarms: vec![], refs, from, to });
        };
        let lines = self.query_range(&query, from, to, step_s).await?;
        let mut alarms = Vec::new();
        if let Some(q) = alarm_query {
            for line in self.query_range(&q, from, to, step_s).await? {
                // Consecutive steps in alarm make one span.
                let mut span: Option<(i64, i64)> = None;
                for (t, _) in line.points {
                    span = match span {
                        Some((a, b)) if t - b <= step_s * 1000 => Some((a, t)),
                        Some(done) => {
                            alarms.push(done);
                            Some((t, t))
                        }
                        None => Some((t, t)),
                    };
                }
                alarms.extend(span);
            }
        }
        Ok(Panel { kind, lines, alarms, refs, from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promql_comes_from_the_catalog() {
        let catalog =
            super::super::MetricCatalog::parse(super::super::catalog::SHIPPED, "shipped").expect("valid");
        let catalog = catalog.signals();
        let (q, alarm) = promql(catalog, "orders-api", PanelKind::RequestRate, "60s").expect("a query");
        assert_eq!(q, r#"sum by (instance) (rate(http_requests_total{job="orders-api"}[60s]))"#);
        assert!(alarm.is_none());
        let (q, _) = promql(catalog, r#"o"x"#, PanelKind::LatencyP95, "60s").expect("a query");
        assert_eq!(
            q,
            r#"histogram_quantile(0.95, sum by (instance, le) (rate(http_request_duration_seconds_bucket{job="o\"x"}[60s])))"#
        );
        let (q, alarm) = promql(catalog, "p", PanelKind::PoolUtilisation, "60s").expect("a query");
        assert!(q.starts_with(r#"100 * sum by (instance) (worker_pool_active_workers{job="p"})"#), "{q}");
        assert!(alarm.is_some_and(|a| a.contains("worker_pool_queued_tasks")));
        let (q, _) = promql(catalog, "p", PanelKind::ConsumerLag, "60s").expect("a query");
        assert_eq!(q, r#"max by (instance) (consumer_lag_seconds{job="p"})"#);
    }
}
