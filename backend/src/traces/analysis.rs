//! A trace read as a tree: the waterfall's order and depths, the critical path, and the
//! first failing service — the span whose error no failing child explains, the earliest of
//! them (a BFF that failed because quotes failed points at quotes).

use std::collections::{BTreeMap, HashMap, HashSet};
use types::traces::{SpanStatus, SpanView, TraceView};

/// Where failures started, over a set of traces: a service their first failing spans belong
/// to, how many of the traces name it, and the instance those spans ran on most (their
/// resource's `service.instance.id`, when the SDK set it).
#[derive(Debug, PartialEq)]
pub struct Blame {
    pub service: String,
    pub instance: Option<String>,
    pub traces: usize,
}

/// Every first failing service of these traces, the most named first (then by name).
pub fn blame(traces: &[TraceView]) -> Vec<Blame> {
    let mut services: BTreeMap<&str, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
    for t in traces {
        let (Some(service), Some(span)) = (&t.first_failing_service, &t.first_failing_span) else {
            continue;
        };
        let entry = services.entry(service).or_default();
        entry.0 += 1;
        let instance = t
            .spans
            .iter()
            .find(|s| &s.span_id == span)
            .and_then(|s| s.attributes.get("resource.service.instance.id"));
        if let Some(instance) = instance {
            *entry.1.entry(instance).or_default() += 1;
        }
    }
    let mut out: Vec<Blame> = services
        .into_iter()
        .map(|(service, (traces, instances))| Blame {
            service: service.to_string(),
            // The most seen; of equals, the first by name.
            instance: instances
                .into_iter()
                .max_by_key(|(i, n)| (*n, std::cmp::Reverse(*i)))
                .map(|(i, _)| i.to_string()),
            traces,
        })
        .collect();
    out.sort_by(|a, b| b.traces.cmp(&a.traces).then_with(|| a.service.cmp(&b.service)));
    out
}

/// Puts a trace's spans in the waterfall's order and reads what the page shows at the top.
pub fn assemble(trace_id: &str, mut spans: Vec<SpanView>) -> TraceView {
    spans.sort_by(|a, b| (a.start_us, &a.span_id).cmp(&(b.start_us, &b.span_id)));
    let ids: HashSet<&str> = spans.iter().map(|s| s.span_id.as_str()).collect();
    let mut children: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut roots = Vec::new();
    for (i, s) in spans.iter().enumerate() {
        match s.parent_id.as_deref().filter(|p| ids.contains(p) && *p != s.span_id) {
            Some(p) => children.entry(p).or_default().push(i),
            // A span whose parent never arrived is drawn as a root of its own.
            None => roots.push(i),
        }
    }
    // Depth first, siblings by start; a cycle (ids reused by a broken exporter) is cut.
    let mut order: Vec<(usize, u32)> = Vec::with_capacity(spans.len());
    let mut seen = vec![false; spans.len()];
    let mut stack: Vec<(usize, u32)> = roots.iter().rev().map(|i| (*i, 0)).collect();
    while let Some((i, depth)) = stack.pop() {
        if std::mem::replace(&mut seen[i], true) {
            continue;
        }
        order.push((i, depth));
        if let Some(kids) = children.get(spans[i].span_id.as_str()) {
            stack.extend(kids.iter().rev().map(|k| (*k, depth + 1)));
        }
    }
    for (i, s) in seen.iter().enumerate() {
        if !s {
            order.push((i, 0));
        }
    }
    let first = first_failing(&spans, &children);
    let critical = critical_path(&spans, &children, &roots);
    let first_failing_service = first.map(|i| spans[i].service.clone());
    let first_failing_span = first.map(|i| spans[i].span_id.clone());
    let critical_path = critical.iter().map(|i| spans[*i].span_id.clone()).collect();
    let depths = order.iter().map(|(_, d)| *d).collect();
    let mut slots: Vec<Option<SpanView>> = spans.into_iter().map(Some).collect();
    let spans = order.iter().filter_map(|(i, _)| slots[*i].take()).collect();
    TraceView {
        trace_id: trace_id.to_string(),
        spans,
        first_failing_service,
        first_failing_span,
        critical_path,
        depths,
        source: "hub".into(),
        viewer_url: None,
    }
}

/// The earliest failing span none of whose children failed.
fn first_failing(spans: &[SpanView], children: &HashMap<&str, Vec<usize>>) -> Option<usize> {
    spans
        .iter()
        .enumerate()
        .filter(|(_, s)| s.status == SpanStatus::Error)
        .filter(|(_, s)| {
            let kids = children.get(s.span_id.as_str()).map_or(&[][..], Vec::as_slice);
            !kids.iter().any(|k| spans[*k].status == SpanStatus::Error)
        })
        .min_by_key(|(_, s)| (s.start_us, std::cmp::Reverse(s.start_us + s.duration_us)))
        .map(|(i, _)| i)
}

/// From the longest root, each step to the child that ends last: where the time went.
fn critical_path(spans: &[SpanView], children: &HashMap<&str, Vec<usize>>, roots: &[usize]) -> Vec<usize> {
    let end = |i: usize| spans[i].start_us.saturating_add(spans[i].duration_us);
    let Some(mut at) = roots.iter().copied().max_by_key(|i| spans[*i].duration_us) else {
        return Vec::new();
    };
    let mut path = vec![at];
    let mut seen = HashSet::from([at]);
    while let Some(next) =
        children.get(spans[at].span_id.as_str()).and_then(|k| k.iter().copied().max_by_key(|i| end(*i)))
    {
        if !seen.insert(next) {
            break;
        }
        path.push(next);
        at = next;
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn span(id: &str, parent: Option<&str>, service: &str, start: i64, dur: i64, error: bool) -> SpanView {
        SpanView {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            service: service.into(),
            name: format!("op {id}"),
            start_us: start,
            duration_us: dur,
            status: if error { SpanStatus::Error } else { SpanStatus::Ok },
            status_message: None,
            kind: String::new(),
            attributes: BTreeMap::new(),
            events: vec![],
        }
    }

    #[test]
    fn the_bff_that_failed_because_quotes_failed_points_at_quotes() {
        let spans = vec![
            span("q", Some("c2"), "quotes", 30, 50, true),
            span("bff", None, "portfolio-bff", 0, 100, true),
            span("c1", Some("bff"), "portfolio-bff", 5, 20, false),
            span("o", Some("c1"), "orders-api", 6, 18, false),
            span("c2", Some("bff"), "portfolio-bff", 28, 60, true),
        ];
        let t = assemble("t", spans);
        assert_eq!(t.first_failing_service.as_deref(), Some("quotes"));
        assert_eq!(t.first_failing_span.as_deref(), Some("q"));
        let order: Vec<&str> = t.spans.iter().map(|s| s.span_id.as_str()).collect();
        assert_eq!(order, ["bff", "c1", "o", "c2", "q"]);
        assert_eq!(t.depths, [0, 1, 2, 1, 2]);
        assert_eq!(t.critical_path, ["bff", "c2", "q"]);
    }

    #[test]
    fn blame_counts_the_first_failing_services_and_their_instances() {
        let on = |instance: &str, mut s: SpanView| {
            s.attributes.insert("resource.service.instance.id".into(), instance.into());
            s
        };
        let failing = |id: &str, service: &str, instance: &str| {
            assemble(
                id,
                vec![
                    span("root", None, "bff", 0, 10, true),
                    on(instance, span("x", Some("root"), service, 1, 5, true)),
                ],
            )
        };
        let traces = vec![
            failing("1", "quotes", "quotes-2"),
            failing("2", "quotes", "quotes-1"),
            failing("3", "quotes", "quotes-2"),
            failing("4", "orders", "orders-1"),
            assemble("5", vec![span("ok", None, "bff", 0, 10, false)]),
        ];
        let b = blame(&traces);
        let got: Vec<(&str, Option<&str>, usize)> =
            b.iter().map(|b| (b.service.as_str(), b.instance.as_deref(), b.traces)).collect();
        assert_eq!(got, [("quotes", Some("quotes-2"), 3), ("orders", Some("orders-1"), 1)]);
        // Equal counts: the first by name, for services and instances alike.
        let tie =
            blame(&[failing("1", "zeta", "z-2"), failing("2", "alpha", "a-1"), failing("3", "zeta", "z-1")]);
        assert_eq!((tie[0].service.as_str(), tie[0].instance.as_deref()), ("zeta", Some("z-1")));
        assert!(blame(&traces[4..]).is_empty());
    }

    #[test]
    fn orphans_and_cycles_are_drawn_not_looped() {
        let spans = vec![
            span("a", Some("b"), "s", 0, 10, false),
            span("b", Some("a"), "s", 1, 10, false),
            span("lost", Some("never-came"), "s", 2, 5, true),
        ];
        let t = assemble("t", spans);
        assert_eq!(t.spans.len(), 3);
        assert_eq!(t.first_failing_service.as_deref(), Some("s"));
        assert!(assemble("t", vec![]).first_failing_service.is_none());
    }
}
