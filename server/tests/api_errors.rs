//! How /api/v1 refuses: always its JSON error shape (the extractors' rejections included),
//! `Retry-After` from the refusal's own delay, and uploads decoded before anything is kept.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::captures::RequestCapture;
use common::{Engine, TestHub, TestStore, ADMIN_PASSWORD};
use serde_json::{json, Value};
use std::io::Write;

async fn error_of(res: reqwest::Response) -> (u16, Value) {
    let status = res.status().as_u16();
    let kind = res.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let body = res.text().await.unwrap();
    assert!(kind.starts_with("application/json"), "{status} {kind}: {body}");
    (status, serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}")))
}

#[tokio::test]
async fn every_rejection_is_the_json_error_shape() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let hub = TestHub::start(&store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;

    let malformed = admin
        .post(hub.url("/api/v1/captures"))
        .header("content-type", "application/json")
        .body("{\"service\": ")
        .send()
        .await
        .unwrap();
    let (status, body) = error_of(malformed).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("JSON"), "{body}");

    let wrong_field =
        admin.post(hub.url("/api/v1/captures")).json(&json!({ "service": 1 })).send().await.unwrap();
    let (status, body) = error_of(wrong_field).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid")), "{body}");

    let bad_kind = json!({ "service": "s", "instance": "i", "kind": "flame" });
    let res = admin.post(hub.url("/api/v1/captures")).json(&bad_kind).send().await.unwrap();
    let (_, body) = error_of(res).await;
    assert!(body["message"].as_str().unwrap().contains("kind must be cpu, heap, threads"), "{body}");

    let not_json = admin.post(hub.url("/api/v1/captures")).body("service=x").send().await.unwrap();
    let (status, body) = error_of(not_json).await;
    assert_eq!((status, body["error"].as_str()), (415, Some("invalid")), "{body}");

    let bad_path = admin.get(hub.url("/api/v1/captures/abc")).send().await.unwrap();
    let (status, body) = error_of(bad_path).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid")), "{body}");

    let bad_query = admin.get(hub.url("/api/v1/captures")).send().await.unwrap();
    let (status, body) = error_of(bad_query).await;
    assert_eq!((status, body["error"].as_str()), (400, Some("invalid")), "{body}");
    assert!(body["message"].as_str().unwrap().contains("service"), "{body}");

    let (status, body) = error_of(admin.get(hub.url("/api/v1/no-such-thing")).send().await.unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (404, Some("not_found")), "{body}");
    let (status, body) = error_of(admin.delete(hub.url("/api/v1/me")).send().await.unwrap()).await;
    assert_eq!((status, body["error"].as_str()), (405, Some("invalid")), "{body}");

    let huge = vec![b'x'; backend::profiling::MAX_ARTIFACT + 1];
    let res = admin.post(hub.url("/api/v1/uploads?kind=jstack&service=x")).body(huge).send().await.unwrap();
    let (status, body) = error_of(res).await;
    assert_eq!((status, body["error"].as_str()), (413, Some("invalid")), "{body}");
    hub.stop().await;
}

#[tokio::test]
async fn retry_after_is_the_refusals_own_delay() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let dir = store.data_dir();
    let config = dir.join("limits.toml");
    std::fs::write(
        &config,
        "[captures]\nper_user_per_hour = 2\n\n[[services]]\nname = \"svc\"\nteam = \"t\"\n",
    )
    .unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(config);
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let dev = hub.user_session(&admin, "dev1", "developer").await;

    // The capture limit is per hour: the wait is the time until the oldest request leaves
    // the window, not a number found in the message (which starts with the limit, 2).
    let dump = include_str!("../../threaddump/fixtures/deadlock.jstack");
    for _ in 0..2 {
        let res =
            dev.post(hub.url("/api/v1/uploads?kind=jstack&service=svc")).body(dump).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    let res = dev.post(hub.url("/api/v1/uploads?kind=jstack&service=svc")).body(dump).send().await.unwrap();
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&wait), "Retry-After: {wait}");
    let (_, body) = error_of(res).await;
    assert!(body["message"].as_str().unwrap().starts_with("dev1 has requested 2 captures"), "{body}");
    // The server function says the same.
    let res = hub
        .call_json::<RequestCapture>(&dev, &json!({ "service": "svc", "instance": "x", "kind": "threads" }))
        .await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((3500..=3600).contains(&wait), "Retry-After: {wait}");

    // The login throttle's window is five minutes.
    let client = TestHub::client();
    for _ in 0..5 {
        assert_eq!(hub.login(&client, "dev1", "wrong password").await.status(), 401);
    }
    let res = hub.login(&client, "dev1", "dev1-password").await;
    assert_eq!(res.status(), 429);
    let wait: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((290..=300).contains(&wait), "Retry-After: {wait}");
    hub.stop().await;
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[tokio::test]
async fn an_upload_that_does_not_decode_is_refused_and_nothing_is_kept() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let dir = store.data_dir();
    let config = dir.join("svc.toml");
    std::fs::write(&config, "[[services]]\nname = \"svc\"\nteam = \"t\"\n").unwrap();
    let mut settings = common::settings(&store);
    settings.config = Some(config);
    let hub = TestHub::start_with(settings).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;

    // Gzip around bytes that are no protobuf profile: refused with the decoder's reason.
    let fake = gzip(&[0xff; 200]);
    let res = admin.post(hub.url("/api/v1/uploads?kind=pprof&service=svc")).body(fake).send().await.unwrap();
    let (status, body) = error_of(res).await;
    assert_eq!(status, 400, "{body}");
    assert!(body["message"].as_str().unwrap().contains("damaged at byte"), "{body}");
    let list = hub.get_json(&admin, "/api/v1/captures?service=svc").await;
    assert_eq!(list, json!([]), "nothing was stored");
    let artifacts = dir.join("artifacts");
    let kept = std::fs::read_dir(&artifacts).map(Iterator::count).unwrap_or(0);
    assert_eq!(kept, 0, "no artifact in {}", artifacts.display());
    hub.stop().await;
}
