//! The latency exemplars scrapes brought, per service, for the dots on its latency panel:
//! each a request's duration and its trace id. Kept an hour, at most `KEPT` per service; an
//! exemplar seen again on the next scrape (a bucket without a newer request) is kept once.

use super::ingest::LatencyExemplar;
use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use types::charts::ExemplarPoint;

const KEPT: usize = 2_000;
const KEPT_MS: i64 = 3_600_000;

#[derive(Default)]
pub struct ExemplarLog {
    by_service: Mutex<HashMap<String, VecDeque<ExemplarPoint>>>,
}

impl ExemplarLog {
    pub fn record(&self, service: &str, instance: &str, scraped_ms: i64, seen: &[LatencyExemplar]) {
        if seen.is_empty() {
            return;
        }
        let mut map = self.by_service.lock().unwrap_or_else(PoisonError::into_inner);
        let kept = map.entry(service.to_string()).or_default();
        for e in seen {
            if kept.iter().rev().take(KEPT / 4).any(|k| k.trace_id == e.trace_id) {
                continue;
            }
            // A timestamp from the future or far past is the instance's clock, not news.
            let ts_ms = e
                .ts_ms
                .filter(|t| (scraped_ms - KEPT_MS..=scraped_ms + 5_000).contains(t))
                .unwrap_or(scraped_ms);
            kept.push_back(ExemplarPoint {
                ts_ms,
                value: e.value,
                trace_id: e.trace_id.clone(),
                label: instance.to_string(),
            });
        }
        while kept.len() > KEPT || kept.front().is_some_and(|k| k.ts_ms < scraped_ms - KEPT_MS) {
            kept.pop_front();
        }
    }

    /// A service's exemplars observed between the two times, oldest first.
    pub fn between(&self, service: &str, from_ms: i64, to_ms: i64) -> Vec<ExemplarPoint> {
        let map = self.by_service.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out: Vec<ExemplarPoint> = map
            .get(service)
            .map(|k| k.iter().filter(|e| (from_ms..=to_ms).contains(&e.ts_ms)).cloned().collect())
            .unwrap_or_default();
        out.sort_by_key(|e| e.ts_ms);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(trace: &str, value: f64, ts_ms: Option<i64>) -> LatencyExemplar {
        LatencyExemplar { trace_id: trace.into(), value, ts_ms }
    }

    #[test]
    fn keeps_each_exemplar_once_at_its_own_time() {
        let log = ExemplarLog::default();
        log.record("api", "api-1", 10_000, &[seen("a", 0.2, Some(9_500)), seen("b", 0.01, None)]);
        log.record("api", "api-1", 11_000, &[seen("a", 0.2, Some(9_500)), seen("c", 0.05, Some(99_999_999))]);
        let got = log.between("api", 0, 20_000);
        let ids: Vec<(&str, i64)> = got.iter().map(|e| (e.trace_id.as_str(), e.ts_ms)).collect();
        assert_eq!(ids, [("a", 9_500), ("b", 10_000), ("c", 11_000)]);
        assert!(log.between("other", 0, 20_000).is_empty());
        assert_eq!(log.between("api", 10_500, 20_000).len(), 1);
    }

    #[test]
    fn forgets_past_the_hour_and_the_most_kept() {
        let log = ExemplarLog::default();
        log.record("api", "i", 0, &[seen("old", 1.0, None)]);
        let many: Vec<LatencyExemplar> = (0..KEPT + 10).map(|i| seen(&format!("t{i}"), 0.1, None)).collect();
        log.record("api", "i", KEPT_MS + 1, &many);
        let kept = log.between("api", 0, i64::MAX);
        assert_eq!(kept.len(), KEPT);
        assert!(kept.iter().all(|e| e.trace_id != "old"));
    }
}
