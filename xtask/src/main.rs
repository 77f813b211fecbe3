//! `cargo xtask build|run|test|e2e`: the whole build with plain cargo, installing what is
//! missing on the way (wasm target, npm packages, Debian's Chromium).

mod build;
mod e2e;
mod extra;
mod install;
mod summary;
mod test;
mod util;

use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask <command>

  build [--release]   build the wasm bundle, assets and the hub binary
  run [--release] [-- HUB ARGS]
                      build, then run the hub on http://127.0.0.1:3000 with its demo fleet
  test                fmt check, clippy, every unit and integration test (SQLite and
                      PostgreSQL), then the Playwright suite in Chromium; ends with
                      'N passed, N failed'
  e2e                 build, then only the Playwright suite
  bench               the benchmarks, in release mode, printing their figures
  fuzz [SECONDS]      fuzz each outside format's parser (exposition, thread dumps,
                      pprof) for SECONDS each (default 600; installs cargo-fuzz)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let release = args.iter().any(|a| a == "--release");
    let passthrough: Vec<String> = args.iter().skip_while(|a| *a != "--").skip(1).cloned().collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build::all(release).map(|_| ()),
        Some("run") => build::all(release).and_then(|site| build::run_hub(&site, release, &passthrough)),
        Some("test") => test::everything(),
        Some("e2e") => test::e2e_only(),
        Some("bench") => extra::bench(),
        Some("fuzz") => extra::fuzz(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(600)),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}
