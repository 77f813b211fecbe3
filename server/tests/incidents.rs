//! Incidents: an alert that fires opens one; its page reads the changes to every service
//! involved (the alert's, and those its example traces went through), the first failing
//! service counted over those traces, where to take a thread dump, and a timeline; notes and
//! a status by developers and up, refused to viewers, audited either way.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{now_ms, FleetHub, TestStore, EVENTS_RULE};
use otlp::Decoded;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use types::traces::{SpanStatus, SpanView};

fn span(trace: &str, id: &str, parent: Option<&str>, service: &str, start_us: i64, error: bool) -> Decoded {
    Decoded {
        trace_id: trace.into(),
        span: SpanView {
            span_id: id.into(),
            parent_id: parent.map(Into::into),
            service: service.into(),
            name: format!("{service} call"),
            start_us,
            duration_us: 10_000,
            status: if error { SpanStatus::Error } else { SpanStatus::Ok },
            status_message: None,
            kind: "server".into(),
            attributes: BTreeMap::new(),
            events: vec![],
        },
    }
}

async fn an_alert_opens_an_incident_that_holds_the_evidence(store: &TestStore) {
    let mut settings = common::fleet_with(store, EVENTS_RULE);
    settings.demo = "0".into();
    let fh = FleetHub::start_with(settings).await;
    let hub = &fh.hub;

    // A deploy of the projector two minutes ago, and of a service nobody calls.
    let two_min_ago = now_ms() - 120_000;
    for (service, version) in [("projector", "7.2.0"), ("order-writer", "1.0.1")] {
        let change = json!({ "service": service, "kind": "deploy", "version": version, "ts_ms": two_min_ago, "author": "ci" });
        assert_eq!(fh.dev.post(hub.url("/api/v1/changes")).json(&change).send().await.unwrap().status(), 201);
    }
    // Four failing requests of orders-api; three of them failed first in the projector.
    let ids: Vec<String> = (1..=4).map(|i| format!("{i:032x}")).collect();
    let t0 = now_ms() * 1000;
    let mut spans = Vec::new();
    for (n, trace) in ids.iter().enumerate() {
        spans.push(span(trace, "00000000000000a1", None, "orders-api", t0, true));
        let culprit_failed = n < 3;
        spans.push(span(
            trace,
            "00000000000000b2",
            Some("00000000000000a1"),
            "projector",
            t0 + 100,
            culprit_failed,
        ));
    }
    let res = fh
        .dev
        .post(hub.url("/v1/traces"))
        .header("content-type", "application/x-protobuf")
        .body(otlp::encode::export(&spans))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let events: Vec<Value> = ids
        .iter()
        .map(|t| json!({ "service": "orders-api", "ts_ms": now_ms(), "outcome": "error", "trace_id": t }))
        .collect();
    let res = fh.dev.post(hub.url("/api/v1/events")).json(&events).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());

    let list = hub.get_json(&fh.viewer, "/api/v1/incidents").await;
    let id = list[0]["id"].as_i64().unwrap_or_else(|| panic!("the firing alert opened an incident: {list}"));
    assert_eq!(
        (list[0]["status"].as_str(), list[0]["service"].as_str()),
        (Some("investigating"), Some("orders-api"))
    );
    let i = hub.get_json(&fh.viewer, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(i["first_failing"][0], json!({ "service": "projector", "traces": 3 }), "{i}");
    assert_eq!(i["first_failing"][1], json!({ "service": "orders-api", "traces": 1 }), "{i}");
    assert_eq!(i["traces_read"], 4);
    assert_eq!(i["involved"], json!(["orders-api", "projector"]));
    let changed: Vec<&str> =
        i["changes"].as_array().unwrap().iter().map(|c| c["service"].as_str().unwrap()).collect();
    assert_eq!(changed, ["projector"], "the projector's deploy, not the writer's: {i}");
    assert_eq!(i["capture_target"], json!(["projector", "projector-1"]));
    let kinds: Vec<&str> =
        i["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..3], ["change", "onset", "fired"], "{i}");
    assert_eq!(i["alert"]["rule"], "orders-api-event-errors");
    // The alert's own page lists the callees' changes too (the services of its traces).
    let detail = hub.get_json(&fh.viewer, &format!("/api/v1/alerts/{id}")).await;
    let changed: Vec<&str> =
        detail["changes"].as_array().unwrap().iter().map(|c| c["service"].as_str().unwrap()).collect();
    assert_eq!(changed, ["projector"], "{detail}");

    // Notes and a status: developers and up, audited.
    let notes = hub.url(&format!("/api/v1/incidents/{id}/notes"));
    let res = fh.viewer.post(&notes).json(&json!({ "body": "looking" })).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let res = fh.dev.post(&notes).json(&json!({ "body": "  " })).send().await.unwrap();
    assert_eq!(res.status(), 400, "an empty note");
    let res =
        fh.dev.post(&notes).json(&json!({ "body": "rolled back", "status": "fixed" })).send().await.unwrap();
    assert_eq!(res.status(), 400, "no such status");
    let res = fh
        .dev
        .post(&notes)
        .json(&json!({ "body": "the projector's deploy; rolled it back", "status": "mitigated" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let res = fh
        .dev
        .post(hub.url("/api/v1/incidents/99999/notes"))
        .json(&json!({ "body": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    let i = hub.get_json(&fh.viewer, &format!("/api/v1/incidents/{id}")).await;
    assert_eq!(i["status"], "mitigated");
    assert_eq!(i["notes"][0]["author"], "dev1");
    assert!(i["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "status"), "{i}");
    let audit = hub.get_json(&fh.admin, "/api/v1/audit?limit=50").await;
    let rows: Vec<(String, String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"].as_str().unwrap().starts_with("incident."))
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
                e["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert!(rows.contains(&("view1".into(), "incident.note".into(), "denied".into())), "{rows:?}");
    assert!(rows.contains(&("dev1".into(), "incident.status".into(), "ok".into())), "{rows:?}");
    assert_eq!(fh.viewer.get(hub.url("/api/v1/incidents/99999")).send().await.unwrap().status(), 404);
    fh.stop().await;
}

both_engines!(incidents, an_alert_opens_an_incident_that_holds_the_evidence);
