//! The Playwright suite in Debian's Chromium against a freshly built hub on a free port,
//! with a fresh store.

use crate::build;
use crate::install;
use crate::summary::Summary;
use crate::util::{root, Result};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

pub const ADMIN_PASSWORD: &str = "e2e-admin-password";

pub fn suite(summary: &mut Summary) {
    match run_suite() {
        Ok((passed, failed, skipped)) => summary.add("playwright", passed, failed, skipped),
        Err(e) => {
            eprintln!("xtask: end-to-end suite: {e}");
            summary.check("playwright (could not run)", false);
        }
    }
}

fn run_suite() -> Result<(u64, u64, u64)> {
    install::npm_packages()?;
    let chromium = install::chromium()?;
    let site = build::all(false)?;
    let port = free_port()?;
    let data = root().join("target/e2e-data");
    let _ = std::fs::remove_dir_all(&data);
    let results = root().join("target/e2e-results.json");
    let _ = std::fs::remove_file(&results);
    let log = std::fs::File::create(root().join("target/e2e-hub.log")).map_err(|e| e.to_string())?;
    let mut hub = Command::new(&site.binary);
    build::site_env(&mut hub, &site, false);
    hub.current_dir(root())
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_DATA_DIR", &data)
        .env("SWITCHBOARD_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("SWITCHBOARD_DEMO", "1")
        .env_remove("SWITCHBOARD_DATABASE_URL")
        .env_remove("SWITCHBOARD_CONFIG")
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log);
    let mut hub = HubProcess(hub.spawn().map_err(|e| format!("starting the hub: {e}"))?);
    wait_healthy(port, &mut hub.0)?;
    let base = format!("http://127.0.0.1:{port}");
    eprintln!("xtask: Playwright against {base} (hub log: target/e2e-hub.log)");
    let status = Command::new("npx")
        .args(["playwright", "test"])
        .current_dir(root().join("end2end"))
        .env("BASE_URL", &base)
        .env("ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("CHROMIUM_PATH", chromium)
        .env("PLAYWRIGHT_JSON_OUTPUT_NAME", &results)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .status()
        .map_err(|e| format!("starting npx playwright: {e}"))?;
    drop(hub);
    let counts = read_results(&results)?;
    if !status.success() && counts.1 == 0 {
        return Err(format!("playwright exited with {status}"));
    }
    Ok(counts)
}

/// Stops the hub with SIGTERM (a graceful shutdown) when the suite ends, however it ends.
struct HubProcess(Child);

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.0.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    l.local_addr().map(|a| a.port()).map_err(|e| e.to_string())
}

fn wait_healthy(port: u16, hub: &mut Child) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(Some(status)) = hub.try_wait() {
            return Err(format!("the hub exited with {status}; see target/e2e-hub.log"));
        }
        if http_ok(port, "/healthz") {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    Err("the hub did not answer /healthz within 60 s; see target/e2e-hub.log".into())
}

fn http_ok(port: u16, path: &str) -> bool {
    let Ok(mut s) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
    let mut head = [0u8; 12];
    s.write_all(req.as_bytes()).is_ok() && s.read_exact(&mut head).is_ok() && head.ends_with(b"200")
}

/// Counts from Playwright's JSON reporter: expected (passed), unexpected and flaky (failed).
fn read_results(path: &Path) -> Result<(u64, u64, u64)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("no Playwright results at {}: {e}", path.display()))?;
    let json: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("Playwright results: {e}"))?;
    let stat = |k: &str| json["stats"][k].as_u64().unwrap_or(0);
    Ok((stat("expected"), stat("unexpected") + stat("flaky"), stat("skipped")))
}
