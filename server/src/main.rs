use clap::Parser;
use server::config::Settings;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let settings = Settings::parse();
    if let Some(server::config::Command::Check(args)) = &settings.command {
        server::telemetry::init_with(&settings.log, true);
        return server::cli::check(&settings, args).await;
    }
    server::telemetry::init(&settings.log);
    match server::serve(settings).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the hub could not start");
            eprintln!("switchboard: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
