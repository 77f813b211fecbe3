use clap::{Parser, Subcommand};
use demo::run::{InstanceArgs, ServiceKind};
use demo::supervisor::FleetArgs;
use std::path::PathBuf;

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(name = "switchboard-demo", about = "The demo fleet the Switchboard hub watches.")]
struct Cli {
    /// Default: `fleet` with its defaults, so `cargo run -p demo` starts the whole fleet.
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start every instance as its own process and supervise them.
    Fleet {
        #[arg(long, default_value = "./data/demo")]
        data_dir: PathBuf,
        /// Source-of-truth database (sqlite://, postgres://, mysql://); default SQLite in the data dir.
        #[arg(long, env = "DEMO_SOURCE_URL", hide_env_values = true)]
        source_url: Option<String>,
        /// Read-model database; default SQLite in the data dir.
        #[arg(long, env = "DEMO_READ_URL", hide_env_values = true)]
        read_url: Option<String>,
        /// Orders written per second.
        #[arg(long, default_value = "20")]
        rate: u32,
        /// Requests per second sent to the orders API.
        #[arg(long, default_value = "30")]
        traffic: u32,
    },
    /// One instance (started by `fleet`).
    Instance {
        #[arg(long, value_enum)]
        kind: ServiceKind,
        #[arg(long)]
        name: String,
        #[arg(long, default_value = "0")]
        port: u16,
        #[arg(long, env = "DEMO_SOURCE_URL", hide_env_values = true)]
        source_url: String,
        #[arg(long, env = "DEMO_READ_URL", hide_env_values = true)]
        read_url: String,
        #[arg(long, default_value = "20")]
        rate: u32,
    },
}

#[tokio::main]
async fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    // The chaos token comes from the environment, never the command line (ps shows that).
    let token = std::env::var("SWITCHBOARD_DEMO_TOKEN")
        .unwrap_or_else(|_| format!("{:032x}", rand::random::<u128>()));
    let command = Cli::parse().command.unwrap_or(Cmd::Fleet {
        data_dir: PathBuf::from("./data/demo"),
        source_url: std::env::var("DEMO_SOURCE_URL").ok(),
        read_url: std::env::var("DEMO_READ_URL").ok(),
        rate: 20,
        traffic: 30,
    });
    let result = match command {
        Cmd::Fleet { data_dir, source_url, read_url, rate, traffic } => {
            demo::supervisor::fleet(FleetArgs {
                data_dir,
                source_url,
                read_url,
                token,
                rate,
                traffic_per_second: traffic,
            })
            .await
        }
        Cmd::Instance { kind, name, port, source_url, read_url, rate } => {
            demo::run::instance(InstanceArgs { kind, name, port, token, source_url, read_url, rate }).await
        }
    };
    let code = match result {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("switchboard-demo: {e}");
            1
        }
    };
    // Exit here, not by dropping the runtime: a pool thread still running a request (a chaos
    // sleep holding the pool) would panic on a runtime shutting down under it.
    std::process::exit(code)
}
