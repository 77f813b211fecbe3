//! The read-model lag probe against the demo fleet's real projector (SQLite source and read
//! model, the fleet's release binary), with the hub's lag service in this process.
//!
//! Resolution: the projector's slowdown set to 0, 5, 10 and 20 ms; the probe's median over
//! 10 s, three times each, against the injected delay (the issue asks for ± 2 ms).
//! Cost: queries a second to each side and this process's CPU (the hub side, SQLite in
//! process) for one read model probed every 100 ms, healthy and stalled (projector paused).

use backend::catalog::DemoControls;
use backend::{Hub, Principal};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use types::lag::LagQueries;
use types::{DemoFault, Role};

const DELAYS_MS: [u64; 4] = [0, 5, 10, 20];
const REPEATS: usize = 3;
const MEASURE: Duration = Duration::from_secs(10);
const TOKEN: &str = "lag-probe-bench-token";

fn demo_binary() -> PathBuf {
    std::env::var_os("SWITCHBOARD_DEMO_BIN").map_or_else(
        || std::env::current_exe().expect("exe").with_file_name("switchboard-demo"),
        PathBuf::from,
    )
}

/// The fleet, and its control address; it stops when its stdin closes (on drop).
fn start_fleet(dir: &Path) -> (Child, String) {
    let mut child = Command::new(demo_binary())
        .args(["fleet", "--data-dir"])
        .arg(dir)
        .env("SWITCHBOARD_DEMO_TOKEN", TOKEN)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("the demo fleet starts (cargo build --release -p demo)");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    while let Some(Ok(line)) = lines.next() {
        if let Some(json) = line.strip_prefix("SWITCHBOARD_FLEET ") {
            let manifest: serde_json::Value = serde_json::from_str(json).expect("manifest");
            std::thread::spawn(move || lines.for_each(drop));
            return (child, manifest["control_url"].as_str().expect("control_url").to_string());
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the fleet exited before it was ready");
}

fn config(dir: &Path) -> String {
    let d = dir.display();
    format!(
        "[[services]]\nname = \"projector\"\nteam = \"bench\"\n\n\
         [[connections]]\nname = \"source\"\nurl = \"sqlite://{d}/source.db\"\n\n\
         [[connections]]\nname = \"read\"\nurl = \"sqlite://{d}/read.db\"\n\n\
         [[read_models]]\nname = \"orders\"\nservice = \"projector\"\nsource = \"source\"\nread = \"read\"\n\
         probe = {{ interval = \"100ms\", write = \"heartbeat\", read = \"heartbeat_view\", id = \"bench\" }}\n\
         positions = {{ source = \"SELECT max(seq) FROM outbox\", read = \"SELECT last_seq FROM projector_state\" }}\n"
    )
}

struct Bench {
    hub: Hub,
    controls: DemoControls,
    me: Principal,
}

impl Bench {
    async fn fault(&self, fault: DemoFault) {
        self.controls
            .apply(&self.me, "bench", "projector-1", &fault)
            .await
            .expect("the fleet takes the fault");
    }

    /// The median of the probes over the next `MEASURE`.
    async fn median(&self) -> f64 {
        let since = backend::now_ms();
        tokio::time::sleep(MEASURE).await;
        let d = self.hub.lag.detail_since(&self.me, "orders", "5m", Some(since)).await.expect("detail");
        d.summary.p50_ms.unwrap_or(f64::NAN)
    }

    fn queries(&self) -> LagQueries {
        self.hub.lag.models()[0].queries()
    }

    /// Queries a second to each side and the share of one core this process used.
    async fn cost(&self) -> (f64, f64, f64) {
        let (q0, cpu0, t0) = (self.queries(), bench::cpu_seconds(), Instant::now());
        tokio::time::sleep(MEASURE).await;
        let (q1, seconds) = (self.queries(), t0.elapsed().as_secs_f64());
        #[expect(clippy::cast_precision_loss, reason = "query counts")]
        let rate = |a: u64, b: u64| (b - a) as f64 / seconds;
        (rate(q0.source, q1.source), rate(q0.read, q1.read), (bench::cpu_seconds() - cpu0) / seconds * 100.0)
    }
}

#[tokio::main]
async fn main() {
    let dir = std::env::temp_dir().join(format!("switchboard-lag-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a directory");
    let (mut fleet, control_url) = start_fleet(&dir);
    let text = config(&dir);
    let hub = bench::hub_in(&dir, text).await.expect("a hub");
    let stop = CancellationToken::new();
    let probes = tokio::spawn(hub.lag.clone().run(stop.clone()));
    let controls = DemoControls::new(control_url, TOKEN.into(), hub.audit.clone());
    let me = Principal {
        user_id: 0,
        username: "bench".into(),
        role: Role::Admin,
        via_token: false,
        service: None,
    };
    let bench = Bench { hub, controls, me };
    tokio::time::sleep(Duration::from_secs(3)).await;

    println!(
        "Resolution: the probe's median over {} s, {REPEATS} times per injected delay",
        MEASURE.as_secs()
    );
    let mut baseline = f64::NAN;
    for delay in DELAYS_MS {
        bench.fault(DemoFault::Slowdown { ms: delay }).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let mut medians = Vec::new();
        for _ in 0..REPEATS {
            medians.push(bench.median().await);
        }
        #[expect(clippy::cast_precision_loss, reason = "a few repeats")]
        let mean = medians.iter().sum::<f64>() / medians.len() as f64;
        let spread = medians.iter().copied().fold(f64::MIN, f64::max)
            - medians.iter().copied().fold(f64::MAX, f64::min);
        if delay == 0 {
            baseline = mean;
        }
        let list: Vec<String> = medians.iter().map(|m| format!("{m:.2}")).collect();
        #[expect(clippy::cast_precision_loss, reason = "ms")]
        let off = mean - baseline - delay as f64;
        println!(
            "  slowdown {delay:>2} ms: medians {} ms; mean {mean:.2} ms, spread {spread:.2} ms; \
             rise over no delay {:.2} ms (off by {off:+.2} ms): {}",
            list.join(" / "),
            mean - baseline,
            if off.abs() <= 2.0 { "PASS" } else { "FAIL" }
        );
    }

    println!("Cost of one read model probed every 100 ms:");
    bench.fault(DemoFault::Clear).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (source, read, cpu) = bench.cost().await;
    println!("  healthy: {source:.1} queries/s to the source, {read:.1} queries/s to the read side, hub CPU {cpu:.1} % of one core");
    bench.fault(DemoFault::Pause).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (source, read, cpu) = bench.cost().await;
    println!("  stalled: {source:.1} queries/s to the source, {read:.1} queries/s to the read side, hub CPU {cpu:.1} % of one core");
    bench.fault(DemoFault::Clear).await;

    stop.cancel();
    let _ = probes.await;
    drop(fleet.stdin.take());
    let _ = fleet.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
