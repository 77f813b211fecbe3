//! Starts the real demo fleet for a test and talks to it.
#![allow(dead_code, reason = "each test file uses part of it")]
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const TOKEN: &str = "test-fleet-token";

pub struct Fleet {
    pub child: Child,
    pub control: String,
    pub instances: Vec<(String, String, String)>,
}

impl Fleet {
    pub fn start() -> Fleet {
        Self::start_with(&[])
    }

    /// A fleet with extra environment (DEMO_SOURCE_URL, DEMO_READ_URL…).
    pub fn start_with(env: &[(&str, &str)]) -> Fleet {
        let dir = tempfile::tempdir().unwrap().keep();
        let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard-demo"))
            .args(["fleet", "--data-dir"])
            .arg(&dir)
            .env("SWITCHBOARD_DEMO_TOKEN", TOKEN)
            .env_remove("DEMO_SOURCE_URL")
            .env_remove("DEMO_READ_URL")
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let manifest = loop {
            let line = lines.next().expect("the fleet printed its manifest").unwrap();
            if let Some(json) = line.strip_prefix(demo::MANIFEST_PREFIX) {
                break serde_json::from_str::<serde_json::Value>(json).unwrap();
            }
        };
        let instances = manifest["instances"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                let s = |k: &str| i[k].as_str().unwrap().to_string();
                (s("service"), s("name"), s("base_url"))
            })
            .collect();
        Fleet { child, control: manifest["control_url"].as_str().unwrap().to_string(), instances }
    }

    pub fn url(&self, name: &str) -> String {
        self.instances.iter().find(|i| i.1 == name).unwrap().2.clone()
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build().unwrap()
}

pub fn chaos(fleet: &Fleet, body: serde_json::Value) -> reqwest::blocking::Response {
    client().post(format!("{}/chaos", fleet.control)).bearer_auth(TOKEN).json(&body).send().unwrap()
}
