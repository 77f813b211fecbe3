//! Which spans are kept: a share of traces chosen by trace id (so a trace is kept whole), and
//! every trace with an error — including its spans that came before the error did: spans of
//! traces not chosen wait here a minute in case an error of their trace follows.

use otlp::Decoded;
use std::collections::HashMap;
use types::traces::SpanStatus;

/// How long spans of a trace not chosen wait for an error of their trace, and how long a
/// trace with an error keeps being kept.
const HOLD_MS: i64 = 60_000;
const ERRORED_MS: i64 = 600_000;
/// Spans held at most; past it the oldest traces' are let go.
const MAX_HELD: usize = 200_000;

#[derive(Debug, Default)]
pub struct Sampler {
    held: HashMap<String, (i64, Vec<Decoded>)>,
    held_spans: usize,
    errored: HashMap<String, i64>,
}

/// True when `trace_id` falls in the kept share `rate` (0..1), the same answer on every hub.
pub fn chosen(trace_id: &str, rate: f64) -> bool {
    if rate >= 1.0 {
        return true;
    }
    // The trace id's last 8 hex digits are random (W3C); any text hashes the same way anyway.
    let h = trace_id
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    #[expect(clippy::cast_precision_loss, reason = "a share")]
    let share = (h % 1_000_000) as f64 / 1_000_000.0;
    share < rate
}

impl Sampler {
    /// The spans of `batch` to keep now (with any held ones their trace's error releases).
    pub fn keep(&mut self, batch: Vec<Decoded>, rate: f64, now_ms: i64) -> Vec<Decoded> {
        if rate >= 1.0 {
            return batch;
        }
        self.expire(now_ms);
        for d in batch.iter().filter(|d| d.span.status == SpanStatus::Error) {
            self.errored.insert(d.trace_id.clone(), now_ms);
        }
        let mut out = Vec::new();
        for d in batch {
            if chosen(&d.trace_id, rate) || self.errored.contains_key(&d.trace_id) {
                if let Some((_, held)) = self.held.remove(&d.trace_id) {
                    self.held_spans -= held.len();
                    out.extend(held);
                }
                out.push(d);
            } else {
                let e = self.held.entry(d.trace_id.clone()).or_insert_with(|| (now_ms, Vec::new()));
                e.1.push(d);
                self.held_spans += 1;
            }
        }
        out
    }

    fn expire(&mut self, now_ms: i64) {
        self.errored.retain(|_, t| now_ms - *t < ERRORED_MS);
        let before = self.held.len();
        self.held.retain(|_, (t, _)| now_ms - *t < HOLD_MS);
        if self.held.len() != before || self.held_spans > MAX_HELD {
            if self.held_spans > MAX_HELD {
                let mut oldest: Vec<(i64, String)> =
                    self.held.iter().map(|(k, (t, _))| (*t, k.clone())).collect();
                oldest.sort();
                for (_, k) in oldest.into_iter().take(self.held.len() / 2) {
                    self.held.remove(&k);
                }
            }
            self.held_spans = self.held.values().map(|(_, v)| v.len()).sum();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;
    use types::traces::SpanView;

    fn d(trace: &str, id: &str, error: bool) -> Decoded {
        Decoded {
            trace_id: trace.into(),
            span: SpanView {
                span_id: id.into(),
                parent_id: None,
                service: "s".into(),
                name: "op".into(),
                start_us: 0,
                duration_us: 1,
                status: if error { SpanStatus::Error } else { SpanStatus::Ok },
                status_message: None,
                kind: String::new(),
                attributes: BTreeMap::new(),
                events: vec![],
            },
        }
    }

    #[test]
    fn keeps_a_share_whole_and_every_error_trace_with_its_earlier_spans() {
        let kept = (0..10_000).filter(|i| chosen(&format!("{i:032x}"), 0.1)).count();
        assert!((800..1200).contains(&kept), "{kept}");
        let mut s = Sampler::default();
        // A trace not chosen at 0 %: held, then released whole by its error.
        assert!(s.keep(vec![d("t1", "a", false)], 0.0, 1_000).is_empty());
        let out = s.keep(vec![d("t1", "b", true), d("t2", "c", false)], 0.0, 2_000);
        let ids: Vec<&str> = out.iter().map(|x| x.span.span_id.as_str()).collect();
        assert_eq!(ids, ["a", "b"]);
        // Later spans of the failed trace are kept too; held ones expire after a minute.
        assert_eq!(s.keep(vec![d("t1", "e", false)], 0.0, 3_000).len(), 1);
        assert!(s.keep(vec![d("t3", "f", false)], 0.0, 100_000).is_empty());
        assert!(!s.held.contains_key("t2"));
    }
}
