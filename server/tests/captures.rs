//! Profiling captures from the real demo fleet through /api/v1: roles, limits, thread-dump
//! analysis, uploads, and captures cut short by a shutdown.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{Engine, FleetHub, TestHub, TestStore, ADMIN_PASSWORD};
use std::time::Duration;

async fn request(hub: &TestHub, client: &reqwest::Client, body: serde_json::Value) -> reqwest::Response {
    client.post(hub.url("/api/v1/captures")).json(&body).send().await.unwrap()
}

/// Three dumps of an instance whose pool is held the whole time: the series flags the pool
/// as exhausted in every dump, and the last dump is analysed as a dump of its own.
#[tokio::test]
async fn a_thread_dump_series_flags_the_pool_that_stayed_exhausted() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, dev, viewer } = FleetHub::start(&store).await;
    let series = |dumps: i64, seconds: i64| serde_json::json!({ "service": "orders-api", "instance": "orders-api-1", "kind": "threads_series", "dumps": dumps, "seconds": seconds });
    assert_eq!(request(&hub, &viewer, series(3, 1)).await.status(), 403);
    assert_eq!(request(&hub, &dev, series(11, 1)).await.status(), 400, "at most 10 dumps");
    assert_eq!(request(&hub, &dev, series(3, 0)).await.status(), 400, "at least a second apart");

    let hold = serde_json::json!({ "instance": "orders-api-1", "fault": { "fault": "pool_exhaustion", "seconds": 30 } });
    let res = hub.call_json::<app::api::demo::InjectDemoFault>(&admin, &hold).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let id = request(&hub, &dev, series(3, 1)).await.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    let done = hub.capture_finished(&dev, id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (done["kind"].as_str(), done["dumps"].as_i64(), done["seconds"].as_i64()),
        (Some("threads_series"), Some(3), Some(1))
    );
    let s = hub.get_json(&dev, &format!("/api/v1/captures/{id}/threads-series")).await;
    let taken: Vec<i64> = s["dumps"].as_array().unwrap().iter().map(|d| d[0].as_i64().unwrap()).collect();
    assert_eq!(taken.len(), 3, "{s}");
    assert!(taken.windows(2).all(|w| w[1] - w[0] >= 900), "a second apart: {taken:?}");
    let pools: Vec<&str> =
        s["exhausted_pools"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert!(pools.contains(&"orders-worker"), "{s}");
    let last = hub.get_json(&dev, &format!("/api/v1/captures/{id}/threads")).await;
    assert!(
        last["pools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "orders-worker" && p["exhausted"] == true),
        "{last}"
    );
    // A single dump is no series.
    let one = serde_json::json!({ "service": "orders-api", "instance": "orders-api-2", "kind": "threads" });
    let single =
        request(&hub, &dev, one).await.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(hub.capture_finished(&dev, single).await["state"], "done");
    let res = dev.get(hub.url(&format!("/api/v1/captures/{single}/threads-series"))).send().await.unwrap();
    assert_eq!(res.status(), 400);
    hub.stop().await;
}

#[tokio::test]
async fn developers_capture_thread_dumps_and_profiles_of_registered_instances() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, dev, viewer } = FleetHub::start(&store).await;
    let threads =
        serde_json::json!({ "service": "orders-api", "instance": "orders-api-1", "kind": "threads" });

    assert_eq!(request(&hub, &viewer, threads.clone()).await.status(), 403, "viewers do not capture");
    assert_eq!(request(&hub, &TestHub::client(), threads.clone()).await.status(), 401);
    let bad = |instance: &str, kind: &str, seconds: i64| serde_json::json!({ "service": "orders-api", "instance": instance, "kind": kind, "seconds": seconds });
    assert_eq!(request(&hub, &dev, bad("orders-api-9", "threads", 0)).await.status(), 404);
    assert_eq!(request(&hub, &dev, bad("orders-api-1", "cpu", 500)).await.status(), 400);
    assert_eq!(request(&hub, &dev, bad("orders-api-1", "core", 0)).await.status(), 400);

    let id =
        request(&hub, &dev, threads).await.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let done = hub.capture_finished(&dev, id).await;
    assert_eq!(done["state"], "done", "{done}");
    assert_eq!(
        (done["service"].as_str(), done["instance"].as_str(), done["kind"].as_str()),
        (Some("orders-api"), Some("orders-api-1"), Some("threads"))
    );
    assert!(done["bytes"].as_i64().unwrap() > 0 && done["error"].is_null() && done["progress"] == 1.0);
    let analysis = hub.get_json(&dev, &format!("/api/v1/captures/{id}/threads")).await;
    let pool = analysis["pools"].as_array().unwrap().iter().find(|p| p["name"] == "orders-worker").unwrap();
    assert_eq!(pool["threads"], 8, "{analysis}");
    assert!(analysis["threads"].as_u64().unwrap() > 8 && analysis["states"].is_object());

    // A CPU profile: one capture per instance at a time, progress while it runs, raw pprof after.
    // An idle instance may spend no CPU in five seconds (an empty profile): give it work.
    let hot = serde_json::json!({ "instance": "orders-api-2", "fault": { "fault": "hot_spot" } });
    let res = hub.call_json::<app::api::demo::InjectDemoFault>(&admin, &hot).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let cpu = serde_json::json!({ "service": "orders-api", "instance": "orders-api-2", "kind": "cpu", "seconds": 5 });
    let id = request(&hub, &dev, cpu.clone()).await.json::<serde_json::Value>().await.unwrap()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(request(&hub, &dev, cpu).await.status(), 409, "one capture per instance at a time");
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let running = hub.get_json(&dev, &format!("/api/v1/captures/{id}")).await;
    assert_eq!(running["state"], "running");
    assert!(running["progress"].as_f64().unwrap() > 0.2, "{running}");
    assert_eq!(hub.capture_finished(&dev, id).await["state"], "done");
    let raw = dev.get(hub.url(&format!("/api/v1/captures/{id}/raw"))).send().await.unwrap();
    assert!(raw.headers()["content-disposition"].to_str().unwrap().contains(".pb.gz"));
    assert!(raw.bytes().await.unwrap().starts_with(&[0x1f, 0x8b]), "gzipped pprof");
    let top = hub.get_json(&dev, &format!("/api/v1/captures/{id}/top")).await;
    assert_eq!((top["sample"].as_str(), top["unit"].as_str()), (Some("cpu"), Some("nanoseconds")), "{top}");
    let rows = top["rows"].as_array().unwrap();
    assert!(
        !rows.is_empty() && rows[0].get("flat_pct").is_some() && rows[0].get("cum_pct").is_some(),
        "{top}"
    );
    let flats: Vec<i64> = rows.iter().map(|r| r["flat"].as_i64().unwrap()).collect();
    assert!(flats.windows(2).all(|w| w[0] >= w[1]), "sorted by flat");
    let res =
        dev.get(hub.url(&format!("/api/v1/captures/{id}/top?sample=alloc_space"))).send().await.unwrap();
    assert_eq!(res.status(), 400);
    hub.stop().await;
}

async fn uploads_are_validated_and_analysed(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let jstack = include_str!("../../threaddump/fixtures/deadlock.jstack");
    let up = |kind: &str, body: Vec<u8>| {
        admin.post(hub.url(&format!("/api/v1/uploads?kind={kind}&service=orders-api"))).body(body).send()
    };
    let res = up("jstack", jstack.as_bytes().to_vec()).await.unwrap();
    assert_eq!(res.status(), 200);
    let id = res.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    let analysis = hub.get_json(&admin, &format!("/api/v1/captures/{id}/threads")).await;
    assert_eq!(analysis["deadlocks"].as_array().unwrap().len(), 2, "{analysis}");
    let pools = analysis["pools"].as_array().unwrap();
    assert!(
        pools.iter().any(|p| p["name"] == "orders-exec" && p["idle"] == 0 && p["busy"] == 4),
        "{pools:?}"
    );

    let res = up("pprof", b"not gzip at all".to_vec()).await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("not a profile"));
    assert_eq!(up("jstack", b"hello".to_vec()).await.unwrap().status(), 400);
    assert_eq!(up("core", b"x".to_vec()).await.unwrap().status(), 400);
    let res =
        admin.post(hub.url("/api/v1/uploads?kind=jstack&service=ledger")).body(jstack).send().await.unwrap();
    assert_eq!(res.status(), 404, "uploads belong to a service of the config");
    hub.stop().await;
}
both_engines!(uploads_are_validated_and_analysed, uploads_are_validated_and_analysed);

#[tokio::test]
async fn a_capture_cut_short_by_a_shutdown_says_so() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let (settings, _) = common::fleet_settings(&store);
    let hub = TestHub::start_with(settings.clone()).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let cpu = serde_json::json!({ "service": "projector", "instance": "projector-1", "kind": "cpu", "seconds": 60 });
    let id =
        request(&hub, &admin, cpu).await.json::<serde_json::Value>().await.unwrap()["id"].as_i64().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    hub.stop().await;
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let v = hub.get_json(&admin, &format!("/api/v1/captures/{id}")).await;
    assert_eq!(v["state"], "failed");
    assert!(v["error"].as_str().unwrap().contains("shut down"), "{v}");
    let raw = admin.get(hub.url(&format!("/api/v1/captures/{id}/raw"))).send().await.unwrap();
    assert_eq!(raw.status(), 409);
    hub.stop().await;
}
