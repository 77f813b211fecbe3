//! The shared metric format's catalog file: which families exist, their type, unit, labels
//! and limits, and which profile (kind of service) needs them.

use super::signals::Signals;
use crate::config::ConfigError;
use exposition::MetricType;
use serde::Deserialize;
use types::CatalogFamilyView;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricCatalog {
    #[serde(default = "default_max_series")]
    pub default_max_series: usize,
    pub families: Vec<CatalogFamily>,
    /// What each standard signal reads, resolved from `families` when the file is parsed.
    #[serde(skip)]
    signals: Signals,
}

fn default_max_series() -> usize {
    1000
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogFamily {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub unit: String,
    pub profile: String,
    pub help: String,
    #[serde(default)]
    pub required_labels: Vec<String>,
    #[serde(default)]
    pub allowed_labels: Vec<String>,
    pub max_series: Option<usize>,
    #[serde(default)]
    pub panel: String,
    /// Which part of a panel with several families this one is (`active`, `max`, `queued`, `lag`).
    #[serde(default)]
    pub panel_role: String,
    #[serde(default)]
    pub example: String,
}

/// The shipped catalog, used unless the config names another file.
pub const SHIPPED: &str = include_str!("../../../catalog/shared-metrics.toml");

/// The catalog the config names (`[metrics] catalog`, relative to the config file), or the
/// shipped one.
pub fn load(
    config: &crate::config::HubConfig,
    file: &crate::config::ConfigFile,
) -> Result<MetricCatalog, ConfigError> {
    let Some(path) = &config.metrics.catalog else {
        return MetricCatalog::parse(SHIPPED, "catalog/shared-metrics.toml (shipped)");
    };
    let path = match (&file.path, path.is_relative()) {
        (Some(config_path), true) => config_path.parent().map_or_else(|| path.clone(), |dir| dir.join(path)),
        _ => path.clone(),
    };
    let label = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| ConfigError {
        file: label.clone(),
        line: None,
        message: format!("cannot read the metric catalog: {e}"),
    })?;
    MetricCatalog::parse(&text, &label)
}

/// Every service implements this profile.
pub const ALWAYS: &str = "process";

impl CatalogFamily {
    pub fn metric_type(&self) -> MetricType {
        MetricType::parse(&self.kind).unwrap_or(MetricType::Unknown)
    }

    pub fn view(&self, default_max: usize) -> CatalogFamilyView {
        CatalogFamilyView {
            name: self.name.clone(),
            kind: self.kind.clone(),
            unit: self.unit.clone(),
            help: self.help.clone(),
            profile: self.profile.clone(),
            required_labels: self.required_labels.clone(),
            allowed_labels: self.allowed_labels.clone(),
            max_series: self.max_series.unwrap_or(default_max),
            panel: self.panel.clone(),
            example: self.example.clone(),
        }
    }
}

impl MetricCatalog {
    pub fn parse(text: &str, file: &str) -> Result<MetricCatalog, ConfigError> {
        let err =
            |line: Option<usize>, message: String| ConfigError { file: file.to_string(), line, message };
        let mut catalog: MetricCatalog = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            err(line, e.message().trim().to_string())
        })?;
        for f in &catalog.families {
            if MetricType::parse(&f.kind).is_none() {
                return Err(err(
                    None,
                    format!("families.type: {:?} of {} is not a metric type", f.kind, f.name),
                ));
            }
            if f.metric_type() == MetricType::Counter && !f.name.ends_with("_total") {
                return Err(err(None, format!("families.name: the counter {} must end in _total", f.name)));
            }
            let base = f.name.trim_end_matches("_total");
            if !f.unit.is_empty() && !base.ends_with(&format!("_{}", f.unit)) {
                return Err(err(None, format!("families.unit: {} must end in _{}", f.name, f.unit)));
            }
            if let Some(missing) = f.required_labels.iter().find(|l| !f.allowed_labels.contains(l)) {
                return Err(err(
                    None,
                    format!("families.allowed_labels: {} requires {missing} but does not allow it", f.name),
                ));
            }
        }
        catalog.signals = Signals::resolve(&catalog.families).map_err(|m| err(None, m))?;
        Ok(catalog)
    }

    /// The families of the standard signals.
    pub fn signals(&self) -> &Signals {
        &self.signals
    }

    pub fn family(&self, name: &str) -> Option<&CatalogFamily> {
        self.families.iter().find(|f| f.name == name)
    }

    pub fn views(&self) -> Vec<CatalogFamilyView> {
        self.families.iter().map(|f| f.view(self.default_max_series)).collect()
    }

    pub fn profiles(&self) -> Vec<&str> {
        let mut p: Vec<&str> = self.families.iter().map(|f| f.profile.as_str()).collect();
        p.sort_unstable();
        p.dedup();
        p
    }
}
