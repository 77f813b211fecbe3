//! Captures of a real Go service (tests/goservice/main.go, built with Debian's Go): its CPU
//! profile tops at its hot loop, its goroutine dump (debug=2, a path named in the config)
//! shows the goroutines blocked on one mutex, and the hub's raw download opens in
//! `go tool pprof` with the same top table as ours. Under CI=true Go must be installed
//! (`cargo xtask test` installs it); elsewhere the test says it is skipped.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::captures::RequestCapture;
use common::{Engine, TestHub, TestStore, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use tokio::io::AsyncBufReadExt;

fn go() -> Option<PathBuf> {
    let go = PathBuf::from(std::env::var("SWITCHBOARD_TEST_GO").unwrap_or_else(|_| "/usr/bin/go".into()));
    if go.exists() {
        return Some(go);
    }
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    assert!(
        !ci,
        "Go ({}) is required under CI=true; cargo xtask test installs Debian's golang-go",
        go.display()
    );
    eprintln!("SKIPPED: {} is missing (cargo xtask test installs Debian's golang-go)", go.display());
    None
}

/// Builds the Go service into the target directory (Go caches the build there too).
fn build(go: &Path) -> PathBuf {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/go");
    std::fs::create_dir_all(&target).unwrap();
    let bin = target.join("goservice");
    let status = std::process::Command::new(go)
        .args(["build", "-o"])
        .arg(&bin)
        .arg(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/goservice/main.go"))
        .env("GOCACHE", target.join("cache"))
        .env("GO111MODULE", "off")
        .status()
        .unwrap();
    assert!(status.success(), "go build failed");
    bin
}

/// The rows of `go tool pprof -top` output: (function, flat%, cum%).
fn go_rows(text: &str) -> Vec<(String, f64, f64)> {
    text.lines()
        .skip_while(|l| !l.trim_start().starts_with("flat"))
        .skip(1)
        .filter_map(|l| {
            let parts: Vec<&str> = l.split_whitespace().collect();
            let pct = |s: &str| s.trim_end_matches('%').parse::<f64>().ok();
            Some((parts.get(5..)?.join(" "), pct(parts.get(1)?)?, pct(parts.get(4)?)?))
        })
        .collect()
}

/// Downloads a capture, runs `go tool pprof -top` on it for `sample`, and checks that every
/// row go prints is a row of ours with the same flat% and cum%.
async fn assert_go_reads_the_same(
    go: &Path,
    hub: &TestHub,
    client: &reqwest::Client,
    store: &TestStore,
    id: i64,
    sample: &str,
) {
    let raw = client
        .get(hub.url(&format!("/api/v1/captures/{id}/raw")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let file = store.data_dir().join(format!("go-{id}.pb.gz"));
    std::fs::write(&file, &raw).unwrap();
    let out = std::process::Command::new(go)
        .args(["tool", "pprof", "-top", "-symbolize=none", &format!("-sample_index={sample}")])
        .arg(&file)
        .env("HOME", store.data_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "go tool pprof: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8_lossy(&out.stdout);
    let top = hub.get_json(client, &format!("/api/v1/captures/{id}/top?sample={sample}")).await;
    let ours = top["rows"].as_array().unwrap();
    let rows = go_rows(&text);
    assert!(!rows.is_empty(), "{text}");
    for (function, flat, cum) in rows {
        let close = |a: &Value, b: f64| (a.as_f64().unwrap() - b).abs() < 0.006;
        assert!(
            ours.iter().any(|r| r["function"] == function.as_str()
                && close(&r["flat_pct"], flat)
                && close(&r["cum_pct"], cum)),
            "{sample} {function}: go has flat {flat}% cum {cum}%; ours: {:?}",
            ours.iter().filter(|r| r["function"] == function.as_str()).collect::<Vec<_>>()
        );
    }
}

#[tokio::test]
async fn a_go_services_profiles_and_goroutine_dumps_are_captured_and_read_as_go_reads_them() {
    let Some(go) = go() else { return };
    let bin = build(&go);
    let mut service =
        tokio::process::Command::new(&bin).stdout(Stdio::piped()).kill_on_drop(true).spawn().unwrap();
    let mut lines = tokio::io::BufReader::new(service.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines.next_line().await.unwrap().expect("the Go service says where it listens");
        if let Some(addr) = line.strip_prefix("LISTENING ") {
            break addr.to_string();
        }
    };

    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let mut settings = common::settings(&store);
    let config = store.data_dir().join("go.toml");
    std::fs::write(
        &config,
        format!(
            "[[services]]\nname = \"go-ledger\"\nteam = \"ledger\"\n\
             [services.profiling]\nthreads = \"/debug/pprof/goroutine?debug=2\"\n\
             [[services.instances]]\nname = \"go-ledger-1\"\nbase_url = \"http://{addr}\"\n"
        ),
    )
    .unwrap();
    settings.config = Some(config);
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;

    let capture = |kind: &str, seconds: Option<i64>| json!({ "service": "go-ledger", "instance": "go-ledger-1", "kind": kind, "seconds": seconds });
    let id: i64 =
        hub.call_json::<RequestCapture>(&admin, &capture("cpu", Some(5))).await.json().await.unwrap();
    assert_eq!(hub.capture_finished(&admin, id).await["state"], "done");
    let top = hub.get_json(&admin, &format!("/api/v1/captures/{id}/top")).await;
    assert_eq!(top["rows"][0]["function"], "main.hotLoop", "{}", top["rows"][0]);
    let flame = hub.get_json(&admin, &format!("/api/v1/captures/{id}/flame")).await;
    assert!(flame["names"].as_array().unwrap().iter().any(|n| n == "main.hotLoop"));

    // The raw download is what go tool pprof reads, and it reads the same table.
    assert_go_reads_the_same(&go, &hub, &admin, &store, id, "cpu").await;

    let id: i64 =
        hub.call_json::<RequestCapture>(&admin, &capture("threads", None)).await.json().await.unwrap();
    assert_eq!(hub.capture_finished(&admin, id).await["state"], "done");
    let analysis = hub.get_json(&admin, &format!("/api/v1/captures/{id}/threads")).await;
    let blocked = analysis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["frames"].as_array().unwrap().iter().any(|f| f == "main.waitForLedger"))
        .unwrap_or_else(|| panic!("the blocked goroutines: {analysis}"));
    assert_eq!(blocked["count"], 5, "{blocked}");
    assert_eq!(blocked["state"], "BLOCKED");

    let id: i64 = hub.call_json::<RequestCapture>(&admin, &capture("heap", None)).await.json().await.unwrap();
    assert_eq!(hub.capture_finished(&admin, id).await["state"], "done");
    let heap = hub.get_json(&admin, &format!("/api/v1/captures/{id}/top?sample=inuse_space")).await;
    assert_eq!(heap["unit"], "bytes", "{heap}");
    assert_go_reads_the_same(&go, &hub, &admin, &store, id, "alloc_space").await;
    hub.stop().await;
    service.kill().await.unwrap();
}
