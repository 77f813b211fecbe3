//! Settings read once at start: flags and environment (who runs the hub, where) and the
//! TOML config file (what the hub watches), both validated before anything starts.

use backend::config::ConfigFile;
use clap::Parser;
use std::net::SocketAddr;
use std::path::PathBuf;

/// The shipped config, used when SWITCHBOARD_CONFIG names no file.
pub const DEMO_CONFIG: &str = include_str!("../../config/demo.toml");

#[derive(Clone, Debug, Parser)]
#[command(name = "switchboard", version, about = "Switchboard: the developers' tooling hub.")]
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
    /// The demo fleet's binary; default: `switchboard-demo` beside this one.
    #[arg(long, env = "SWITCHBOARD_DEMO_BIN")]
    pub demo_bin: Option<PathBuf>,
    /// The demo fleet's source of truth (`postgres://…`, `mysql://…`); default: SQLite files in
    /// the data directory. The shipped config's `orders-source` connection reads it too.
    #[arg(long, env = "SWITCHBOARD_DEMO_SOURCE_URL", hide_env_values = true)]
    pub demo_source_url: Option<String>,
    /// The demo fleet's read model (`postgres://…`, `mysql://…`); default: SQLite.
    #[arg(long, env = "SWITCHBOARD_DEMO_READ_URL", hide_env_values = true)]
    pub demo_read_url: Option<String>,
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
    /// What to do instead of serving (none: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Clone, Debug, clap::Subcommand)]
pub enum Command {
    /// Run a consistency check now, print a JSON summary, exit 1 above --max-differences.
    Check(crate::cli::CheckArgs),
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!("sqlite://{}?mode=rwc", self.data_dir.join("switchboard.db").display())
        })
    }

    pub fn demo_enabled(&self) -> bool {
        self.demo.trim() != "0"
    }

    /// The settings a config's connection URLs may name as `${VAR}`, whether they came from
    /// the environment or a flag: the demo fleet's databases.
    pub fn connection_vars(&self) -> Vec<(String, String)> {
        [
            ("SWITCHBOARD_DEMO_SOURCE_URL", &self.demo_source_url),
            ("SWITCHBOARD_DEMO_READ_URL", &self.demo_read_url),
        ]
        .into_iter()
        .filter_map(|(var, value)| value.clone().map(|v| (var.to_string(), v)))
        .collect()
    }

    /// The config file named by the settings, or the shipped demo config.
    pub fn config_file(&self) -> ConfigFile {
        ConfigFile { path: self.config.clone(), shipped: DEMO_CONFIG }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use backend::config::HubConfig;

    #[test]
    fn shipped_config_is_valid() {
        let c = HubConfig::parse(DEMO_CONFIG, "demo.toml").expect("valid");
        assert!(!c.secure_cookies());
        assert!(c.services.len() >= 3, "the demo config declares the fleet");
    }
}
