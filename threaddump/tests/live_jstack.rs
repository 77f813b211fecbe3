//! A live JVM: fixtures/Stuck.java compiled and run, dumped with `jstack -l` while its
//! threads deadlock and its pool is exhausted, and the dump analysed. Under CI=true the
//! JDK must be there; elsewhere the test says it is skipped.

use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

struct Jvm(Child);

impl Drop for Jvm {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn jdk_tool(name: &str) -> Option<PathBuf> {
    let path = PathBuf::from("/usr/bin").join(name);
    if path.exists() {
        return Some(path);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(!ci, "{name} (a JDK) is required under CI=true");
    eprintln!("SKIPPED: {} is missing", path.display());
    None
}

#[test]
fn a_live_jstack_dump_names_both_deadlocks_and_the_exhausted_pool() {
    let (Some(javac), Some(java), Some(jstack)) = (jdk_tool("javac"), jdk_tool("java"), jdk_tool("jstack"))
    else {
        return;
    };
    let dir = std::env::temp_dir().join(format!("switchboard-jstack-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/Stuck.java");
    let status = Command::new(javac).arg("-d").arg(&dir).arg(&source).status().expect("javac runs");
    assert!(status.success(), "javac failed");
    let jvm = Jvm(Command::new(java).arg("-cp").arg(&dir).arg("Stuck").spawn().expect("java runs"));
    let pid = jvm.0.id().to_string();

    // The deadlocks form after the threads' 200 ms sleeps; dump until both are there.
    let deadline = Instant::now() + Duration::from_secs(30);
    let analysis = loop {
        std::thread::sleep(Duration::from_millis(500));
        let out = Command::new(&jstack).args(["-l", &pid]).output().expect("jstack runs");
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        if let Some(kind) = threaddump::detect(&text) {
            let threads = threaddump::parse(&text, kind).expect("the dump parses");
            let analysis = threaddump::analyse(&threads);
            if analysis.deadlocks.len() == 2 || Instant::now() > deadline {
                break analysis;
            }
        }
        assert!(Instant::now() < deadline, "no readable dump from jstack: {text}");
    };
    let mut cycles: Vec<Vec<String>> = analysis.deadlocks.iter().map(|d| d.threads.clone()).collect();
    cycles.sort();
    assert_eq!(cycles, [vec!["ledger-reader", "ledger-writer"], vec!["settlement-1", "settlement-2"]]);
    let orders = analysis.pools.iter().find(|p| p.name == "orders-exec").expect("the orders pool");
    assert_eq!((orders.busy, orders.idle, orders.exhausted), (4, 0, true));
    let audit = analysis.pools.iter().find(|p| p.name == "audit-exec").expect("the audit pool");
    assert_eq!((audit.busy, audit.idle, audit.exhausted), (0, 2, false));
    drop(jvm);
    let _ = std::fs::remove_dir_all(&dir);
}
