//! Capture jobs from the UI's side: the server functions (refused to viewers), cancel,
//! lists per service and instance, the per-user rate limit, the retention policy, and the
//! demo's CPU hot spot found first in top and widest in the flamegraph.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::captures::{CancelCapture, RequestCapture};
use app::api::demo::InjectDemoFault;
use common::{Engine, FleetHub, TestHub, TestStore, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

#[tokio::test]
async fn the_ui_requests_and_cancels_captures_and_viewers_are_refused() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, dev, viewer } = FleetHub::start(&store).await;
    let cpu = json!({ "service": "projector", "instance": "projector-1", "kind": "cpu", "seconds": 60 });

    let res = hub.call_json::<RequestCapture>(&viewer, &cpu).await;
    assert_eq!(res.status(), 403, "viewers do not capture");
    let id: i64 = hub.call_json::<RequestCapture>(&dev, &cpu).await.json().await.unwrap();
    assert_eq!(hub.wait_capture(&dev, id, &["running"]).await["state"], "running");
    let res = hub.call_json::<CancelCapture>(&viewer, &json!({ "id": id })).await;
    assert_eq!(res.status(), 403, "viewers do not cancel");
    assert_eq!(hub.get_json(&dev, &format!("/api/v1/captures/{id}")).await["state"], "running");

    let res = hub.call_json::<CancelCapture>(&dev, &json!({ "id": id })).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let v = hub.wait_capture(&dev, id, &["failed"]).await;
    assert_eq!(v["state"], "failed");
    assert_eq!(v["error"], "cancelled by dev1");
    let res = hub.call_json::<CancelCapture>(&dev, &json!({ "id": id })).await;
    assert_eq!(res.status(), 409, "a finished capture cannot be cancelled");

    // The JSON API cancels too. (Another instance: the projector's own profiler may still be
    // busy with the cancelled profile; the hub only stops waiting for it.)
    let cpu = json!({ "service": "orders-api", "instance": "orders-api-1", "kind": "cpu", "seconds": 60 });
    let res = dev.post(hub.url("/api/v1/captures")).json(&cpu).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let second = hub.get_json(&dev, "/api/v1/captures?service=orders-api").await[0]["id"].as_i64().unwrap();
    let res = viewer.post(hub.url(&format!("/api/v1/captures/{second}/cancel"))).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = dev.post(hub.url(&format!("/api/v1/captures/{second}/cancel"))).send().await.unwrap();
    assert_eq!(res.status(), 204);
    assert_eq!(hub.wait_capture(&dev, second, &["failed"]).await["error"], "cancelled by dev1");

    let audit: Value = hub.call::<app::api::audit::ListAudit>(&admin, &[]).await.json().await.unwrap();
    let cancels: Vec<&Value> =
        audit.as_array().unwrap().iter().filter(|e| e["action"] == "capture.cancel").collect();
    assert!(cancels.iter().any(|e| e["actor"] == "view1" && e["outcome"] == "denied"), "{cancels:?}");
    assert!(cancels.iter().any(|e| e["actor"] == "dev1" && e["outcome"] == "ok"), "{cancels:?}");
    hub.stop().await;
}

#[tokio::test]
async fn captures_are_listed_per_service_and_instance() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, .. } = FleetHub::start(&store).await;
    for instance in ["orders-api-1", "orders-api-2"] {
        let body = json!({ "service": "orders-api", "instance": instance, "kind": "threads" });
        let id: i64 = hub.call_json::<RequestCapture>(&admin, &body).await.json().await.unwrap();
        assert_eq!(hub.capture_finished(&admin, id).await["state"], "done");
    }
    let all = hub.get_json(&admin, "/api/v1/captures?service=orders-api").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    assert!(all[0]["id"].as_i64() > all[1]["id"].as_i64(), "newest first");
    let one = hub.get_json(&admin, "/api/v1/captures?service=orders-api&instance=orders-api-2").await;
    assert_eq!(one.as_array().unwrap().len(), 1);
    assert_eq!(one[0]["instance"], "orders-api-2");
    assert_eq!(one[0]["requested_by"], "admin");
    let none = hub.get_json(&admin, "/api/v1/captures?service=projector").await;
    assert_eq!(none, json!([]));
    assert_eq!(
        TestHub::client().get(hub.url("/api/v1/captures?service=orders-api")).send().await.unwrap().status(),
        401
    );
    hub.stop().await;
}

#[tokio::test]
async fn a_user_past_the_hourly_limit_is_refused_with_the_reason() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let hub = TestHub::start_with(common::fleet_with(&store, "[captures]\nper_user_per_hour = 2\n")).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let dev = hub.user_session(&admin, "dev1", "developer").await;
    for instance in ["orders-api-1", "orders-api-2"] {
        let body = json!({ "service": "orders-api", "instance": instance, "kind": "threads" });
        assert_eq!(dev.post(hub.url("/api/v1/captures")).json(&body).send().await.unwrap().status(), 200);
    }
    let third = json!({ "service": "projector", "instance": "projector-1", "kind": "threads" });
    let res = dev.post(hub.url("/api/v1/captures")).json(&third).send().await.unwrap();
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("2 captures in the last hour"));
    let res =
        dev.post(hub.url("/api/v1/uploads?kind=jstack&service=orders-api")).body("x").send().await.unwrap();
    assert_eq!(res.status(), 429, "uploads count too");
    // Another user has a limit of their own.
    assert_eq!(admin.post(hub.url("/api/v1/captures")).json(&third).send().await.unwrap().status(), 200);
    hub.stop().await;
}

async fn the_retention_policy_keeps_the_newest_per_service_and_deletes_the_rest(store: &TestStore) {
    let mut settings = common::fleet_with(store, "[captures]\nkeep_per_service = 2\n");
    settings.demo = "0".into();
    let hub = TestHub::start_with(settings.clone()).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let jstack = include_str!("../../threaddump/fixtures/deadlock.jstack");
    let mut ids = Vec::new();
    for _ in 0..3 {
        let res = admin
            .post(hub.url("/api/v1/uploads?kind=jstack&service=orders-api"))
            .body(jstack)
            .send()
            .await
            .unwrap();
        ids.push(res.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
    }
    let artifacts = store.data_dir().join("artifacts");
    assert_eq!(std::fs::read_dir(&artifacts).unwrap().count(), 3);
    hub.stop().await;
    // The policy applies at start (and every ten minutes).
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut listed;
    loop {
        listed = hub.get_json(&admin, "/api/v1/captures?service=orders-api").await;
        if listed.as_array().unwrap().len() == 2 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let kept: Vec<i64> = listed.as_array().unwrap().iter().map(|c| c["id"].as_i64().unwrap()).collect();
    assert_eq!(kept, [ids[2], ids[1]], "the newest two are kept");
    assert_eq!(std::fs::read_dir(&artifacts).unwrap().count(), 2, "the oldest artifact is deleted");
    let gone = admin.get(hub.url(&format!("/api/v1/captures/{}", ids[0]))).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    hub.stop().await;
}
both_engines!(retention, the_retention_policy_keeps_the_newest_per_service_and_deletes_the_rest);

#[tokio::test]
async fn with_the_hot_spot_on_its_function_tops_the_cpu_profile_and_is_widest_in_the_flamegraph() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, .. } = FleetHub::start(&store).await;
    let res = hub
        .call_json::<InjectDemoFault>(
            &admin,
            &json!({ "instance": "orders-api-1", "fault": { "fault": "hot_spot" } }),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let cpu = json!({ "service": "orders-api", "instance": "orders-api-1", "kind": "cpu", "seconds": 5 });
    let id: i64 = hub.call_json::<RequestCapture>(&admin, &cpu).await.json().await.unwrap();
    let v = hub.capture_finished(&admin, id).await;
    assert_eq!(v["state"], "done", "{v}");
    let top = hub.get_json(&admin, &format!("/api/v1/captures/{id}/top")).await;
    assert_eq!(top["rows"][0]["function"], "demo::chaos::hot_spot_spin", "{}", top["rows"][0]);
    assert!(top["rows"][0]["flat_pct"].as_f64().unwrap() > 50.0, "{}", top["rows"][0]);
    let flame = hub.get_json(&admin, &format!("/api/v1/captures/{id}/flame")).await;
    let nodes = flame["nodes"].as_array().unwrap();
    let widest_leaf = nodes.iter().max_by_key(|n| n["own"].as_i64().unwrap()).unwrap();
    let name = &flame["names"][widest_leaf["name"].as_u64().unwrap() as usize];
    assert_eq!(name, "demo::chaos::hot_spot_spin");
    assert_eq!(nodes[0]["value"], flame["total"], "the root spans the total");
    assert_eq!(flame["total"], top["total"]);
    hub.stop().await;
}

#[tokio::test]
async fn with_the_leak_on_its_function_tops_inuse_space() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, .. } = FleetHub::start(&store).await;
    let leak = json!({ "instance": "orders-api-2", "fault": { "fault": "leak", "mib_per_s": 16 } });
    let res = hub.call_json::<InjectDemoFault>(&admin, &leak).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    tokio::time::sleep(Duration::from_secs(4)).await;
    let heap = json!({ "service": "orders-api", "instance": "orders-api-2", "kind": "heap" });
    let id: i64 = hub.call_json::<RequestCapture>(&admin, &heap).await.json().await.unwrap();
    assert_eq!(hub.capture_finished(&admin, id).await["state"], "done");
    let top = hub.get_json(&admin, &format!("/api/v1/captures/{id}/top?sample=inuse_space")).await;
    assert_eq!(top["unit"], "bytes");
    assert_eq!(top["rows"][0]["function"], "demo::chaos::leak_memory", "{}", top["rows"][0]);
    assert!(top["rows"][0]["flat_pct"].as_f64().unwrap() > 30.0, "{}", top["rows"][0]);
    // jemalloc's own frames are no part of the program's profile.
    let rows = top["rows"].as_array().unwrap();
    assert!(rows.iter().all(|r| r["function"] != "prof_backtrace_impl"));
    hub.stop().await;
}

#[tokio::test]
async fn a_trigger_captures_a_thread_dump_when_the_pool_passes_its_threshold_once_per_cooldown() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let trigger = "[[services.capture_triggers]]\nmetric = \"pool_utilisation\"\nabove = 0.9\nkind = \"threads\"\ncooldown = \"10m\"\n";
    // The trigger belongs to orders-api: put it right after that service's own keys.
    let config = common::FLEET_CONFIG.replacen(
        "metric_profiles = [\"http\", \"worker_pool\"]\n",
        &format!("metric_profiles = [\"http\", \"worker_pool\"]\n{trigger}"),
        1,
    );
    let (mut settings, path) = common::fleet_settings(&store);
    let path = path.with_file_name("triggers.toml");
    std::fs::write(&path, config).unwrap();
    settings.config = Some(path);
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        hub.get_json(&admin, "/api/v1/captures?service=orders-api").await,
        json!([]),
        "an idle pool triggers nothing"
    );

    let exhaust =
        json!({ "instance": "orders-api-1", "fault": { "fault": "pool_exhaustion", "seconds": 20 } });
    let res = hub.call_json::<InjectDemoFault>(&admin, &exhaust).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let deadline = Instant::now() + Duration::from_secs(20);
    let capture = loop {
        let list = hub.get_json(&admin, "/api/v1/captures?service=orders-api").await;
        if let Some(c) = list.as_array().unwrap().first() {
            break c.clone();
        }
        assert!(Instant::now() < deadline, "no capture was triggered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(
        (capture["instance"].as_str(), capture["kind"].as_str()),
        (Some("orders-api-1"), Some("threads"))
    );
    assert!(capture["requested_by"].as_str().unwrap().starts_with("trigger: pool_utilisation"), "{capture}");
    let id = capture["id"].as_i64().unwrap();
    assert_eq!(hub.capture_finished(&admin, id).await["state"], "done");
    let analysis = hub.get_json(&admin, &format!("/api/v1/captures/{id}/threads")).await;
    let pool =
        analysis["pools"].as_array().unwrap().iter().find(|p| p["name"] == "orders-worker").unwrap().clone();
    assert_eq!(pool["idle"], 0, "the dump shows the pool exhausted: {pool}");

    // Scrapes go on every second with the pool still full: the cooldown holds.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let list = hub.get_json(&admin, "/api/v1/captures?service=orders-api").await;
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    hub.stop().await;
}
