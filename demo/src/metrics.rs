//! A small metrics registry that speaks the Prometheus text format 0.0.4 and OpenMetrics 1.0
//! (with exemplars carrying trace ids), as the shared metric format asks of every service.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Mutex, PoisonError};

pub type Labels = Vec<(&'static str, String)>;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram,
}

#[derive(Clone, Default)]
struct Exemplar {
    trace_id: String,
    value: f64,
    at_s: f64,
}

#[derive(Clone, Default)]
struct Series {
    value: f64,
    buckets: Vec<u64>,
    count: u64,
    sum: f64,
    exemplar: Option<Exemplar>,
    bucket_exemplars: Vec<Option<Exemplar>>,
}

struct Family {
    help: &'static str,
    kind: Kind,
    unit: &'static str,
    buckets: &'static [f64],
    series: BTreeMap<Vec<(&'static str, String)>, Series>,
}

#[derive(Default)]
pub struct Registry {
    families: Mutex<BTreeMap<&'static str, Family>>,
}

pub const LATENCY_BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5];

impl Registry {
    /// Declares a family once; later declarations of the same name are ignored.
    pub fn declare(&self, name: &'static str, kind: Kind, unit: &'static str, help: &'static str) {
        self.declare_histogram(name, kind, unit, help, &[]);
    }

    pub fn declare_histogram(
        &self,
        name: &'static str,
        kind: Kind,
        unit: &'static str,
        help: &'static str,
        buckets: &'static [f64],
    ) {
        let mut f = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        f.entry(name).or_insert(Family { help, kind, unit, buckets, series: BTreeMap::new() });
    }

    fn with_series(&self, name: &'static str, labels: Labels, act: impl FnOnce(&mut Series, &'static [f64])) {
        let mut f = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(family) = f.get_mut(name) {
            let buckets = family.buckets;
            let series = family.series.entry(labels).or_insert_with(|| Series {
                buckets: vec![0; buckets.len()],
                bucket_exemplars: vec![None; buckets.len()],
                ..Series::default()
            });
            act(series, buckets);
        }
    }

    pub fn inc(&self, name: &'static str, labels: Labels) {
        self.add(name, labels, 1.0);
    }

    pub fn add(&self, name: &'static str, labels: Labels, by: f64) {
        self.with_series(name, labels, |s, _| s.value += by);
    }

    /// A counter increment that remembers the trace that caused it.
    pub fn inc_with_exemplar(&self, name: &'static str, labels: Labels, trace_id: &str) {
        self.with_series(name, labels, |s, _| {
            s.value += 1.0;
            s.exemplar = Some(Exemplar { trace_id: trace_id.to_string(), value: 1.0, at_s: now_s() });
        });
    }

    pub fn set(&self, name: &'static str, labels: Labels, value: f64) {
        self.with_series(name, labels, |s, _| s.value = value);
    }

    pub fn observe(&self, name: &'static str, labels: Labels, value: f64, trace_id: Option<&str>) {
        self.with_series(name, labels, |s, buckets| {
            s.count += 1;
            s.sum += value;
            if let Some(i) = buckets.iter().position(|le| value <= *le) {
                // Stored per bucket, made cumulative when rendered.
                s.buckets[i] += 1;
                if let Some(t) = trace_id {
                    s.bucket_exemplars[i] = Some(Exemplar { trace_id: t.to_string(), value, at_s: now_s() });
                }
            }
        });
    }

    /// Prometheus text 0.0.4 (`openmetrics == false`) or OpenMetrics 1.0 with exemplars.
    pub fn render(&self, openmetrics: bool) -> String {
        let f = self.families.lock().unwrap_or_else(PoisonError::into_inner);
        let mut out = String::with_capacity(8192);
        for (name, family) in f.iter() {
            render_family(&mut out, name, family, openmetrics);
        }
        if openmetrics {
            out.push_str("# EOF\n");
        }
        out
    }
}

fn render_family(out: &mut String, name: &str, family: &Family, om: bool) {
    let kind = match family.kind {
        Kind::Counter => "counter",
        Kind::Gauge => "gauge",
        Kind::Histogram => "histogram",
    };
    // OpenMetrics names a counter family without its _total suffix.
    let family_name = if om && family.kind == Kind::Counter { name.trim_end_matches("_total") } else { name };
    let _ = writeln!(out, "# HELP {family_name} {}", family.help);
    let _ = writeln!(out, "# TYPE {family_name} {kind}");
    if om && !family.unit.is_empty() {
        let _ = writeln!(out, "# UNIT {family_name} {}", family.unit);
    }
    for (labels, s) in &family.series {
        let base = render_labels(labels, None);
        match family.kind {
            Kind::Counter | Kind::Gauge => {
                let _ = write!(out, "{name}{base} {}", fmt_f(s.value));
                if om {
                    if let Some(e) = &s.exemplar {
                        write_exemplar(out, e);
                    }
                }
                out.push('\n');
            }
            Kind::Histogram => {
                let mut cumulative = 0;
                for (i, le) in family.buckets.iter().enumerate() {
                    cumulative += s.buckets[i];
                    let l = render_labels(labels, Some(&fmt_f(*le)));
                    let _ = write!(out, "{name}_bucket{l} {cumulative}");
                    if om {
                        if let Some(e) = &s.bucket_exemplars[i] {
                            write_exemplar(out, e);
                        }
                    }
                    out.push('\n');
                }
                let l = render_labels(labels, Some("+Inf"));
                let _ = writeln!(out, "{name}_bucket{l} {}", s.count);
                let _ = writeln!(out, "{name}_sum{base} {}", fmt_f(s.sum));
                let _ = writeln!(out, "{name}_count{base} {}", s.count);
            }
        }
    }
}

fn write_exemplar(out: &mut String, e: &Exemplar) {
    let _ = write!(out, " # {{trace_id=\"{}\"}} {} {:.3}", e.trace_id, fmt_f(e.value), e.at_s);
}

fn render_labels(labels: &[(&'static str, String)], le: Option<&str>) -> String {
    if labels.is_empty() && le.is_none() {
        return String::new();
    }
    let mut parts: Vec<String> = labels.iter().map(|(k, v)| format!("{k}=\"{}\"", escape(v))).collect();
    if let Some(le) = le {
        parts.push(format!("le=\"{le}\""));
    }
    format!("{{{}}}", parts.join(","))
}

fn escape(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

fn fmt_f(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

fn now_s() -> f64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_both_formats() {
        let r = Registry::default();
        r.declare("http_requests_total", Kind::Counter, "", "Requests.");
        r.declare_histogram(
            "http_request_duration_seconds",
            Kind::Histogram,
            "seconds",
            "Latency.",
            LATENCY_BUCKETS,
        );
        r.inc_with_exemplar("http_requests_total", vec![("route", "/orders/{id}".into())], "abc123");
        r.observe("http_request_duration_seconds", vec![("route", "/x".into())], 0.003, Some("t1"));
        let text = r.render(false);
        assert!(
            text.contains(
                "# TYPE http_requests_total counter\nhttp_requests_total{route=\"/orders/{id}\"} 1.0\n"
            ),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{route=\"/x\",le=\"0.0025\"} 0\n"),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{route=\"/x\",le=\"0.005\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("http_request_duration_seconds_bucket{route=\"/x\",le=\"+Inf\"} 1\n"),
            "{text}"
        );
        assert!(!text.contains("# EOF") && !text.contains("trace_id"));
        let om = r.render(true);
        assert!(om.contains("# TYPE http_requests counter\n"), "{om}");
        assert!(om.contains("# UNIT http_request_duration_seconds seconds\n"), "{om}");
        assert!(om.contains("le=\"0.005\"} 1 # {trace_id=\"t1\"} 0.003 "), "{om}");
        assert!(om.ends_with("# EOF\n"));
    }
}
