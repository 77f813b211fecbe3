//! Logging: human-readable text by default, JSON with SWITCHBOARD_LOG=json; the filter
//! comes from RUST_LOG (default: info).

use tracing_subscriber::EnvFilter;

pub fn init(format: &str) {
    init_with(format, false);
}

/// As `init`; `to_stderr` for the command line, whose stdout is its JSON answer.
pub fn init_with(format: &str, to_stderr: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let writer = if to_stderr {
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stderr)
    } else {
        tracing_subscriber::fmt::writer::BoxMakeWriter::new(std::io::stdout)
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_writer(writer);
    // try_init: tests start several hubs in one process.
    let _ = if format == "json" { builder.json().flatten_event(true).try_init() } else { builder.try_init() };
}
