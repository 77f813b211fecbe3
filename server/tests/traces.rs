//! Traces: OTLP/HTTP exports (protobuf and JSON, gzip) kept and read back as a tree with the
//! first failing service named; what is refused (no token, a viewer, a bound token for
//! another service, a truncated body, a wrong content type, an oversized body) stores
//! nothing; a search by service, status and duration; the Jaeger reader against a recorded
//! answer of Jaeger's query API (no Jaeger server installs here: the test serves the answer).
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{FleetHub, TestStore};
use otlp::Decoded;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use types::traces::{SpanStatus, SpanView};

fn now_us() -> i64 {
    i64::try_from(std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_micros())
        .unwrap()
}

fn span(
    trace: &str,
    id: &str,
    parent: Option<&str>,
    service: &str,
    start_us: i64,
    ms: i64,
    error: bool,
) -> Decoded {
    Decoded {
        trace_id: trace.into(),
        span: SpanView {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            service: service.into(),
            name: format!("{service} op"),
            start_us,
            duration_us: ms * 1000,
            status: if error { SpanStatus::Error } else { SpanStatus::Ok },
            status_message: error.then(|| "failed".to_string()),
            kind: "server".into(),
            attributes: BTreeMap::from([("customer.tier".to_string(), "pro".to_string())]),
            events: vec![],
        },
    }
}

/// A BFF that failed because quotes failed, with a healthy call to orders-api beside it.
fn bff_trace(trace: &str, t0: i64) -> Vec<Decoded> {
    vec![
        span(trace, "0000000000000001", None, "portfolio-bff", t0, 300, true),
        span(trace, "0000000000000002", Some("0000000000000001"), "orders-api", t0 + 1_000, 20, false),
        span(trace, "0000000000000003", Some("0000000000000001"), "quotes", t0 + 25_000, 250, true),
    ]
}

/// The trace ids a search finds, newest first.
async fn found(hub: &common::TestHub, viewer: &reqwest::Client, q: &str) -> Vec<String> {
    let list = hub.get_json(viewer, &format!("/api/v1/traces?{q}")).await;
    list.as_array().unwrap().iter().map(|s| s["trace_id"].as_str().unwrap().to_string()).collect()
}

async fn post(
    client: &reqwest::Client,
    url: &str,
    token: Option<&str>,
    ct: &str,
    body: Vec<u8>,
) -> reqwest::Response {
    let mut req = client.post(url).header("content-type", ct).body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

async fn exports_are_kept_read_as_trees_and_searched(store: &TestStore) {
    let mut settings = common::fleet_with(store, "");
    settings.demo = "0".into();
    let fh = FleetHub::start_with(settings).await;
    let hub = &fh.hub;
    let receiver = hub.url("/v1/traces");
    let res = fh
        .admin
        .post(hub.url("/api/v1/tokens"))
        .json(&json!({ "name": "quotes otel", "service": "orders-api" }))
        .send()
        .await
        .unwrap();
    let bound = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let res =
        fh.dev.post(hub.url("/api/v1/tokens")).json(&json!({ "name": "dev otel" })).send().await.unwrap();
    let dev = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let plain = reqwest::Client::new();
    let t0 = now_us();
    let trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    let body = otlp::encode::export(&bff_trace(trace, t0));

    // Refused, with a clear status, and nothing kept.
    assert_eq!(post(&plain, &receiver, None, "application/x-protobuf", body.clone()).await.status(), 401);
    let res = fh
        .viewer
        .post(&receiver)
        .header("content-type", "application/x-protobuf")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = post(&plain, &receiver, Some(&bound), "application/x-protobuf", body.clone()).await;
    assert_eq!(res.status(), 400, "a token bound to orders-api exports nothing of portfolio-bff");
    let why: Value = res.json().await.unwrap();
    assert!(why["message"].as_str().unwrap().contains("orders-api only"), "{why}");
    let res =
        post(&plain, &receiver, Some(&dev), "application/x-protobuf", body[..body.len() - 7].to_vec()).await;
    assert_eq!(res.status(), 400);
    let why: Value = res.json().await.unwrap();
    assert!(why["message"].as_str().unwrap().contains("truncated"), "{why}");
    assert_eq!(post(&plain, &receiver, Some(&dev), "text/plain", body.clone()).await.status(), 415);
    let huge = vec![0u8; 9 * 1024 * 1024];
    assert_eq!(post(&plain, &receiver, Some(&dev), "application/x-protobuf", huge).await.status(), 413);
    let res = fh.viewer.get(hub.url(&format!("/api/v1/traces/{trace}"))).send().await.unwrap();
    assert_eq!(res.status(), 404, "nothing was kept");

    // Protobuf, then the same spans again (an exporter's retry): kept once.
    for _ in 0..2 {
        let res = post(&plain, &receiver, Some(&dev), "application/x-protobuf", body.clone()).await;
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        assert_eq!(res.headers()["content-type"], "application/x-protobuf");
    }
    let t = hub.get_json(&fh.viewer, &format!("/api/v1/traces/{trace}")).await;
    assert_eq!(t["first_failing_service"], "quotes", "{t}");
    let spans = t["spans"].as_array().unwrap();
    assert_eq!(spans.len(), 3);
    assert_eq!((spans[0]["service"].as_str(), spans[0]["parent_id"].as_str()), (Some("portfolio-bff"), None));
    assert_eq!(spans[2]["parent_id"], "0000000000000001");
    assert_eq!(spans[2]["status"], "error");
    assert_eq!(spans[0]["duration_us"], 300_000);
    assert_eq!(spans[0]["attributes"]["customer.tier"], "pro");

    // JSON, gzipped, of a healthy trace.
    let ok_trace = "0af7651916cd43dd8448eb211c80319c";
    let json_body = json!({"resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "orders-api"}}]},
        "scopeSpans": [{"spans": [{"traceId": ok_trace, "spanId": "b7ad6b7169203331", "name": "GET /orders/{id}", "kind": 2,
            "startTimeUnixNano": format!("{}", (t0 + 5_000) * 1000), "endTimeUnixNano": format!("{}", (t0 + 9_000) * 1000),
            "status": {"code": 1}}]}]}]});
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut z, json_body.to_string().as_bytes()).unwrap();
    let res = plain
        .post(&receiver)
        .bearer_auth(&bound)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .body(z.finish().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(res.json::<Value>().await.unwrap(), json!({}));

    // Searched: by service, errors only, duration, attribute; newest first.
    assert_eq!(found(hub, &fh.viewer, "service=orders-api").await, [ok_trace, trace]);
    assert_eq!(found(hub, &fh.viewer, "service=orders-api&status=error").await, [trace]);
    assert_eq!(found(hub, &fh.viewer, "min_ms=100").await, [trace]);
    assert_eq!(found(hub, &fh.viewer, "attribute=customer.tier%3Dpro").await, [trace]);
    assert!(found(hub, &fh.viewer, "service=quotes&since=4102444800000").await.is_empty());
    let list = hub.get_json(&fh.viewer, "/api/v1/traces?service=quotes").await;
    let s = &list[0];
    assert_eq!(
        (s["root_service"].as_str(), s["spans"].as_i64(), s["errors"].as_i64()),
        (Some("portfolio-bff"), Some(3), Some(2)),
        "{s}"
    );
    let res = fh.viewer.get(hub.url("/api/v1/traces?status=bad")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    let res = fh.viewer.get(hub.url("/api/v1/traces/not-a-trace")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert_eq!(plain.get(hub.url(&format!("/api/v1/traces/{trace}"))).send().await.unwrap().status(), 401);
    fh.stop().await;
}

both_engines!(traces, exports_are_kept_read_as_trees_and_searched);

/// `[tracing] jaeger`: the trace page reads Jaeger's query API; here a server on 127.0.0.1
/// answers with a recorded `/api/traces/{id}` response (Jaeger itself cannot be installed).
#[tokio::test(flavor = "multi_thread")]
async fn traces_are_read_from_jaeger_when_the_config_names_one() {
    use axum::routing::get;
    let recorded = include_str!("fixtures/jaeger_trace.json");
    let app = axum::Router::new()
        .route(
            "/api/traces/{id}",
            get(move |axum::extract::Path(id): axum::extract::Path<String>| async move {
                if id == "4bf92f3577b34da6a3ce929d0e0e4736" {
                    ([("content-type", "application/json")], recorded).into_response()
                } else {
                    (
                        axum::http::StatusCode::NOT_FOUND,
                        r#"{"data":null,"errors":[{"code":404,"msg":"trace not found"}]}"#,
                    )
                        .into_response()
                }
            }),
        )
        .route("/api/traces", get(move || async move { ([("content-type", "application/json")], recorded) }));
    use axum::response::IntoResponse;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });

    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let extra = format!("\n[tracing]\njaeger = \"http://{addr}\"\nviewer_url = \"https://jaeger.example/trace/{{trace_id}}\"\n");
    let mut settings = common::fleet_with(&store, &extra);
    settings.demo = "0".into();
    let fh = FleetHub::start_with(settings).await;
    let t = fh.hub.get_json(&fh.viewer, "/api/v1/traces/4bf92f3577b34da6a3ce929d0e0e4736").await;
    assert_eq!(
        (t["source"].as_str(), t["first_failing_service"].as_str()),
        (Some("jaeger"), Some("quotes")),
        "{t}"
    );
    assert_eq!(t["viewer_url"], "https://jaeger.example/trace/4bf92f3577b34da6a3ce929d0e0e4736");
    let spans = t["spans"].as_array().unwrap();
    let services: Vec<&str> = spans.iter().map(|s| s["service"].as_str().unwrap()).collect();
    assert_eq!(services, ["portfolio-bff", "portfolio-bff", "portfolio-bff", "quotes"]);
    assert_eq!(spans[3]["status_message"], "price feed timed out");
    assert_eq!(spans[3]["events"][0]["name"], "exception");
    let res =
        fh.viewer.get(fh.hub.url("/api/v1/traces/00000000000000000000000000000001")).send().await.unwrap();
    assert_eq!(res.status(), 404);
    let list = fh.hub.get_json(&fh.viewer, "/api/v1/traces?service=portfolio-bff").await;
    assert_eq!(list[0]["errors"], 3, "{list}");
    let res = fh.viewer.get(fh.hub.url("/api/v1/traces")).send().await.unwrap();
    assert_eq!(res.status(), 400, "Jaeger searches need a service");
    fh.stop().await;
}

/// A real OpenTelemetry SDK that is not ours — Python's, with its OTLP/HTTP protobuf
/// exporter (installed by `cargo xtask test` in a venv) — exports a trace; the hub shows it
/// with the right tree and names the span where the error first occurred.
#[tokio::test(flavor = "multi_thread")]
async fn pythons_opentelemetry_sdk_exports_a_trace_the_hub_reads_as_a_tree() {
    let python = std::env::var("SWITCHBOARD_TEST_OTEL_PYTHON").ok().or_else(|| {
        let venv = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/otel-venv/bin/python");
        venv.exists().then(|| venv.display().to_string())
    });
    let Some(python) = python else {
        assert!(!common::in_ci(), "OpenTelemetry's Python SDK is missing (cargo xtask test installs it)");
        eprintln!("skipped: no Python venv with OpenTelemetry's SDK (cargo xtask test installs it)");
        return;
    };
    let store = TestStore::new(common::Engine::Sqlite).await.unwrap();
    let mut settings = common::fleet_with(&store, "");
    settings.demo = "0".into();
    let fh = FleetHub::start_with(settings).await;
    let res = fh
        .dev
        .post(fh.hub.url("/api/v1/tokens"))
        .json(&json!({ "name": "python sdk" }))
        .send()
        .await
        .unwrap();
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_string();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/otel_export.py");
    let out = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(fh.hub.url(""))
        .arg(&token)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "the SDK's export: {}", String::from_utf8_lossy(&out.stderr));
    let trace_id = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(trace_id.len(), 32, "{trace_id}");

    let t = fh.hub.get_json(&fh.viewer, &format!("/api/v1/traces/{trace_id}")).await;
    let spans = t["spans"].as_array().unwrap();
    let names: Vec<&str> = spans.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["POST /checkout", "load cart", "charge card"], "{t}");
    let root_id = spans[0]["span_id"].as_str().unwrap();
    assert!(spans[0]["parent_id"].is_null());
    assert!(spans[1..].iter().all(|s| s["parent_id"] == root_id), "{t}");
    assert_eq!(t["depths"], json!([0, 1, 1]));
    assert_eq!(t["first_failing_service"], "py-checkout");
    assert_eq!(t["first_failing_span"], spans[2]["span_id"]);
    let charge = &spans[2];
    assert_eq!(
        (charge["status"].as_str(), charge["status_message"].as_str()),
        (Some("error"), Some("acquirer timeout"))
    );
    assert_eq!(charge["attributes"]["card.network"], "visa");
    assert_eq!(charge["attributes"]["resource.service.version"], "3.1.0");
    assert_eq!(charge["events"][0]["name"], "exception");
    assert_eq!(spans[0]["kind"], "internal");
    fh.stop().await;
}
