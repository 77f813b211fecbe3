//! `switchboard check NAME [--mode residual|recent] [--max-differences N]`: runs one check
//! on the hub's store and config, here and now (for CI gates), prints a JSON summary and
//! exits 0, 1 when it found more than N differences, 2 when it could not run.

use crate::config::Settings;
use std::process::ExitCode;
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use types::checks::{RunMode, RunState};

#[derive(Clone, Debug, clap::Args)]
pub struct CheckArgs {
    /// The check, as `[[checks]]` names it.
    pub name: String,
    /// `residual` (whole tables) or `recent` (the latest changes).
    #[arg(long, default_value = "residual")]
    pub mode: String,
    /// Exit 1 when the run finds more differences than this.
    #[arg(long, default_value_t = 0)]
    pub max_differences: i64,
}

fn fail(message: &str) -> ExitCode {
    println!("{}", serde_json::json!({ "error": message }));
    eprintln!("switchboard check: {message}");
    ExitCode::from(2)
}

pub async fn check(settings: &Settings, args: &CheckArgs) -> ExitCode {
    let Some(mode) = RunMode::parse(&args.mode) else {
        return fail(&format!("--mode must be residual or recent, not {:?}", args.mode));
    };
    let hub = match crate::open_hub(settings, Some("cli")).await {
        Ok((hub, _)) => hub,
        Err(e) => return fail(&e.to_string()),
    };
    let stop = CancellationToken::new();
    let interrupt = stop.clone();
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            interrupt.cancel();
        }
    });
    // The lag of the check's read model decides how long a difference may take to heal.
    let lag = hub.lag.clone();
    let probes = tokio::spawn(lag.run(stop.child_token()));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let outcome = hub.checks.run_here(&args.name, mode, "command line", &stop).await;
    stop.cancel();
    let _ = probes.await;
    let run = match outcome {
        Ok(run) => run,
        Err(e) => return fail(&e.to_string()),
    };
    let found = run.counts.missing + run.counts.extra + run.counts.changed;
    println!(
        "{}",
        serde_json::json!({
            "check": run.check, "id": run.id, "mode": run.mode, "state": run.state, "rows_compared": run.rows_compared,
            "counts": run.counts, "differences": found, "duration_ms": run.duration_ms, "error": run.error,
        })
    );
    match run.state {
        RunState::Done if found > args.max_differences => ExitCode::from(1),
        RunState::Done => ExitCode::SUCCESS,
        _ => ExitCode::from(2),
    }
}
