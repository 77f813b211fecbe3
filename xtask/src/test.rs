//! `cargo xtask test`: every check and test, one closing summary line.

use crate::summary::{parse_cargo_result, Summary};
use crate::util::{cargo, is_ci, Result};
use crate::{e2e, install};
use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// Host crates, with `app` built for the server.
const HOST: &[&str] = &[
    "-p",
    "types",
    "-p",
    "exposition",
    "-p",
    "threaddump",
    "-p",
    "otlp",
    "-p",
    "pprofile",
    "-p",
    "backend",
    "-p",
    "app",
    "-p",
    "server",
    "-p",
    "demo",
    "-p",
    "bench",
    "-p",
    "xtask",
    "--features",
    "app/ssr",
];

pub fn everything() -> Result<()> {
    let mut summary = Summary::default();
    install::wasm_target()?;
    step(&mut summary, "cargo fmt --check", &["fmt", "--all", "--", "--check"]);
    let mut clippy_host = vec!["clippy", "--all-targets"];
    clippy_host.extend_from_slice(HOST);
    clippy_host.extend_from_slice(&["--", "-D", "warnings"]);
    step(&mut summary, "clippy (server side)", &clippy_host);
    step(
        &mut summary,
        "clippy (browser side)",
        &["clippy", "-p", "frontend", "--target", install::WASM_TARGET, "--", "-D", "warnings"],
    );
    cargo_tests(&mut summary);
    e2e::suite(&mut summary);
    summary.finish()
}

pub fn e2e_only() -> Result<()> {
    let mut summary = Summary::default();
    e2e::suite(&mut summary);
    summary.finish()
}

fn step(summary: &mut Summary, name: &str, args: &[&str]) {
    eprintln!("xtask: {name}");
    let ok = cargo(args).status().is_ok_and(|s| s.success());
    summary.check(name, ok);
}

/// Unit and integration tests on SQLite and PostgreSQL; under CI=true a test that cannot
/// reach PostgreSQL fails instead of skipping.
fn cargo_tests(summary: &mut Summary) {
    eprintln!("xtask: unit and integration tests{}", if is_ci() { " (CI: PostgreSQL required)" } else { "" });
    // The remote-history test runs a real Prometheus.
    if let Err(e) = install::prometheus() {
        eprintln!("xtask: {e}");
        summary.check("install Prometheus", false);
    }
    // The alerts test pushes into a real Alertmanager.
    if let Err(e) = install::alertmanager() {
        eprintln!("xtask: {e}");
        summary.check("install Alertmanager", false);
    }
    // The traces test has Python's OpenTelemetry SDK export to the hub.
    let otel_python = match install::otel_python() {
        Ok(python) => Some(python),
        Err(e) => {
            eprintln!("xtask: {e}");
            summary.check("install OpenTelemetry's Python SDK", false);
            None
        }
    };
    // The Go-service test builds and profiles a real Go program.
    if let Err(e) = install::go() {
        eprintln!("xtask: {e}");
        summary.check("install Go", false);
    }
    // The hub's integration tests start the demo fleet's binary.
    if !cargo(&["build", "-p", "demo", "--bin", "switchboard-demo"]).status().is_ok_and(|s| s.success()) {
        summary.check("build the demo fleet", false);
    }
    // Every test binary runs even when one fails, so the summary counts them all.
    let mut args = vec!["test", "--no-fail-fast"];
    args.extend_from_slice(HOST);
    let mut cmd = cargo(&args);
    if let Some(python) = otel_python {
        cmd.env("SWITCHBOARD_TEST_OTEL_PYTHON", python);
    }
    cmd.stdout(Stdio::piped());
    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("xtask: could not start cargo test: {e}");
            summary.check("cargo test", false);
            return;
        }
    };
    let (mut passed, mut failed, mut ignored) = (0, 0, 0);
    if let Some(out) = child.stdout.take() {
        for line in BufReader::new(out).lines().map_while(std::io::Result::ok) {
            println!("{line}");
            if let Some((p, f, i)) = parse_cargo_result(&line) {
                passed += p;
                failed += f;
                ignored += i;
            }
        }
    }
    let ok = child.wait().is_ok_and(|s| s.success());
    if !ok && failed == 0 {
        // It did not compile, or a test binary crashed: count that as a failure.
        failed += 1;
    }
    summary.add("cargo test", passed, failed, ignored);
}
