//! What a stored profile or dump shows through /api/v1 — flamegraph data, callers and
//! callees, the diff of two profiles or two dumps — and the upload form of the service page.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{TestHub, TestStore, ADMIN_PASSWORD};
use serde_json::Value;

const CPU: &[u8] = include_bytes!("../../pprofile/fixtures/demo-cpu.pb.gz");
const HEAP: &[u8] = include_bytes!("../../pprofile/fixtures/demo-heap.pb.gz");
const JSTACK: &str = include_str!("../../threaddump/fixtures/deadlock.jstack");

async fn upload(hub: &TestHub, client: &reqwest::Client, kind: &str, service: &str, body: Vec<u8>) -> i64 {
    let res = client
        .post(hub.url(&format!("/api/v1/uploads?kind={kind}&service={service}")))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "upload: {}", res.text().await.unwrap());
    res.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

fn name_of<'a>(flame: &'a Value, node: &Value) -> &'a str {
    flame["names"][node["name"].as_u64().unwrap() as usize].as_str().unwrap()
}

async fn profiles_flames_and_diffs(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let before = upload(&hub, &admin, "pprof", "orders-api", HEAP.to_vec()).await;
    let after = upload(&hub, &admin, "pprof", "orders-api", CPU.to_vec()).await;

    let flame = hub.get_json(&admin, &format!("/api/v1/captures/{after}/flame")).await;
    assert_eq!((flame["sample"].as_str(), flame["unit"].as_str()), (Some("cpu"), Some("nanoseconds")));
    assert_eq!(flame["sample_types"], serde_json::json!(["samples", "cpu"]));
    let nodes = flame["nodes"].as_array().unwrap();
    assert_eq!(name_of(&flame, &nodes[0]), "root");
    let widest_leaf = nodes.iter().max_by_key(|n| n["own"].as_i64().unwrap()).unwrap();
    assert_eq!(name_of(&flame, widest_leaf), "demo::chaos::hot_spot_spin");
    let samples = hub.get_json(&admin, &format!("/api/v1/captures/{after}/flame?sample=samples")).await;
    assert_eq!(samples["unit"], "count");
    let res = admin
        .get(hub.url(&format!("/api/v1/captures/{after}/flame?sample=inuse_space")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 400, "no such sample type in a CPU profile");

    let peek = hub
        .get_json(&admin, &format!("/api/v1/captures/{after}/peek?function=demo::chaos::hot_spot_spin"))
        .await;
    assert_eq!(peek["flat"], peek["cum"], "a leaf: {peek}");
    assert!(!peek["callers"].as_array().unwrap().is_empty() && peek["callees"] == serde_json::json!([]));

    // A heap profile against a CPU profile has no common sample type.
    let res = admin.get(hub.url(&format!("/api/v1/captures/{before}/diff/{after}"))).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let second = upload(&hub, &admin, "pprof", "orders-api", CPU.to_vec()).await;
    let diff = hub.get_json(&admin, &format!("/api/v1/captures/{after}/diff/{second}")).await;
    assert_eq!(diff["table"]["before_total"], diff["table"]["after_total"]);
    let rows = diff["table"]["rows"].as_array().unwrap();
    assert!(
        rows.iter().all(|r| r["flat_delta_pct"].as_f64().unwrap().abs() < 1e-9),
        "the same profile twice"
    );
    assert_eq!(diff["flame"]["before_total"], diff["flame"]["total"]);
    let other = upload(&hub, &admin, "pprof", "projector", CPU.to_vec()).await;
    let res = admin.get(hub.url(&format!("/api/v1/captures/{after}/diff/{other}"))).send().await.unwrap();
    assert_eq!(res.status(), 400, "a diff compares captures of one service");
    assert!(res.text().await.unwrap().contains("one service"));

    let anonymous = TestHub::client();
    for path in [format!("/api/v1/captures/{after}/flame"), format!("/api/v1/captures/{after}/diff/{second}")]
    {
        assert_eq!(anonymous.get(hub.url(&path)).send().await.unwrap().status(), 401);
    }
    hub.stop().await;
}
both_engines!(profiles_flames_and_diffs, profiles_flames_and_diffs);

#[tokio::test]
async fn two_dumps_compare_and_a_profile_does_not_diff_as_a_dump() {
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let hub = TestHub::start(&store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let a = upload(&hub, &admin, "jstack", "orders-api", JSTACK.as_bytes().to_vec()).await;
    let b = upload(&hub, &admin, "jstack", "orders-api", JSTACK.as_bytes().to_vec()).await;
    let d = hub.get_json(&admin, &format!("/api/v1/captures/{a}/threads-diff/{b}")).await;
    assert_eq!(d["threads_before"], d["threads_after"]);
    assert_eq!(d["newly_stuck"], serde_json::json!([]), "nothing new against the same dump");
    assert_eq!(d["new_deadlocks"], serde_json::json!([]));
    assert!(d["still_stuck"].as_array().unwrap().len() >= 4, "the deadlocked threads stay stuck: {d}");
    let analysis = hub.get_json(&admin, &format!("/api/v1/captures/{a}/threads")).await;
    assert!(analysis["hot_locks"].is_array());
    let p = upload(&hub, &admin, "pprof", "orders-api", CPU.to_vec()).await;
    let res = admin.get(hub.url(&format!("/api/v1/captures/{a}/threads-diff/{p}"))).send().await.unwrap();
    assert_eq!(res.status(), 400, "a profile is not a dump");
    hub.stop().await;
}

/// A browser's multipart form, by hand.
#[tokio::test]
async fn the_upload_form_opens_the_new_capture_or_says_why_not() {
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let hub = TestHub::start(&store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    hub.create_user(&admin, "view1", "view1-password", "viewer").await;
    // Clients that show the redirect instead of following it, as a browser's network tab does.
    let session = |user: &'static str, password: &'static str| {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let hub = &hub;
        async move {
            if !user.is_empty() {
                assert_eq!(hub.login(&client, user, password).await.status(), 200);
            }
            client
        }
    };
    let (admin, viewer, anonymous) = (
        session("admin", ADMIN_PASSWORD).await,
        session("view1", "view1-password").await,
        session("", "").await,
    );
    let post = |client: &reqwest::Client, service: &str, kind: &str, file: &[u8]| {
        let (content_type, body) = common::upload_form(service, kind, file);
        client
            .post(hub.url("/captures/upload"))
            .header("content-type", content_type)
            .header("origin", hub.url(""))
            .body(body)
            .send()
    };
    let res = post(&admin, "orders-api", "jstack", JSTACK.as_bytes()).await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/captures/"), "{location}");
    let id: i64 = location.trim_start_matches("/captures/").parse().unwrap();
    let analysis = hub.get_json(&admin, &format!("/api/v1/captures/{id}/threads")).await;
    assert_eq!(analysis["deadlocks"].as_array().unwrap().len(), 2);

    let res = post(&admin, "orders-api", "pprof", b"not a profile").await.unwrap();
    assert_eq!(res.status(), 303);
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with("/services/orders-api?upload_error=not%20a%20profile"), "{location}");
    let res = post(&admin, "no-such-service", "jstack", JSTACK.as_bytes()).await.unwrap();
    assert!(res.headers()["location"].to_str().unwrap().contains("no%20service"));
    let res = post(&viewer, "orders-api", "jstack", JSTACK.as_bytes()).await.unwrap();
    assert!(res.headers()["location"].to_str().unwrap().contains("upload_error="), "viewers are refused");
    let res = post(&anonymous, "orders-api", "jstack", JSTACK.as_bytes()).await.unwrap();
    assert!(res.headers()["location"].to_str().unwrap().starts_with("/login"));
    // Past the artifact limit (64 MiB): the form says so, the API answers 413.
    let huge = vec![b'x'; backend::profiling::MAX_ARTIFACT + 1024];
    let res = post(&admin, "orders-api", "jstack", &huge).await.unwrap();
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/services/orders-api?upload_error=too%20large"), "{location}");
    let res = admin
        .post(hub.url("/api/v1/uploads?kind=jstack&service=orders-api"))
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    let listed = hub.get_json(&admin, "/api/v1/captures?service=orders-api").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing stored for the refused uploads");
    hub.stop().await;
}
