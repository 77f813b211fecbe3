//! The hub as its own OS process: `--help` lists the settings, a bad config exits non-zero
//! with line and field, and a killed hub leaves no demo process behind.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn hub() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    for (k, _) in std::env::vars() {
        if k.starts_with("SWITCHBOARD_") {
            c.env_remove(k);
        }
    }
    c
}

/// A hub process on a free port with `env`, and a client logged in as admin once it serves.
/// A hub process that is killed if the test fails before it is done with it: a panicking
/// test must not leave a hub and its fleet running (they would load the tests after it).
struct Spawned(Child);

impl std::ops::Deref for Spawned {
    type Target = Child;
    fn deref(&self) -> &Child {
        &self.0
    }
}

impl std::ops::DerefMut for Spawned {
    fn deref_mut(&mut self) -> &mut Child {
        &mut self.0
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

async fn spawn_logged_in(
    dir: &std::path::Path,
    env: &[(&str, &std::ffi::OsStr)],
) -> (Spawned, String, reqwest::Client) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = hub()
        .env("SWITCHBOARD_DATA_DIR", dir)
        .env("SWITCHBOARD_ADDR", format!("127.0.0.1:{port}"))
        .env("SWITCHBOARD_ADMIN_PASSWORD", common::ADMIN_PASSWORD)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client =
        reqwest::Client::builder().cookie_store(true).timeout(Duration::from_secs(2)).build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let login = serde_json::json!({ "username": "admin", "password": common::ADMIN_PASSWORD });
    while Instant::now() < deadline {
        let res = client.post(format!("{base}/api/v1/login")).json(&login).send().await;
        if res.is_ok_and(|r| r.status() == 200) {
            return (Spawned(child), base, client);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the hub did not serve within 60 s");
}

#[test]
fn help_lists_every_setting() {
    let out = hub().arg("--help").output().unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for var in [
        "SWITCHBOARD_ADDR",
        "SWITCHBOARD_DATA_DIR",
        "SWITCHBOARD_DATABASE_URL",
        "SWITCHBOARD_CONFIG",
        "SWITCHBOARD_DEMO",
        "SWITCHBOARD_ADMIN_PASSWORD",
        "SWITCHBOARD_LOG",
    ] {
        assert!(help.contains(var), "{var} missing from --help:\n{help}");
    }
}

#[test]
fn a_bad_config_exits_non_zero_naming_line_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[hub]\npublic_url = \"http://x\"\nsession_idle = 3\n").unwrap();
    let out = hub()
        .env("SWITCHBOARD_DATA_DIR", dir.path())
        .env("SWITCHBOARD_CONFIG", &config)
        .env("SWITCHBOARD_ADDR", "127.0.0.1:0")
        .env("SWITCHBOARD_DEMO", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.toml line 3") && err.contains("session_idle"), "{err}");
}

#[tokio::test]
async fn a_killed_hub_leaves_no_demo_process() {
    let dir = tempfile::tempdir().unwrap();
    let demo_bin = common::demo_binary();
    let env = [("SWITCHBOARD_DEMO_BIN", demo_bin.as_os_str()), ("SWITCHBOARD_DEMO", "1".as_ref())];
    let (mut child, base, client) = spawn_logged_in(dir.path(), &env).await;
    let services: serde_json::Value =
        client.get(format!("{base}/api/v1/services")).send().await.unwrap().json().await.unwrap();
    let urls: Vec<String> = services
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["instances"].as_array().unwrap())
        .map(|i| i["base_url"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(urls.len(), 6, "{services}");
    let answering = async || {
        let mut n = 0;
        for u in &urls {
            if client.get(format!("{u}/healthz")).send().await.is_ok() {
                n += 1;
            }
        }
        n
    };
    assert_eq!(answering().await, 6, "the fleet serves while the hub runs");

    child.kill().unwrap(); // SIGKILL: no chance to clean up
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    while answering().await > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(answering().await, 0, "every demo process went with the hub");
}

#[tokio::test]
async fn sighup_reloads_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("hub.toml");
    let service = |name: &str| format!("[[services]]\nname = \"{name}\"\nteam = \"t\"\n");
    std::fs::write(&config, service("before")).unwrap();
    let env = [("SWITCHBOARD_CONFIG", config.as_os_str()), ("SWITCHBOARD_DEMO", "0".as_ref())];
    let (mut child, base, client) = spawn_logged_in(dir.path(), &env).await;
    let names = async || -> Vec<String> {
        let list: serde_json::Value =
            client.get(format!("{base}/api/v1/services")).send().await.unwrap().json().await.unwrap();
        list.as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names().await, ["before"]);

    std::fs::write(&config, service("after")).unwrap();
    let hup = Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap();
    assert!(hup.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while names().await != ["after"] && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(names().await, ["after"], "SIGHUP applied the new file");

    // A bad file on SIGHUP keeps the running config.
    std::fs::write(&config, "[[services]]\nname = \"broken\"\n").unwrap();
    Command::new("kill").args(["-HUP", &child.id().to_string()]).status().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(names().await, ["after"]);

    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIGTERM is a clean shutdown: {status}");
}
