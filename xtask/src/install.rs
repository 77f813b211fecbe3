//! Installs what the build and the tests need when it is missing.

use crate::util::{root, run, Result};
use std::path::Path;
use std::process::Command;

pub const WASM_TARGET: &str = "wasm32-unknown-unknown";

pub fn wasm_target() -> Result<()> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map_err(|e| format!("rustup is needed to add the {WASM_TARGET} target: {e}"))?;
    if String::from_utf8_lossy(&out.stdout).lines().any(|l| l.trim() == WASM_TARGET) {
        return Ok(());
    }
    let mut add = Command::new("rustup");
    add.args(["target", "add", WASM_TARGET]);
    run(add, "adding the wasm32-unknown-unknown target")
}

/// Debian's Chromium: Playwright's own browser download does not work on these machines.
pub fn chromium() -> Result<String> {
    let path = std::env::var("CHROMIUM_PATH").unwrap_or_else(|_| "/usr/bin/chromium".into());
    debian_package(&path, "chromium", true)
}

/// Debian's Prometheus, for the remote-history test.
pub fn prometheus() -> Result<String> {
    let path = std::env::var("SWITCHBOARD_TEST_PROMETHEUS").unwrap_or_else(|_| "/usr/bin/prometheus".into());
    debian_package(&path, "prometheus", false)
}

/// Debian's Alertmanager, for the test that pushes the hub's alerts into a real one.
pub fn alertmanager() -> Result<String> {
    let path = std::env::var("SWITCHBOARD_TEST_ALERTMANAGER")
        .unwrap_or_else(|_| "/usr/bin/prometheus-alertmanager".into());
    debian_package(&path, "prometheus-alertmanager", false)
}

/// Go, for the test that captures profiles and goroutine dumps of a real Go service and opens
/// the hub's downloads with `go tool pprof`.
pub fn go() -> Result<String> {
    let path = std::env::var("SWITCHBOARD_TEST_GO").unwrap_or_else(|_| "/usr/bin/go".into());
    debian_package(&path, "golang-go", false)
}

/// A Python venv with OpenTelemetry's SDK and OTLP/HTTP exporter (from PyPI), for the test
/// that a real SDK that is not ours exports to the hub; its python's path.
pub fn otel_python() -> Result<String> {
    if let Ok(p) = std::env::var("SWITCHBOARD_TEST_OTEL_PYTHON") {
        return Ok(p);
    }
    let venv = crate::util::root().join("target/otel-venv");
    let python = venv.join("bin/python");
    let ready = |py: &Path| {
        Command::new(py)
            .args([
                "-c",
                "import opentelemetry.sdk.trace, opentelemetry.exporter.otlp.proto.http.trace_exporter",
            ])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !ready(&python) {
        let mut make = Command::new("python3");
        make.args(["-m", "venv"]).arg(&venv);
        run(make, "creating a Python venv for OpenTelemetry's SDK")?;
        let mut pip = Command::new(&python);
        pip.args([
            "-m",
            "pip",
            "install",
            "-q",
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
        ]);
        run(pip, "installing opentelemetry-sdk and opentelemetry-exporter-otlp-proto-http from PyPI")?;
    }
    Ok(python.display().to_string())
}

/// Installs a Debian package when the program it brings is missing.
fn debian_package(path: &str, package: &str, recommends: bool) -> Result<String> {
    if Path::new(path).exists() {
        return Ok(path.to_string());
    }
    let sudo = if is_root() { vec![] } else { vec!["sudo"] };
    let apt = |args: &[&str]| {
        let mut c = Command::new(if sudo.is_empty() { "apt-get" } else { "sudo" });
        if !sudo.is_empty() {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(apt(&["update", "-q"]), &format!("apt-get update (to install {package})"))?;
    let mut args = vec!["install", "-y", "-q"];
    if !recommends {
        args.push("--no-install-recommends");
    }
    args.push(package);
    run(apt(&args), &format!("installing Debian's {package}"))?;
    if Path::new(path).exists() {
        Ok(path.to_string())
    } else {
        Err(format!("{package} was installed but {path} is missing"))
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// The Playwright packages of end2end/, from package-lock.json, without browser downloads.
pub fn npm_packages() -> Result<()> {
    let dir = root().join("end2end");
    let marker = dir.join("node_modules/@playwright/test/package.json");
    let lock = dir.join("package-lock.json");
    let fresh = match (std::fs::metadata(&marker), std::fs::metadata(&lock)) {
        (Ok(m), Ok(l)) => m.modified().ok() >= l.modified().ok(),
        _ => false,
    };
    if fresh {
        return Ok(());
    }
    let mut npm = Command::new("npm");
    npm.args(["ci", "--no-audit", "--no-fund"])
        .current_dir(&dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    run(npm, "installing the end-to-end test packages (npm ci)")?;
    // npm ci keeps the packages' own times; mark the install as newer than the lock file.
    let _ = std::fs::File::options()
        .append(true)
        .open(&marker)
        .and_then(|f| f.set_modified(std::time::SystemTime::now()));
    Ok(())
}
