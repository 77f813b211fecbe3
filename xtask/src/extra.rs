//! `cargo xtask bench` and `cargo xtask fuzz`: not part of `test`, run by hand or on a schedule.

use crate::util::{cargo, root, run, Result};
use std::process::Command;

pub fn bench() -> Result<()> {
    run(cargo(&["build", "--release", "-p", "bench", "--bins"]), "building the benchmarks (release)")?;
    // The lag benchmark measures the demo fleet's real projector.
    run(
        cargo(&["build", "--release", "-p", "demo", "--bin", "switchboard-demo"]),
        "building the demo fleet (release)",
    )?;
    run(
        Command::new(root().join("target/release/parse_throughput")),
        "benchmark: exposition parser throughput",
    )?;
    run(
        Command::new(root().join("target/release/flamegraph")),
        "benchmark: flamegraph data for a 1M-sample profile",
    )?;
    run(
        Command::new(root().join("target/release/lag_probe")),
        "benchmark: read-model lag probe, resolution and cost",
    )?;
    run(
        Command::new(root().join("target/release/alert_eval")),
        "benchmark: alert evaluation, 1,000 targets x 10 rules",
    )?;
    run(
        Command::new(root().join("target/release/span_ingest")),
        "benchmark: OTLP span ingestion and a 2,000-span trace",
    )
}

/// Fuzzes the exposition parser for `seconds`. cargo-fuzz needs nightly flags: stable rustc
/// accepts them with RUSTC_BOOTSTRAP=1 (no other toolchain can be fetched on these machines).
pub fn fuzz(seconds: u64) -> Result<()> {
    let has_fuzz =
        Command::new("cargo").args(["fuzz", "--version"]).output().is_ok_and(|o| o.status.success());
    if !has_fuzz {
        run(cargo(&["install", "cargo-fuzz", "--locked"]), "installing cargo-fuzz")?;
    }
    for target in FUZZ_TARGETS {
        let corpus = root().join("fuzz/corpus").join(target);
        std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
        let mut fuzz = Command::new("cargo");
        fuzz.current_dir(root().join("fuzz")).env("RUSTC_BOOTSTRAP", "1").args([
            "fuzz",
            "run",
            target,
            &format!("corpus/{target}"),
            "--",
            &format!("-max_total_time={seconds}"),
            "-timeout=10",
        ]);
        run(fuzz, &format!("fuzzing {target} for {seconds} s"))?;
    }
    Ok(())
}

/// Every parser of an outside format, each fuzzed in turn.
const FUZZ_TARGETS: [&str; 4] = ["exposition", "threaddump", "pprof", "otlp"];
