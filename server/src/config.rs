//! Settings read once at start: flags and environment (who runs the hub, where) and the
//! TOML config file (what the hub watches), both validated before anything starts.

use clap::Parser;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The shipped config, used when SWITCHBOARD_CONFIG names no file.
pub const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

#[derive(Clone, Debug, Parser)]
#[command(
    name = "switchboard",
    version,
    about = "Switchboard: the developers' tooling hub."
)]
pub struct Settings {
    /// Address to serve on.
    #[arg(long, env = "SWITCHBOARD_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// Directory for the embedded SQLite store and stored artifacts.
    #[arg(long, env = "SWITCHBOARD_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Store URL (sqlite://… or postgres://…); default: SQLite in the data directory.
    #[arg(long, env = "SWITCHBOARD_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,
    /// TOML config file; default: the shipped demo config.
    #[arg(long, env = "SWITCHBOARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// 0 disables the demo fleet.
    #[arg(long, env = "SWITCHBOARD_DEMO", default_value = "1")]
    pub demo: String,
    /// Password of the initial `admin` user, used only when the store has no user yet;
    /// without it a random one is generated and printed once.
    #[arg(long, env = "SWITCHBOARD_ADMIN_PASSWORD", hide_env_values = true)]
    pub admin_password: Option<String>,
    /// The built site (wasm bundle, stylesheet, public assets), as `cargo xtask build` lays it out.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,
    /// Log format: `text` or `json`.
    #[arg(long, env = "SWITCHBOARD_LOG", default_value = "text")]
    pub log: String,
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("switchboard.db").display()
            )
        })
    }

    pub fn demo_enabled(&self) -> bool {
        self.demo.trim() != "0"
    }

    /// Reads and validates the config file (or the shipped one).
    pub fn load_config(&self) -> Result<HubConfig, ConfigError> {
        match &self.config {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
                    file: path.display().to_string(),
                    line: None,
                    message: format!("cannot read it: {e}"),
                })?;
                HubConfig::parse(&text, path)
            }
            None => HubConfig::parse(DEMO_CONFIG, Path::new("config/demo.toml (shipped)")),
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    #[serde(default)]
    pub hub: HubSection,
}

#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct HubSection {
    pub public_url: String,
    pub session_idle_minutes: u32,
}

impl Default for HubSection {
    fn default() -> Self {
        Self {
            public_url: "http://127.0.0.1:3000".into(),
            session_idle_minutes: 720,
        }
    }
}

/// A config error that names the file, the line and what is wrong with which field.
#[derive(Debug, thiserror::Error)]
#[error("config error in {file}{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct ConfigError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl HubConfig {
    pub fn parse(text: &str, path: &Path) -> Result<HubConfig, ConfigError> {
        let file = path.display().to_string();
        let config: HubConfig = toml::from_str(text).map_err(|e| ConfigError {
            file: file.clone(),
            line: e.span().map(|s| line_of(text, s.start)),
            message: e.message().to_string(),
        })?;
        config.validate().map_err(|(field, message)| ConfigError {
            line: find_key_line(text, field),
            file,
            message: format!("{field}: {message}"),
        })?;
        Ok(config)
    }

    fn validate(&self) -> Result<(), (&'static str, String)> {
        let url = &self.hub.public_url;
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(("public_url", format!("{url:?} is not an http:// or https:// URL")));
        }
        if self.hub.session_idle_minutes == 0 {
            return Err(("session_idle_minutes", "must be at least 1".into()));
        }
        Ok(())
    }

    pub fn secure_cookies(&self) -> bool {
        self.hub.public_url.starts_with("https://")
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn find_key_line(text: &str, key: &str) -> Option<usize> {
    text.lines()
        .position(|l| l.trim_start().starts_with(key))
        .map(|i| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_config_is_valid() {
        let c = HubConfig::parse(DEMO_CONFIG, Path::new("demo.toml")).unwrap();
        assert!(!c.secure_cookies());
    }

    #[test]
    fn unknown_key_names_line_and_field() {
        let e = HubConfig::parse(
            "[hub]\npublic_url = \"http://x\"\nsesion_idle_minutes = 3\n",
            Path::new("c.toml"),
        )
        .unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.to_string().contains("c.toml line 3"), "{e}");
        assert!(e.message.contains("sesion_idle_minutes"), "{e}");
    }

    #[test]
    fn invalid_value_names_field() {
        let e = HubConfig::parse("[hub]\n\npublic_url = \"ftp://x\"\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(e.message.starts_with("public_url:"), "{e}");
        let e = HubConfig::parse("[hub]\nsession_idle_minutes = \"ten\"\n", Path::new("c.toml")).unwrap_err();
        assert_eq!(e.line, Some(2));
    }
}
