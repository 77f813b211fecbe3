//! The real fleet: processes start, serve every endpoint, take chaos, and die with their
//! parent.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{chaos, client, Fleet};
use pprof::protos::Message;
use std::io::Read;
use std::time::{Duration, Instant};

fn profile(bytes: &[u8]) -> pprof::protos::Profile {
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(bytes).read_to_end(&mut raw).expect("a gzipped body");
    pprof::protos::Profile::decode(raw.as_slice()).expect("a pprof protobuf")
}

/// Sample counts (first value) per function name, counting each sample's leaf function.
fn flat_by_function(p: &pprof::protos::Profile) -> Vec<(String, i64)> {
    let name = |loc_id: u64| -> String {
        let loc = p.location.iter().find(|l| l.id == loc_id).unwrap();
        let f = loc.line.first().map(|l| l.function_id).unwrap_or(0);
        let func = p.function.iter().find(|x| x.id == f);
        func.map(|x| p.string_table[usize::try_from(x.name).unwrap()].clone()).unwrap_or_default()
    };
    let mut totals = std::collections::HashMap::<String, i64>::new();
    for s in &p.sample {
        if let Some(leaf) = s.location_id.first() {
            *totals.entry(name(*leaf)).or_default() += s.value.first().copied().unwrap_or(0);
        }
    }
    let mut v: Vec<_> = totals.into_iter().collect();
    v.sort_by_key(|e| std::cmp::Reverse(e.1));
    v
}

#[test]
fn every_instance_serves_metrics_threads_and_profiles() {
    let fleet = Fleet::start();
    assert_eq!(fleet.instances.len(), 6);
    let http = client();
    for (service, name, base) in &fleet.instances {
        let text = http.get(format!("{base}/metrics")).send().unwrap();
        assert_eq!(text.headers()["content-type"], "text/plain; version=0.0.4; charset=utf-8");
        let text = text.text().unwrap();
        assert!(text.contains("# TYPE process_resident_memory_bytes gauge"), "{name}: {text}");
        assert!(text.contains("worker_pool_max_workers{pool="), "{name}: {text}");
        let om = http
            .get(format!("{base}/metrics"))
            .header("accept", "application/openmetrics-text; version=1.0.0")
            .send()
            .unwrap();
        assert!(om.headers()["content-type"].to_str().unwrap().starts_with("application/openmetrics-text"));
        assert!(om.text().unwrap().ends_with("# EOF\n"), "{name}");
        let dump = http.get(format!("{base}/debug/threads")).send().unwrap().text().unwrap();
        assert!(dump.starts_with(&format!("switchboard-thread-dump 1\nprocess {name} pid ")), "{dump}");
        assert!(dump.contains("at demo::pool::WorkerPool::next_task"), "{dump}");
        let heap = http.get(format!("{base}/debug/pprof/heap")).send().unwrap();
        assert_eq!(heap.status(), 200, "{name}: heap profiling is on");
        let heap = profile(&heap.bytes().unwrap());
        assert!(!heap.sample.is_empty(), "{name}: the heap profile has samples");
        if service == "projector" {
            assert!(text.contains("consumer_lag_messages{consumer=\"orders-projector\""), "{text}");
        }
    }
    // Traffic reaches the API: requests counted with exemplars carrying trace ids.
    std::thread::sleep(Duration::from_secs(2));
    let om = http
        .get(format!("{}/metrics", fleet.url("orders-api-1")))
        .header("accept", "application/openmetrics-text; version=1.0.0")
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(om.contains("http_requests_total{route=\"/orders/{id}\""), "{om}");
    assert!(om.contains("# {trace_id=\""), "exemplars carry trace ids: {om}");
}

#[test]
fn a_cpu_hot_spot_tops_the_cpu_profile() {
    let fleet = Fleet::start();
    let res = chaos(&fleet, serde_json::json!({ "instance": "orders-api-1", "fault": "hot_spot" }));
    assert_eq!(res.status(), 200);
    let body =
        client().get(format!("{}/debug/pprof/profile?seconds=3", fleet.url("orders-api-1"))).send().unwrap();
    assert_eq!(body.status(), 200);
    let p = profile(&body.bytes().unwrap());
    let top = flat_by_function(&p);
    assert!(top[0].0.contains("hot_spot_spin"), "the hot spot is first: {:?}", &top[..top.len().min(5)]);
    let refused = client()
        .get(format!("{}/debug/pprof/profile?seconds=500", fleet.url("orders-api-1")))
        .send()
        .unwrap();
    assert_eq!(refused.status(), 400);
}

#[test]
fn chaos_needs_the_token_and_stop_start_keeps_the_port() {
    let fleet = Fleet::start();
    let api = fleet.url("orders-api-2");
    let anonymous =
        client().post(format!("{api}/chaos")).json(&serde_json::json!({"fault": "clear"})).send().unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = client()
        .post(format!("{}/chaos", fleet.control))
        .bearer_auth("nope")
        .json(&serde_json::json!({"instance": "orders-api-2", "fault": "stop"}))
        .send()
        .unwrap();
    assert_eq!(wrong.status(), 403);

    assert_eq!(
        chaos(&fleet, serde_json::json!({ "instance": "orders-api-2", "fault": "stop" })).status(),
        200
    );
    assert!(client().get(format!("{api}/healthz")).send().is_err(), "a stopped instance does not answer");
    let refused = chaos(&fleet, serde_json::json!({ "instance": "orders-api-2", "fault": "hot_spot" }));
    assert_eq!(refused.status(), 409);
    assert_eq!(
        chaos(&fleet, serde_json::json!({ "instance": "orders-api-2", "fault": "start" })).status(),
        200
    );
    assert_eq!(client().get(format!("{api}/healthz")).send().unwrap().status(), 200, "back on the same port");
}

#[test]
fn errors_and_pool_exhaustion_are_real() {
    let fleet = Fleet::start();
    let api = fleet.url("orders-api-1");
    chaos(
        &fleet,
        serde_json::json!({ "instance": "orders-api-1", "fault": "errors", "ratio": 1.0, "user_group": "pro" }),
    );
    let get = |group: &str| {
        client()
            .get(format!("{api}/orders/1"))
            .header("x-user-group", group)
            .send()
            .unwrap()
            .status()
            .as_u16()
    };
    assert_eq!(get("pro"), 500);
    assert_ne!(get("retail"), 500, "only the pro user group fails");
    chaos(
        &fleet,
        serde_json::json!({ "instance": "orders-api-1", "fault": "pool_exhaustion", "seconds": 20 }),
    );
    std::thread::sleep(Duration::from_millis(300));
    let dump = client().get(format!("{api}/debug/threads")).send().unwrap().text().unwrap();
    assert_eq!(dump.matches("at demo::chaos::hold_worker").count(), 8, "every worker is held: {dump}");
    let metrics = client().get(format!("{api}/metrics")).send().unwrap().text().unwrap();
    assert!(metrics.contains("worker_pool_active_workers{pool=\"orders-api-workers\"} 8.0"), "{metrics}");
    // The fleet's view says so while the workers are held (the Demo page shows it)…
    let view: serde_json::Value =
        client().get(format!("{}/fleet", fleet.control)).send().unwrap().json().unwrap();
    let me = view["instances"].as_array().unwrap().iter().find(|i| i["name"] == "orders-api-1").unwrap();
    let left = me["chaos"]["pool_exhausted_s"].as_u64().unwrap();
    assert!((15..=20).contains(&left), "{me}");
    // …and clearing the faults gives the workers back at once.
    chaos(&fleet, serde_json::json!({ "instance": "orders-api-1", "fault": "clear" }));
    std::thread::sleep(Duration::from_millis(500));
    let metrics = client().get(format!("{api}/metrics")).send().unwrap().text().unwrap();
    assert!(!metrics.contains("worker_pool_active_workers{pool=\"orders-api-workers\"} 8.0"), "{metrics}");
    let view: serde_json::Value =
        client().get(format!("{}/fleet", fleet.control)).send().unwrap().json().unwrap();
    let me = view["instances"].as_array().unwrap().iter().find(|i| i["name"] == "orders-api-1").unwrap();
    assert_eq!(me["chaos"]["pool_exhausted_s"], 0, "{me}");
}

#[test]
fn pausing_the_projector_grows_its_lag() {
    let fleet = Fleet::start();
    let projector = fleet.url("projector-1");
    let lag = || -> f64 {
        let text = client().get(format!("{projector}/metrics")).send().unwrap().text().unwrap();
        text.lines()
            .find(|l| l.starts_with("consumer_lag_messages{"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    };
    chaos(&fleet, serde_json::json!({ "instance": "projector-1", "fault": "pause" }));
    std::thread::sleep(Duration::from_secs(2));
    let paused = lag();
    assert!(paused >= 10.0, "20 writes a second pile up while paused: {paused}");
    chaos(&fleet, serde_json::json!({ "instance": "projector-1", "fault": "clear" }));
    let deadline = Instant::now() + Duration::from_secs(10);
    while lag() > 5.0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(lag() <= 5.0, "the projector catches up");
}

#[test]
fn instances_die_with_the_fleet() {
    let mut fleet = Fleet::start();
    let urls: Vec<String> = fleet.instances.iter().map(|i| i.2.clone()).collect();
    fleet.child.kill().unwrap();
    fleet.child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
    let alive = || urls.iter().filter(|u| http.get(format!("{u}/healthz")).send().is_ok()).count();
    while alive() > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(alive(), 0, "no orphan keeps serving once the fleet is killed");
}
