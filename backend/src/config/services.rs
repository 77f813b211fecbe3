//! `[[services]]` of the config: the service catalog as code.

use super::triggers::{taken_kind, TriggerMetric};
use super::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;
use toml::Spanned;
use types::CaptureKind;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ServiceDef {
    pub name: Spanned<String>,
    pub team: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub links: Links,
    #[serde(default = "default_interval")]
    pub scrape_interval: Spanned<String>,
    /// Profiles of the shared metric format it implements (`http`, `worker_pool`,
    /// `consumer`, `read_model`); `process` applies to every service.
    #[serde(default)]
    pub metric_profiles: Vec<String>,
    #[serde(default)]
    pub instances: Vec<InstanceDef>,
    /// Where captures are taken, when the service's endpoints are not the usual ones.
    #[serde(default)]
    pub profiling: ProfilingPaths,
    /// Captures the hub takes by itself when a panel metric passes a threshold.
    #[serde(default)]
    pub capture_triggers: Vec<CaptureTrigger>,
}

/// The paths of an instance's capture endpoints (relative to its base URL).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ProfilingPaths {
    /// A pprof CPU profile; `?seconds=N` is added.
    pub cpu: String,
    /// A pprof heap profile.
    pub heap: String,
    /// A thread dump (JVM jstack text, Go goroutine dump, or the fleet's format).
    pub threads: String,
}

impl Default for ProfilingPaths {
    fn default() -> Self {
        Self {
            cpu: "/debug/pprof/profile".into(),
            heap: "/debug/pprof/heap".into(),
            threads: "/debug/threads".into(),
        }
    }
}

impl ProfilingPaths {
    /// The path and query a capture of `kind` calls; None for the kinds that are uploaded.
    pub fn endpoint(&self, kind: CaptureKind, seconds: i64) -> Option<String> {
        match kind {
            CaptureKind::Cpu => {
                let sep = if self.cpu.contains('?') { '&' } else { '?' };
                Some(format!("{}{sep}seconds={seconds}", self.cpu))
            }
            CaptureKind::Heap => Some(self.heap.clone()),
            CaptureKind::Threads | CaptureKind::ThreadsSeries => Some(self.threads.clone()),
            CaptureKind::Pprof | CaptureKind::Jstack | CaptureKind::Goroutine => None,
        }
    }
}

/// "Capture a thread dump when the pool passes 90 %": a panel metric of each instance,
/// checked on every scrape.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct CaptureTrigger {
    pub metric: Spanned<TriggerMetric>,
    pub above: f64,
    /// `cpu`, `heap` or `threads`.
    #[serde(deserialize_with = "taken_kind")]
    pub kind: CaptureKind,
    /// For `cpu`: 5 to 120; default 30.
    pub seconds: Option<i64>,
    /// The least time between two captures it triggers on one instance; default 10m.
    pub cooldown: Option<String>,
}

impl CaptureTrigger {
    pub fn cooldown(&self) -> Duration {
        self.cooldown.as_deref().and_then(parse_duration).unwrap_or(Duration::from_secs(600))
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Links {
    pub runbook: Option<String>,
    pub dashboard: Option<String>,
    pub traces: Option<String>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct InstanceDef {
    pub name: Spanned<String>,
    /// `http(s)://host:port`, or `demo://NAME` for an instance of the demo fleet.
    pub base_url: Spanned<String>,
    #[serde(default = "default_metrics_path")]
    pub metrics_path: String,
}

fn default_interval() -> Spanned<String> {
    Spanned::new(0..0, "15s".to_string())
}

fn default_metrics_path() -> String {
    "/metrics".to_string()
}

impl ServiceDef {
    /// `seen` when it is one of its instances, else its first: what a capture of the service
    /// is taken of when something (an alert, a trace) named an instance or none.
    pub fn instance_or_first(&self, seen: Option<&str>) -> Option<String> {
        seen.filter(|s| self.instances.iter().any(|i| i.name.get_ref() == s))
            .or_else(|| self.instances.first().map(|i| i.name.get_ref().as_str()))
            .map(str::to_string)
    }

    pub fn interval(&self) -> Duration {
        parse_duration(self.scrape_interval.get_ref()).unwrap_or(Duration::from_secs(15))
    }
}

/// `500ms`, `15s`, `2m`, `1h`, `14d`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    match unit {
        "us" | "µs" => Some(Duration::from_micros(n)),
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n * 60)),
        "h" => Some(Duration::from_secs(n * 3600)),
        "d" => Some(Duration::from_secs(n * 86_400)),
        _ => None,
    }
}

fn is_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

fn invalid<T>(span: &Spanned<T>, message: String) -> Invalid {
    let at = span.span().start;
    Invalid { at: (span.span().end > 0).then_some(at), message }
}

pub(super) fn validate(services: &[ServiceDef]) -> Result<(), Invalid> {
    let mut service_names = HashSet::new();
    let mut targets = HashSet::new();
    for s in services {
        let name = s.name.get_ref();
        if !is_name(name) {
            return Err(invalid(
                &s.name,
                format!("services.name: {name:?} must be 1–64 of a-z, 0-9, '-', '_'"),
            ));
        }
        if !service_names.insert(name.clone()) {
            return Err(invalid(&s.name, format!("services.name: service {name} is declared twice")));
        }
        match parse_duration(s.scrape_interval.get_ref()) {
            Some(d) if d >= Duration::from_millis(500) && d <= Duration::from_secs(3600) => {}
            _ => {
                return Err(invalid(
                    &s.scrape_interval,
                    format!(
                        "services.scrape_interval: {:?} in {name} must be a duration from 500ms to 1h, like \"15s\"",
                        s.scrape_interval.get_ref()
                    ),
                ));
            }
        }
        let mut instance_names = HashSet::new();
        for i in &s.instances {
            let iname = i.name.get_ref();
            if !is_name(iname) {
                return Err(invalid(
                    &i.name,
                    format!("services.instances.name: {iname:?} must be 1–64 of a-z, 0-9, '-', '_'"),
                ));
            }
            if !instance_names.insert(iname.clone()) {
                return Err(invalid(
                    &i.name,
                    format!("services.instances.name: {name} has instance {iname} twice"),
                ));
            }
            let url = i.base_url.get_ref();
            check_url(url).map_err(|why| {
                invalid(&i.base_url, format!("services.instances.base_url: {url:?}: {why}"))
            })?;
            // One port may serve several targets (kubelet: /metrics and /metrics/cadvisor).
            let target = format!("{}{}", url.trim_end_matches('/'), i.metrics_path);
            if !targets.insert(target.clone()) {
                return Err(invalid(
                    &i.base_url,
                    format!(
                        "services.instances.base_url: {url} with metrics_path {} is registered twice (the same target {target})",
                        i.metrics_path
                    ),
                ));
            }
            if !i.metrics_path.starts_with('/') {
                return Err(invalid(
                    &i.base_url,
                    format!("services.instances.metrics_path: {:?} must start with /", i.metrics_path),
                ));
            }
        }
        validate_profiling(s)?;
    }
    Ok(())
}

fn validate_profiling(s: &ServiceDef) -> Result<(), Invalid> {
    let name = s.name.get_ref();
    let p = &s.profiling;
    for (key, path) in [("cpu", &p.cpu), ("heap", &p.heap), ("threads", &p.threads)] {
        if !path.starts_with('/') || path.contains(['#', ' ']) || path.contains("://") {
            return Err(invalid(
                &s.name,
                format!("services.profiling.{key}: {path:?} in {name} must be a path starting with /"),
            ));
        }
    }
    for t in &s.capture_triggers {
        if !(0.0..=1.0).contains(&t.above) {
            return Err(invalid(
                &t.metric,
                format!("services.capture_triggers.above: {} in {name} must be from 0 to 1", t.above),
            ));
        }
        if t.seconds.is_some_and(|s| !(5..=120).contains(&s)) {
            return Err(invalid(&t.metric, format!("services.capture_triggers.seconds: 5 to 120 in {name}")));
        }
        if t.cooldown.as_deref().is_some_and(|c| parse_duration(c).is_none_or(|d| d.as_secs() < 10)) {
            return Err(invalid(
                &t.metric,
                format!(
                    "services.capture_triggers.cooldown: a duration of 10s or more, like \"10m\", in {name}"
                ),
            ));
        }
    }
    Ok(())
}

fn check_url(url: &str) -> Result<(), &'static str> {
    if let Some(name) = url.strip_prefix("demo://") {
        return if is_name(name) { Ok(()) } else { Err("a demo instance is demo://NAME") };
    }
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .ok_or("must start with http:// or https://")?;
    let host_port = rest.split('/').next().unwrap_or("");
    if host_port.is_empty() || host_port.contains('@') || host_port.contains(char::is_whitespace) {
        return Err("needs a host (and no user or password)");
    }
    if let Some((_, port)) = host_port.rsplit_once(':') {
        if !port.is_empty() && port.parse::<u16>().is_err() && !host_port.ends_with(']') {
            return Err("the port must be a number up to 65535");
        }
    }
    if rest.contains(['?', '#']) {
        return Err("a base URL has no query or fragment");
    }
    Ok(())
}
