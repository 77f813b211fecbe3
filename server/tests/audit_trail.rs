//! Every state-changing server function and /api/v1 endpoint leaves exactly one audit row,
//! whether it was done, refused or failed: checked call by call through `GET /api/v1/audit`.
//! A server function that nobody classified here fails the guard test below.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::alerts::{AckAlert, AlertChart, CreateSilence, EndSilence, GetAlert, ListAlerts, ListSilences};
use app::api::audit::ListAudit;
use app::api::auth::{CurrentUser, HubStatus, Login, Logout};
use app::api::captures::{
    CancelCapture, CaptureFlame, CaptureNeighbours, CaptureThreads, CaptureThreadsSeries, CaptureTop,
    GetCapture, ListCaptures, ProfileDiff, RequestCapture, ThreadsDiff,
};
use app::api::catalog::{
    GetService, InstanceNow, ListServices, Overview, ReloadConfig, RunningConfig, ServerNow,
};
use app::api::changes::ServiceChanges;
use app::api::checks::{
    CancelCheckRun, CheckRun, CheckRuns, CheckTrend, CheckVerifier, DefineCheck, DeleteCheck,
    DifferenceHistory, ListChecks, ReviewDifference, RunDifferences, SignOffRun, StartCheckRun,
};
use app::api::demo::{DemoFleet, DemoNotifications, DeployDemoService, InjectDemoFault};
use app::api::incidents::{AddIncidentNote, GetIncident, ListIncidents};
use app::api::lag::{ListLag, ReadModelCharts, ReadModelLag};
use app::api::metrics::{ExploreMetrics, Matrix, MetricFamilies, ServicePanels, ServiceRules};
use app::api::tokens::{CreateToken, ListTokens, RevokeToken, TokenServices};
use app::api::traces::{GetTrace, SearchTraces};
use app::api::users::{CreateUser, ListUsers, ResetUserPassword, SetUserDisabled, SetUserRole};
use common::{Engine, FleetHub, TestHub, TestStore};
use leptos::server_fn::ServerFn;
use reqwest::{Client, Response};
use serde_json::{json, Value};
use std::collections::BTreeSet;

const JSTACK: &str = include_str!("../../threaddump/fixtures/deadlock.jstack");

const CHECK: &str = r#"
[[checks]]
name = "orders"
source = { connection = "orders-source", table = "orders" }
target = { connection = "orders-read", table = "orders_view" }
key = ["id"]
"#;

/// What one call must have left in the log.
struct Row<'a> {
    actor: &'a str,
    action: &'a str,
    outcome: &'a str,
    /// A part of the target.
    target: &'a str,
}

/// Reads the rows that each call adds, as an admin.
struct Trail<'a> {
    hub: &'a TestHub,
    admin: &'a Client,
    last: i64,
}

impl<'a> Trail<'a> {
    async fn new(hub: &'a TestHub, admin: &'a Client) -> Trail<'a> {
        let mut trail = Trail { hub, admin, last: 0 };
        trail.last = trail.newer().await.first().map_or(0, |e| e["id"].as_i64().unwrap());
        trail
    }

    /// Rows after the last one seen, newest first.
    async fn newer(&self) -> Vec<Value> {
        let page = self.hub.get_json(self.admin, "/api/v1/audit?limit=1000").await;
        page.as_array().unwrap().iter().filter(|e| e["id"].as_i64().unwrap() > self.last).cloned().collect()
    }

    /// The call answered `status` and left exactly `row`.
    async fn check(&mut self, what: &str, res: Response, status: u16, row: Row<'_>) -> Value {
        let got = res.status().as_u16();
        let body = res.text().await.unwrap();
        assert_eq!(got, status, "{what}: {body}");
        let rows = self.newer().await;
        assert_eq!(rows.len(), 1, "{what} left one audit row: {rows:?}");
        let e = &rows[0];
        assert_eq!(
            (e["actor"].as_str(), e["action"].as_str(), e["outcome"].as_str()),
            (Some(row.actor), Some(row.action), Some(row.outcome)),
            "{what}: {e}"
        );
        assert!(e["target"].as_str().unwrap().contains(row.target), "{what}: {e}");
        assert!(e["ts_ms"].as_i64().unwrap() > 0 && e["source"] == "127.0.0.1", "{what}: {e}");
        self.last = e["id"].as_i64().unwrap();
        serde_json::from_str(&body).unwrap_or(Value::Null)
    }
}

fn row<'a>(actor: &'a str, action: &'a str, outcome: &'a str, target: &'a str) -> Row<'a> {
    Row { actor, action, outcome, target }
}

#[tokio::test]
async fn every_state_changing_call_leaves_one_audit_row_done_or_refused() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, dev, viewer } = FleetHub::start_with(common::fleet_with(&store, CHECK)).await;
    let mut t = Trail::new(&hub, &admin).await;

    // Users: admins only.
    let new_user = [("username", "alice"), ("password", "alice-password"), ("role", "developer")];
    let res = hub.call::<CreateUser>(&viewer, &new_user).await;
    t.check("create_user (viewer)", res, 403, row("view1", "user.create", "denied", "alice")).await;
    let res = hub.call::<CreateUser>(&admin, &new_user).await;
    let alice =
        t.check("create_user", res, 200, row("admin", "user.create", "ok", "alice as developer")).await;
    let res = hub.call::<CreateUser>(&admin, &new_user).await;
    t.check("create_user (exists)", res, 409, row("admin", "user.create", "failed", "alice")).await;
    let id = alice["id"].as_i64().unwrap().to_string();
    let res = hub.call::<SetUserRole>(&viewer, &[("user_id", &id), ("role", "admin")]).await;
    t.check("set_user_role (viewer)", res, 403, row("view1", "user.role", "denied", &format!("#{id}"))).await;
    let res = hub.call::<SetUserRole>(&admin, &[("user_id", &id), ("role", "lead")]).await;
    t.check("set_user_role", res, 200, row("admin", "user.role", "ok", "alice to lead")).await;
    let res = hub.call::<SetUserDisabled>(&viewer, &[("user_id", &id), ("disabled", "true")]).await;
    t.check("set_user_disabled (viewer)", res, 403, row("view1", "user.disable", "denied", "#")).await;
    let res = hub.call::<SetUserDisabled>(&admin, &[("user_id", &id), ("disabled", "true")]).await;
    t.check("set_user_disabled", res, 200, row("admin", "user.disable", "ok", "alice")).await;
    let res =
        hub.call::<ResetUserPassword>(&viewer, &[("user_id", &id), ("password", "taken-over-pw")]).await;
    t.check("reset_user_password (viewer)", res, 403, row("view1", "user.password", "denied", "#")).await;
    let res =
        hub.call::<ResetUserPassword>(&admin, &[("user_id", &id), ("password", "a-new-password")]).await;
    t.check("reset_user_password", res, 200, row("admin", "user.password", "ok", "alice")).await;

    // Tokens: anyone logged in, for themselves.
    let res = hub.call::<CreateToken>(&viewer, &[("name", "")]).await;
    t.check("create_token (no name)", res, 400, row("view1", "token.create", "failed", "")).await;
    let res = hub.call::<CreateToken>(&viewer, &[("name", "ci")]).await;
    let token = t.check("create_token", res, 200, row("view1", "token.create", "ok", "ci (sbt_")).await;
    let token_id = token["token"]["id"].as_i64().unwrap().to_string();
    // Bound to a service: admins only, and only to a service the config has.
    let bound = [("name", "orders push"), ("service", "orders-api")];
    let res = hub.call::<CreateToken>(&dev, &bound).await;
    t.check(
        "create_token (bound, developer)",
        res,
        403,
        row("dev1", "token.create", "denied", "orders push"),
    )
    .await;
    let res = hub.call::<CreateToken>(&admin, &bound).await;
    let made =
        t.check("create_token (bound)", res, 200, row("admin", "token.create", "ok", "orders push")).await;
    assert_eq!(made["token"]["service"], "orders-api");
    let res = hub.call::<CreateToken>(&admin, &[("name", "nowhere"), ("service", "billing")]).await;
    assert_eq!(res.status(), 400, "a service the config does not have");
    let res = hub.call::<RevokeToken>(&dev, &[("token_id", &token_id)]).await;
    t.check("revoke_token (not theirs)", res, 404, row("dev1", "token.revoke", "failed", "#")).await;
    let res = hub.call::<RevokeToken>(&viewer, &[("token_id", &token_id)]).await;
    t.check("revoke_token", res, 200, row("view1", "token.revoke", "ok", &format!("#{token_id}"))).await;

    // Config and demo: admins only.
    let res = hub.call::<ReloadConfig>(&viewer, &[]).await;
    t.check("reload_config (viewer)", res, 403, row("view1", "config.reload", "denied", "fleet-with.toml"))
        .await;
    let res = hub.call::<ReloadConfig>(&admin, &[]).await;
    t.check("reload_config", res, 200, row("admin", "config.reload", "ok", "fleet-with.toml")).await;
    let clear = json!({ "instance": "orders-api-1", "fault": { "fault": "clear" } });
    let res = hub.call_json::<InjectDemoFault>(&viewer, &clear).await;
    t.check("inject_demo_fault (viewer)", res, 403, row("view1", "demo.fault", "denied", "orders-api-1"))
        .await;
    let res = hub.call_json::<InjectDemoFault>(&admin, &clear).await;
    t.check("inject_demo_fault", res, 200, row("admin", "demo.fault", "ok", "orders-api-1: clear faults"))
        .await;
    let deploy = [("service", "order-writer"), ("version", "1.0.1")];
    let res = hub.call::<DeployDemoService>(&viewer, &deploy).await;
    t.check(
        "deploy_demo_service (viewer)",
        res,
        403,
        row("view1", "demo.deploy", "denied", "order-writer 1.0.1"),
    )
    .await;
    let res = hub.call::<DeployDemoService>(&admin, &deploy).await;
    t.check("deploy_demo_service", res, 200, row("admin", "demo.deploy", "ok", "order-writer 1.0.1")).await;
    let changes = hub.get_json(&viewer, "/api/v1/changes?service=order-writer").await;
    assert_eq!(
        (changes[0]["kind"].as_str(), changes[0]["version"].as_str()),
        (Some("deploy"), Some("1.0.1")),
        "{changes}"
    );
    let fleet: Value = hub.call::<DemoFleet>(&admin, &[]).await.json().await.unwrap();
    let writer =
        fleet.as_array().unwrap().iter().find(|i| i["name"] == "order-writer-1").cloned().unwrap_or_default();
    assert_eq!(
        (writer["version"].as_str(), writer["running"].as_bool()),
        (Some("1.0.1"), Some(true)),
        "{fleet}"
    );
    let clear = json!({ "instance": "projector-1", "fault": "clear" });
    let res = viewer.post(hub.url("/api/v1/demo/faults")).json(&clear).send().await.unwrap();
    t.check(
        "POST /api/v1/demo/faults (viewer)",
        res,
        403,
        row("view1", "demo.fault", "denied", "projector-1"),
    )
    .await;
    let res = admin.post(hub.url("/api/v1/demo/faults")).json(&clear).send().await.unwrap();
    t.check(
        "POST /api/v1/demo/faults",
        res,
        204,
        row("admin", "demo.fault", "ok", "projector-1: clear faults"),
    )
    .await;

    // Captures: developers and up, through the UI, the API and the upload form.
    let threads = json!({ "service": "orders-api", "instance": "orders-api-1", "kind": "threads" });
    let res = hub.call_json::<RequestCapture>(&viewer, &threads).await;
    t.check(
        "request_capture (viewer)",
        res,
        403,
        row("view1", "capture.request", "denied", "orders-api/orders-api-1 threads"),
    )
    .await;
    let res = hub.call_json::<RequestCapture>(&dev, &threads).await;
    let id = t
        .check(
            "request_capture",
            res,
            200,
            row("dev1", "capture.request", "ok", "orders-api/orders-api-1 threads"),
        )
        .await;
    hub.capture_finished(&dev, id.as_i64().unwrap()).await;
    let cpu = json!({ "service": "orders-api", "instance": "orders-api-2", "kind": "cpu", "seconds": 60 });
    let res = dev.post(hub.url("/api/v1/captures")).json(&cpu).send().await.unwrap();
    let cpu_id = t
        .check("POST /api/v1/captures", res, 200, row("dev1", "capture.request", "ok", "orders-api-2 cpu"))
        .await["id"]
        .as_i64()
        .unwrap();
    let res = viewer.post(hub.url("/api/v1/captures")).json(&cpu).send().await.unwrap();
    t.check(
        "POST /api/v1/captures (viewer)",
        res,
        403,
        row("view1", "capture.request", "denied", "orders-api-2 cpu"),
    )
    .await;
    let res = dev.post(hub.url("/api/v1/captures")).json(&cpu).send().await.unwrap();
    t.check(
        "POST /api/v1/captures (busy)",
        res,
        409,
        row("dev1", "capture.request", "failed", "orders-api-2 cpu"),
    )
    .await;
    let res = hub.call_json::<CancelCapture>(&viewer, &json!({ "id": cpu_id })).await;
    t.check(
        "cancel_capture (viewer)",
        res,
        403,
        row("view1", "capture.cancel", "denied", &format!("#{cpu_id}")),
    )
    .await;
    let res = hub.call_json::<CancelCapture>(&dev, &json!({ "id": cpu_id })).await;
    t.check("cancel_capture", res, 200, row("dev1", "capture.cancel", "ok", &format!("#{cpu_id}"))).await;
    let cancel = format!("/api/v1/captures/{cpu_id}/cancel");
    let res = dev.post(hub.url(&cancel)).send().await.unwrap();
    t.check(
        "POST …/cancel (ended)",
        res,
        409,
        row("dev1", "capture.cancel", "failed", &format!("#{cpu_id}")),
    )
    .await;
    let res = viewer.post(hub.url(&cancel)).send().await.unwrap();
    t.check(
        "POST …/cancel (viewer)",
        res,
        403,
        row("view1", "capture.cancel", "denied", &format!("#{cpu_id}")),
    )
    .await;
    let upload = "/api/v1/uploads?kind=jstack&service=orders-api";
    let res = viewer.post(hub.url(upload)).body(JSTACK).send().await.unwrap();
    t.check(
        "POST /api/v1/uploads (viewer)",
        res,
        403,
        row("view1", "capture.upload", "denied", "orders-api upload jstack"),
    )
    .await;
    let res = dev.post(hub.url(upload)).body(JSTACK).send().await.unwrap();
    t.check("POST /api/v1/uploads", res, 200, row("dev1", "capture.upload", "ok", "upload jstack")).await;
    let res = dev.post(hub.url(upload)).body("not a dump").send().await.unwrap();
    t.check("POST /api/v1/uploads (bad)", res, 400, row("dev1", "capture.upload", "failed", "upload jstack"))
        .await;
    let form = |who: &Client| {
        let (content_type, body) = common::upload_form("orders-api", "jstack", JSTACK.as_bytes());
        who.post(hub.url("/captures/upload")).header("content-type", content_type).body(body).send()
    };
    let res = form(&viewer).await.unwrap();
    t.check(
        "POST /captures/upload (viewer)",
        res,
        200,
        row("view1", "capture.upload", "denied", "upload jstack"),
    )
    .await;
    let res = form(&dev).await.unwrap();
    t.check("POST /captures/upload", res, 200, row("dev1", "capture.upload", "ok", "upload jstack")).await;

    // Consistency checks: developers run and cancel, leads review and sign off.
    let orders = [("name", "orders"), ("mode", "residual")];
    let res = hub.call::<StartCheckRun>(&viewer, &orders).await;
    t.check("start_check_run (viewer)", res, 403, row("view1", "check.run", "denied", "orders residual"))
        .await;
    let res = hub.call::<StartCheckRun>(&dev, &orders).await;
    let run = t.check("start_check_run", res, 200, row("dev1", "check.run", "ok", "orders residual #")).await;
    let run = run.as_i64().unwrap();
    let url = format!("/api/v1/checks/orders/runs/{run}");
    while !["done", "failed"].contains(&hub.get_json(&dev, &url).await["state"].as_str().unwrap()) {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let run_id = run.to_string();
    let this = [("name", "orders"), ("id", run_id.as_str())];
    let res = hub.call::<CancelCheckRun>(&viewer, &this).await;
    t.check("cancel_check_run (viewer)", res, 403, row("view1", "check.cancel", "denied", "orders #")).await;
    let res = hub.call::<CancelCheckRun>(&dev, &this).await;
    t.check("cancel_check_run (ended)", res, 409, row("dev1", "check.cancel", "failed", "orders #")).await;
    let res = hub.call::<SignOffRun>(&dev, &this).await;
    t.check("sign_off_run (developer)", res, 403, row("dev1", "check.signoff", "denied", "orders #")).await;
    let res = hub.call::<SignOffRun>(&admin, &this).await;
    t.check("sign_off_run", res, 200, row("admin", "check.signoff", "ok", "orders #")).await;
    let ack = [("id", "999999"), ("action", "acknowledge")];
    let res = hub.call::<ReviewDifference>(&dev, &ack).await;
    t.check("review_difference (developer)", res, 403, row("dev1", "check.review", "denied", "#999999"))
        .await;
    let res = hub.call::<ReviewDifference>(&admin, &ack).await;
    t.check("review_difference (unknown)", res, 404, row("admin", "check.review", "failed", "#999999")).await;
    let res = viewer.post(hub.url("/api/v1/checks/orders/runs")).json(&json!({})).send().await.unwrap();
    t.check("POST /api/v1/checks/…/runs (viewer)", res, 403, row("view1", "check.run", "denied", "orders"))
        .await;
    let res = dev.post(hub.url("/api/v1/checks/orders/runs")).json(&json!({})).send().await.unwrap();
    let second =
        t.check("POST /api/v1/checks/…/runs", res, 200, row("dev1", "check.run", "ok", "orders")).await;
    let cancel = format!("/api/v1/checks/orders/runs/{}/cancel", second["id"]);
    let res = dev.post(hub.url(&cancel)).send().await.unwrap();
    let status = res.status().as_u16();
    // Cancelled while queued or running (204), or it ended first (409): one row either way.
    let outcome = if status == 204 { "ok" } else { "failed" };
    t.check("POST …/runs/{id}/cancel", res, status, row("dev1", "check.cancel", outcome, "orders #")).await;
    let res = admin.post(hub.url(&format!("/api/v1/checks/orders/runs/{run}/signoff"))).send().await.unwrap();
    t.check("POST …/signoff", res, 200, row("admin", "check.signoff", "ok", "orders #")).await;
    let res = viewer
        .post(hub.url("/api/v1/differences/999999/resolve"))
        .json(&json!({ "reason": "fixed" }))
        .send()
        .await
        .unwrap();
    t.check(
        "POST /api/v1/differences/{id}/resolve (viewer)",
        res,
        403,
        row("view1", "check.review", "denied", "#999999"),
    )
    .await;

    let toml =
        "[[checks]]\nname = \"more\"\nsource = { connection = \"orders-source\", table = \"orders\" }\n\
                target = { connection = \"orders-read\", table = \"orders_view\" }\nkey = [\"id\"]\n";
    let res = hub.call::<DefineCheck>(&dev, &[("toml", toml)]).await;
    t.check("define_check (developer)", res, 403, row("dev1", "check.define", "denied", "a new check")).await;
    let res = hub.call::<DefineCheck>(&admin, &[("toml", toml)]).await;
    t.check("define_check", res, 200, row("admin", "check.define", "ok", "more")).await;
    let res = hub.call::<DeleteCheck>(&dev, &[("name", "more")]).await;
    t.check("delete_check (developer)", res, 403, row("dev1", "check.delete", "denied", "more")).await;
    let res = hub.call::<DeleteCheck>(&admin, &[("name", "more")]).await;
    t.check("delete_check", res, 200, row("admin", "check.delete", "ok", "more")).await;
    let res =
        admin.post(hub.url("/api/v1/checks")).json(&json!({ "toml": "nonsense" })).send().await.unwrap();
    t.check("POST /api/v1/checks (bad)", res, 400, row("admin", "check.define", "failed", "a new check"))
        .await;

    // Alerts and silences: developers and up.
    let silence = json!({ "matchers": { "alertname": "nothing-yet" }, "ends_ms": 4_102_444_800_000_i64, "comment": "test" });
    let res = viewer.post(hub.url("/api/v1/silences")).json(&silence).send().await.unwrap();
    t.check(
        "POST /api/v1/silences (viewer)",
        res,
        403,
        row("view1", "silence.create", "denied", "alertname=nothing-yet"),
    )
    .await;
    let res = dev.post(hub.url("/api/v1/silences")).json(&silence).send().await.unwrap();
    let created = t
        .check(
            "POST /api/v1/silences",
            res,
            201,
            row("dev1", "silence.create", "ok", "alertname=nothing-yet"),
        )
        .await;
    let id = created["id"].as_i64().unwrap();
    let res = viewer.delete(hub.url(&format!("/api/v1/silences/{id}"))).send().await.unwrap();
    t.check(
        "DELETE /api/v1/silences (viewer)",
        res,
        403,
        row("view1", "silence.delete", "denied", &format!("#{id}")),
    )
    .await;
    let res = dev.delete(hub.url(&format!("/api/v1/silences/{id}"))).send().await.unwrap();
    t.check("DELETE /api/v1/silences", res, 204, row("dev1", "silence.delete", "ok", &format!("#{id}")))
        .await;
    let res = viewer.post(hub.url("/api/v1/alerts/999/ack")).send().await.unwrap();
    t.check("POST /api/v1/alerts/ack (viewer)", res, 403, row("view1", "alert.ack", "denied", "#999")).await;
    let res = dev.post(hub.url("/api/v1/alerts/999/ack")).send().await.unwrap();
    t.check("POST /api/v1/alerts/ack (none)", res, 404, row("dev1", "alert.ack", "failed", "#999")).await;

    // Incidents: notes and status by developers and up.
    let note = [("id", "998"), ("body", "looking"), ("status", "")];
    let res = hub.call::<AddIncidentNote>(&viewer, &note).await;
    t.check("add_incident_note (viewer)", res, 403, row("view1", "incident.note", "denied", "#998")).await;
    let res = hub.call::<AddIncidentNote>(&dev, &note).await;
    t.check("add_incident_note (none)", res, 404, row("dev1", "incident.note", "failed", "#998")).await;
    let res = dev
        .post(hub.url("/api/v1/incidents/998/notes"))
        .json(&json!({ "body": "x", "status": "mitigated" }))
        .send()
        .await
        .unwrap();
    t.check(
        "POST /api/v1/incidents/notes (none)",
        res,
        404,
        row("dev1", "incident.status", "failed", "#998 mitigated"),
    )
    .await;

    // Changes: developers and up (or a token bound to the service).
    let change = json!({ "service": "orders-api", "kind": "deploy", "version": "9.9.9" });
    let res = viewer.post(hub.url("/api/v1/changes")).json(&change).send().await.unwrap();
    t.check(
        "POST /api/v1/changes (viewer)",
        res,
        403,
        row("view1", "change.record", "denied", "orders-api deploy"),
    )
    .await;
    let res = dev.post(hub.url("/api/v1/changes")).json(&change).send().await.unwrap();
    t.check("POST /api/v1/changes", res, 201, row("dev1", "change.record", "ok", "orders-api deploy")).await;

    let form = [("matchers", "alertname=from-the-ui"), ("hours", "1"), ("comment", "ui")];
    let res = hub.call::<CreateSilence>(&viewer, &form).await;
    t.check(
        "create_silence (viewer)",
        res,
        403,
        row("view1", "silence.create", "denied", "alertname=from-the-ui"),
    )
    .await;
    let res = hub.call::<CreateSilence>(&dev, &form).await;
    let created = t
        .check("create_silence", res, 200, row("dev1", "silence.create", "ok", "alertname=from-the-ui"))
        .await;
    let id = created["id"].as_i64().unwrap().to_string();
    let res = hub.call::<EndSilence>(&viewer, &[("id", id.as_str())]).await;
    t.check("end_silence (viewer)", res, 403, row("view1", "silence.delete", "denied", &format!("#{id}")))
        .await;
    let res = hub.call::<EndSilence>(&dev, &[("id", id.as_str())]).await;
    t.check("end_silence", res, 200, row("dev1", "silence.delete", "ok", &format!("#{id}"))).await;
    let res = hub.call::<AckAlert>(&viewer, &[("id", "998")]).await;
    t.check("ack_alert (viewer)", res, 403, row("view1", "alert.ack", "denied", "#998")).await;
    let res = hub.call::<AckAlert>(&dev, &[("id", "998")]).await;
    t.check("ack_alert (none)", res, 404, row("dev1", "alert.ack", "failed", "#998")).await;

    // Logging in and out, through the UI and the API.
    let browser = TestHub::client();
    let res = hub.call::<Login>(&browser, &[("username", "dev1"), ("password", "wrong-password")]).await;
    t.check("login (wrong)", res, 401, row("dev1", "login", "failed", "dev1")).await;
    let res = hub.call::<Login>(&browser, &[("username", "dev1"), ("password", "dev1-password")]).await;
    t.check("login", res, 200, row("dev1", "login", "ok", "dev1")).await;
    let res = hub.call::<Logout>(&browser, &[]).await;
    t.check("logout", res, 200, row("dev1", "logout", "ok", "dev1")).await;
    let res = hub.login(&browser, "view1", "wrong-password").await;
    t.check("POST /api/v1/login (wrong)", res, 401, row("view1", "login", "failed", "view1")).await;
    let res = hub.login(&browser, "view1", "view1-password").await;
    t.check("POST /api/v1/login", res, 200, row("view1", "login", "ok", "view1")).await;
    let res = browser.post(hub.url("/api/v1/logout")).send().await.unwrap();
    t.check("POST /api/v1/logout", res, 204, row("view1", "logout", "ok", "view1")).await;
    hub.stop().await;
}

/// The server functions that change nothing; every other one must be walked above.
fn read_only() -> BTreeSet<&'static str> {
    [
        ListAudit::PATH,
        ListAlerts::PATH,
        GetAlert::PATH,
        AlertChart::PATH,
        ServiceChanges::PATH,
        GetTrace::PATH,
        ListIncidents::PATH,
        GetIncident::PATH,
        SearchTraces::PATH,
        DemoNotifications::PATH,
        ListSilences::PATH,
        CurrentUser::PATH,
        HubStatus::PATH,
        ListCaptures::PATH,
        GetCapture::PATH,
        CaptureTop::PATH,
        CaptureFlame::PATH,
        CaptureNeighbours::PATH,
        ProfileDiff::PATH,
        CaptureThreads::PATH,
        CaptureThreadsSeries::PATH,
        ThreadsDiff::PATH,
        ListServices::PATH,
        GetService::PATH,
        ServerNow::PATH,
        Overview::PATH,
        InstanceNow::PATH,
        RunningConfig::PATH,
        DemoFleet::PATH,
        Matrix::PATH,
        ServiceRules::PATH,
        MetricFamilies::PATH,
        ServicePanels::PATH,
        ExploreMetrics::PATH,
        ListTokens::PATH,
        TokenServices::PATH,
        ListUsers::PATH,
        ListLag::PATH,
        ReadModelLag::PATH,
        ReadModelCharts::PATH,
        ListChecks::PATH,
        CheckRuns::PATH,
        CheckTrend::PATH,
        CheckRun::PATH,
        CheckVerifier::PATH,
        RunDifferences::PATH,
        DifferenceHistory::PATH,
    ]
    .into()
}

/// The state-changing server functions the trail test walks.
fn walked() -> BTreeSet<&'static str> {
    [
        CreateUser::PATH,
        SetUserRole::PATH,
        SetUserDisabled::PATH,
        ResetUserPassword::PATH,
        CreateToken::PATH,
        RevokeToken::PATH,
        ReloadConfig::PATH,
        InjectDemoFault::PATH,
        DeployDemoService::PATH,
        StartCheckRun::PATH,
        CancelCheckRun::PATH,
        SignOffRun::PATH,
        ReviewDifference::PATH,
        DefineCheck::PATH,
        AckAlert::PATH,
        CreateSilence::PATH,
        EndSilence::PATH,
        AddIncidentNote::PATH,
        DeleteCheck::PATH,
        RequestCapture::PATH,
        CancelCapture::PATH,
        Login::PATH,
        Logout::PATH,
    ]
    .into()
}

#[test]
fn every_server_function_is_either_read_only_or_walked_by_the_trail_test() {
    let registered: BTreeSet<&str> =
        leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path).collect();
    let known: BTreeSet<&str> = read_only().union(&walked()).copied().collect();
    let unclassified: Vec<&&str> = registered.difference(&known).collect();
    assert!(
        unclassified.is_empty(),
        "classify these server functions (and audit them if they change state): {unclassified:?}"
    );
    assert!(registered.len() >= known.len(), "registered {registered:?}");
}

/// `GET /api/v1/audit`: leads and admins, filtered, newest first, paged, or as CSV.
async fn the_audit_log_is_exported_as_json_pages_or_csv(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let admin = hub.session("admin", common::ADMIN_PASSWORD).await;
    let lead = hub.user_session(&admin, "lead1", "lead").await;
    let dev = hub.user_session(&admin, "dev1", "developer").await;
    for name in ["a", "b", "c"] {
        assert_eq!(hub.call::<CreateToken>(&dev, &[("name", name)]).await.status(), 200);
    }
    assert_eq!(dev.get(hub.url("/api/v1/audit")).send().await.unwrap().status(), 403);
    assert_eq!(TestHub::client().get(hub.url("/api/v1/audit")).send().await.unwrap().status(), 401);

    let res = lead.get(hub.url("/api/v1/audit?action=token.create&actor=dev1&limit=2")).send().await.unwrap();
    let next = res.headers()["link"].to_str().unwrap().to_string();
    let page: Value = res.json().await.unwrap();
    let targets: Vec<&str> = page.as_array().unwrap().iter().map(|e| e["target"].as_str().unwrap()).collect();
    assert!(targets[0].starts_with("c (") && targets[1].starts_with("b ("), "newest first: {page}");
    for field in ["ts_ms", "actor", "action", "target", "outcome", "source"] {
        assert!(page[0].get(field).is_some(), "{field} in {page}");
    }
    let url = next.trim_start_matches('<').split('>').next().unwrap();
    let rest = hub.get_json(&lead, url).await;
    assert_eq!(rest.as_array().unwrap().len(), 1, "{rest}");
    assert!(rest[0]["target"].as_str().unwrap().starts_with("a ("), "{rest}");

    let logins = hub.get_json(&lead, "/api/v1/audit?action=login&outcome=ok&since=1h").await;
    assert!(logins.as_array().unwrap().iter().all(|e| e["action"] == "login" && e["outcome"] == "ok"));
    assert_eq!(logins.as_array().unwrap().len(), 3, "admin, lead1, dev1: {logins}");
    let future = hub.get_json(&lead, "/api/v1/audit?since=2100-01-01T00:00:00Z").await;
    assert_eq!(future, json!([]));
    let res = lead.get(hub.url("/api/v1/audit?since=yesterday")).send().await.unwrap();
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("since"));

    let res =
        lead.get(hub.url("/api/v1/audit?actor=dev1")).header("accept", "text/csv").send().await.unwrap();
    assert_eq!(res.headers()["content-type"], "text/csv; charset=utf-8");
    let csv = res.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "ts_ms,time_utc,actor,action,target,outcome,source");
    assert_eq!(lines.len(), 1 + 4, "three tokens and a login: {csv}");
    assert!(lines[1].contains("\"dev1\",\"token.create\",\"c ("), "{csv}");
    hub.stop().await;
}
both_engines!(the_audit_log_is_exported_as_json_pages_or_csv, the_audit_log_is_exported_as_json_pages_or_csv);
