//! The hub's TOML configuration (config-as-code): typed, validated as a whole before it is
//! used, with errors that name the file, the line and the field.

pub mod alerts;
pub mod checks;
pub mod read_models;
mod secrets;
pub mod traces;
pub use secrets::mask_secrets;
mod services;
mod triggers;

pub use services::{parse_duration, CaptureTrigger, InstanceDef, Links, ProfilingPaths, ServiceDef};
pub use triggers::TriggerMetric;

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    #[serde(default)]
    pub hub: HubSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    #[serde(default)]
    pub captures: CapturesSection,
    #[serde(default)]
    pub services: Vec<ServiceDef>,
    /// Databases the hub reads (read-model lag, consistency checks).
    #[serde(default)]
    pub connections: Vec<read_models::ConnectionDef>,
    #[serde(default)]
    pub read_models: Vec<read_models::ReadModelDef>,
    /// Consistency checks between a source of truth and a read model.
    #[serde(default)]
    pub checks: Vec<checks::CheckDef>,
    /// Alert rules on the shared metric format's signals.
    #[serde(default)]
    pub alerts: Vec<alerts::AlertDef>,
    /// Where alert notifications go.
    #[serde(default)]
    pub receivers: Vec<alerts::ReceiverDef>,
    /// Spans services export to the hub, or the Jaeger it reads them from.
    #[serde(default)]
    pub tracing: traces::TracingSection,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// The shared metric format's catalog; default: the shipped catalog/shared-metrics.toml.
    pub catalog: Option<PathBuf>,
    /// How long the hub keeps samples itself (embedded history); default 6h.
    pub retention: Option<String>,
    /// At scale: read history from a Prometheus-compatible query API instead.
    pub remote: Option<RemoteSection>,
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RemoteSection {
    /// Base URL of the query API (Prometheus, VictoriaMetrics, Thanos, Mimir), e.g. http://prometheus:9090.
    pub url: String,
    /// How long one query may take; default 10s.
    pub timeout: Option<String>,
}

impl MetricsSection {
    pub fn retention(&self) -> std::time::Duration {
        self.retention.as_deref().and_then(parse_duration).unwrap_or(std::time::Duration::from_secs(6 * 3600))
    }
}

/// The policy of profiling captures.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct CapturesSection {
    /// Artifacts older than this are deleted; default 14d.
    pub retention: String,
    /// At most this many artifacts are kept per service (the newest); default 200.
    pub keep_per_service: u32,
    /// Captures one user may request per hour; default 30.
    pub per_user_per_hour: u32,
}

impl Default for CapturesSection {
    fn default() -> Self {
        Self { retention: "14d".into(), keep_per_service: 200, per_user_per_hour: 30 }
    }
}

impl CapturesSection {
    pub fn retention(&self) -> std::time::Duration {
        parse_duration(&self.retention).unwrap_or(std::time::Duration::from_secs(14 * 86_400))
    }
}

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HubSection {
    pub public_url: String,
    pub session_idle_minutes: u32,
}

impl Default for HubSection {
    fn default() -> Self {
        Self { public_url: "http://127.0.0.1:3000".into(), session_idle_minutes: 720 }
    }
}

/// A config error that names the file, the line and what is wrong with which field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("config error in {file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

/// Where the config comes from: a file, or the shipped text when no file is named.
#[derive(Clone, Debug)]
pub struct ConfigFile {
    pub path: Option<PathBuf>,
    pub shipped: &'static str,
}

impl ConfigFile {
    pub fn label(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "config/demo.toml (shipped)".to_string(), |p| p.display().to_string())
    }

    /// The file's current text.
    pub fn read(&self) -> Result<String, ConfigError> {
        match &self.path {
            None => Ok(self.shipped.to_string()),
            Some(path) => std::fs::read_to_string(path).map_err(|e| ConfigError {
                file: self.label(),
                line: None,
                message: format!("cannot read it: {e}"),
            }),
        }
    }

    pub fn load(&self) -> Result<(HubConfig, String), ConfigError> {
        let text = self.read()?;
        Ok((HubConfig::parse(&text, &self.label())?, text))
    }
}

/// A problem found after parsing: the byte offset it points at, and the message.
pub(crate) struct Invalid {
    pub at: Option<usize>,
    pub message: String,
}

impl HubConfig {
    pub fn parse(text: &str, file: &str) -> Result<HubConfig, ConfigError> {
        let config: HubConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: file.to_string(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: mask_secrets(e.message().trim()),
        })?;
        config.validate().map_err(|Invalid { at, message }| ConfigError {
            file: file.to_string(),
            line: at.map(|offset| line_of(text, offset)),
            message,
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), Invalid> {
        let url = &self.hub.public_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(Invalid {
                at: None,
                message: format!("hub.public_url: {url:?} is not an http:// or https:// URL"),
            });
        }
        if self.hub.session_idle_minutes == 0 {
            return Err(Invalid { at: None, message: "hub.session_idle_minutes: must be at least 1".into() });
        }
        if let Some(r) = &self.metrics.retention {
            match parse_duration(r) {
                Some(d)
                    if d >= std::time::Duration::from_secs(60)
                        && d <= std::time::Duration::from_secs(30 * 86_400) => {}
                _ => {
                    return Err(Invalid {
                        at: None,
                        message: format!(
                            "metrics.retention: {r:?} must be a duration from 1m to 720h, like \"6h\""
                        ),
                    });
                }
            }
        }
        if let Some(remote) = &self.metrics.remote {
            let url = &remote.url;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(Invalid {
                    at: None,
                    message: format!("metrics.remote.url: {url:?} is not an http:// or https:// URL"),
                });
            }
            if remote.timeout.as_deref().is_some_and(|t| parse_duration(t).is_none()) {
                return Err(Invalid {
                    at: None,
                    message: "metrics.remote.timeout: a duration like \"10s\"".into(),
                });
            }
        }
        let c = &self.captures;
        if parse_duration(&c.retention).is_none_or(|d| d.as_secs() < 3600) {
            return Err(Invalid {
                at: None,
                message: format!(
                    "captures.retention: {:?} must be a duration of 1h or more, like \"14d\"",
                    c.retention
                ),
            });
        }
        if c.keep_per_service == 0 || c.per_user_per_hour == 0 {
            return Err(Invalid {
                at: None,
                message: "captures.keep_per_service and captures.per_user_per_hour must be at least 1".into(),
            });
        }
        self.tracing.validate()?;
        services::validate(&self.services)?;
        read_models::validate_connections(&self.connections)?;
        read_models::validate_read_models(&self.read_models, &self.connections)?;
        let connections = self.connections.iter().map(|c| c.name.get_ref().as_str()).collect();
        let models = self.read_models.iter().map(|m| m.name.get_ref().as_str()).collect();
        checks::validate(&self.checks, &connections, &models)?;
        alerts::validate_receivers(&self.receivers)?;
        let known = alerts::Known {
            services: self.services.iter().map(|s| s.name.get_ref().as_str()).collect(),
            receivers: self.receivers.iter().map(|r| r.name.get_ref().as_str()).collect(),
            read_models: self.read_models.iter().map(|m| m.name.get_ref().as_str()).collect(),
        };
        alerts::validate_alerts(&self.alerts, &known)?;
        for m in &self.read_models {
            if self.service(&m.service).is_none() {
                return Err(Invalid {
                    at: Some(m.name.span().start),
                    message: format!(
                        "read_models.service: {} names service {:?}, which the config does not declare",
                        m.name.get_ref(),
                        m.service
                    ),
                });
            }
        }
        Ok(())
    }

    pub fn secure_cookies(&self) -> bool {
        self.hub.public_url.starts_with("https://")
    }

    pub fn service(&self, name: &str) -> Option<&ServiceDef> {
        self.services.iter().find(|s| s.name.get_ref() == name)
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

#[cfg(test)]
mod tests;
