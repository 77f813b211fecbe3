//! Starts the demo fleet as a child process of the hub and reads its address book. The
//! fleet holds the read end of a pipe from us: when the hub exits, even killed, the fleet
//! sees it close and stops every instance (no orphans).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};
use types::FleetManifest;

pub struct DemoFleet {
    child: Child,
    stdin: Option<ChildStdin>,
    pub manifest: FleetManifest,
    pub token: String,
}

/// The demo binary: the configured one, or `switchboard-demo` beside the hub's binary.
pub fn binary(configured: Option<&Path>) -> PathBuf {
    configured.map(Path::to_path_buf).unwrap_or_else(|| {
        std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(|dir| dir.join("switchboard-demo")))
            .unwrap_or_else(|| PathBuf::from("switchboard-demo"))
    })
}

/// Where the fleet keeps its data: SQLite files in its directory unless URLs are given.
pub struct FleetDatabases<'a> {
    pub source_url: Option<&'a str>,
    pub read_url: Option<&'a str>,
}

/// The demo's services (each gets a token bound to it).
pub const SERVICES: [&str; 5] = ["orders-api", "order-writer", "projector", "quotes", "portfolio-bff"];

/// Where the fleet's instances send their spans (`/v1/traces`) and request outcomes
/// (`/api/v1/events`): this hub, each service with a token bound to it (in the environment,
/// never on a command line).
pub struct FleetTelemetry {
    pub hub_url: String,
    pub tokens: Vec<(String, String)>,
}

pub async fn launch(
    binary: &Path,
    data_dir: &Path,
    databases: &FleetDatabases<'_>,
    telemetry: &FleetTelemetry,
) -> Result<DemoFleet, String> {
    let token = format!("{:032x}", rand::random::<u128>());
    let mut command = Command::new(binary);
    command.args(["fleet", "--data-dir"]).arg(data_dir).env("SWITCHBOARD_DEMO_TOKEN", &token);
    // Only the hub's own settings choose the fleet's databases, not a stray DEMO_* variable.
    for (var, url) in [("DEMO_SOURCE_URL", databases.source_url), ("DEMO_READ_URL", databases.read_url)] {
        match url {
            Some(url) => command.env(var, url),
            None => command.env_remove(var),
        };
    }
    let tokens: Vec<String> = telemetry.tokens.iter().map(|(s, t)| format!("{s}={t}")).collect();
    command
        .env("SWITCHBOARD_HUB_URL", &telemetry.hub_url)
        .env("SWITCHBOARD_SERVICE_TOKENS", tokens.join(","))
        .env_remove("SWITCHBOARD_SERVICE_TOKEN");
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("could not start the demo fleet {}: {e}", binary.display()))?;
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().ok_or("the demo fleet has no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let manifest = tokio::time::timeout(Duration::from_secs(60), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if let Some(json) = line.strip_prefix(demo_manifest_prefix()) {
                return serde_json::from_str::<FleetManifest>(json)
                    .map_err(|e| format!("bad fleet manifest: {e}"));
            }
        }
        Err("the demo fleet exited before it was ready (see its log above)".to_string())
    })
    .await
    .map_err(|_| "the demo fleet was not ready within 60 s".to_string())??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(DemoFleet { child, stdin, manifest, token })
}

/// Must match demo::MANIFEST_PREFIX (the hub does not link the demo crate).
fn demo_manifest_prefix() -> &'static str {
    "SWITCHBOARD_FLEET "
}

impl DemoFleet {
    /// Closes the fleet's pipe (it stops its instances), then makes sure it is gone.
    pub async fn stop(mut self) {
        drop(self.stdin.take());
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}
