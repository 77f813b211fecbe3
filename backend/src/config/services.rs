//! `[[services]]` of the config: the service catalog as code.

use super::Invalid;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::time::Duration;
use toml::Spanned;

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
    pub fn interval(&self) -> Duration {
        parse_duration(self.scrape_interval.get_ref()).unwrap_or(Duration::from_secs(15))
    }
}

/// `500ms`, `15s`, `2m`, `1h`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(n)),
        "s" => Some(Duration::from_secs(n)),
        "m" => Some(Duration::from_secs(n * 60)),
        "h" => Some(Duration::from_secs(n * 3600)),
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
    let mut urls = HashSet::new();
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
            if !urls.insert(url.trim_end_matches('/').to_string()) {
                return Err(invalid(
                    &i.base_url,
                    format!("services.instances.base_url: {url} is registered twice (the same instance)"),
                ));
            }
            if !i.metrics_path.starts_with('/') {
                return Err(invalid(
                    &i.base_url,
                    format!("services.instances.metrics_path: {:?} must start with /", i.metrics_path),
                ));
            }
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
