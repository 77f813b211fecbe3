//! Consistency checks through the hub, against the demo fleet's real source and read model:
//! a residual run finds nothing on an honest read model and exactly the drift planted in it;
//! runs, differences, CSV, the review and the sign-off through /api/v1, with roles and audit.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use common::{Engine, FleetHub, TestHub, TestStore};
use reqwest::Client;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

const CHECK: &str = r#"
[[checks]]
name = "orders"
source = { connection = "orders-source", table = "orders" }
target = { connection = "orders-read", table = "orders_view" }
key = ["id"]
columns = ["customer", "user_group", "amount_cents", "status", "updated_ms"]
read_model = "orders"
"#;

async fn run_to_end(hub: &TestHub, client: &Client, id: i64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let v = hub.get_json(client, &format!("/api/v1/checks/orders/runs/{id}")).await;
        if ["done", "failed", "cancelled"].contains(&v["state"].as_str().unwrap_or("")) {
            return v;
        }
        assert!(Instant::now() < deadline, "the run did not end: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn start(hub: &TestHub, client: &Client) -> reqwest::Response {
    client
        .post(hub.url("/api/v1/checks/orders/runs"))
        .json(&json!({ "mode": "residual" }))
        .send()
        .await
        .unwrap()
}

async fn fault(hub: &TestHub, client: &Client, body: Value) {
    let res = client.post(hub.url("/api/v1/demo/faults")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 204);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_residual_run_finds_the_drift_and_a_lead_reviews_it() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, dev, viewer } =
        FleetHub::start_with(common::fleet_with(&store, &format!("{}{CHECK}", common::DEMO_READ_MODEL)))
            .await;
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Viewers read; developers run.
    assert_eq!(start(&hub, &viewer).await.status(), 403);
    let res = start(&hub, &dev).await;
    assert_eq!(res.status(), 200);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let honest = run_to_end(&hub, &viewer, id).await;
    assert_eq!(honest["state"], "done", "{honest}");
    assert_eq!(honest["counts"], json!({ "missing": 0, "extra": 0, "changed": 0 }), "{honest}");
    assert!(honest["rows_compared"].as_i64().unwrap() > 0 && honest["progress"] == 1.0, "{honest}");

    // Drift in the read model: five rows' amounts changed behind the projector's back.
    fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "drift", "rows": 5 })).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let id = start(&hub, &dev).await.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let drifted = run_to_end(&hub, &viewer, id).await;
    assert_eq!(drifted["state"], "done", "{drifted}");
    let changed = drifted["counts"]["changed"].as_i64().unwrap();
    assert!((1..=5).contains(&changed) && drifted["counts"]["missing"] == 0, "{drifted}");
    let list = hub.get_json(&viewer, &format!("/api/v1/checks/orders/runs/{id}/differences")).await;
    let first = &list[0];
    assert_eq!(first["kind"], "changed", "{list}");
    assert_eq!(first["columns"], json!(["amount_cents"]), "{list}");
    assert!(
        first["key"]["id"].is_string() && first["source"]["amount_cents"] != first["target"]["amount_cents"],
        "{first}"
    );
    let csv = viewer
        .get(hub.url(&format!("/api/v1/checks/orders/runs/{id}/differences")))
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.starts_with("difference,kind,key") && csv.contains("changed") && csv.contains("amount_cents"),
        "{csv}"
    );

    // Repair SQL for the read model's engine, shown, never run.
    let repair = viewer
        .get(hub.url(&format!("/api/v1/checks/orders/runs/{id}/repair.sql")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let wanted = format!(
        "UPDATE \"orders_view\" SET \"amount_cents\" = {} WHERE \"id\" = {};",
        first["source"]["amount_cents"].as_str().unwrap(),
        first["key"]["id"].as_str().unwrap()
    );
    assert!(repair.contains(&wanted), "{wanted}\n{repair}");

    // The review: leads act, developers do not; every action is kept with the difference.
    let diff = first["id"].as_i64().unwrap();
    let act = |client: &Client, action: &str, body: Value| {
        client.post(hub.url(&format!("/api/v1/differences/{diff}/{action}"))).json(&body).send()
    };
    assert_eq!(act(&dev, "acknowledge", json!({})).await.unwrap().status(), 403);
    let lead = hub.user_session(&admin, "lead1", "lead").await;
    assert_eq!(act(&lead, "acknowledge", json!({})).await.unwrap().status(), 204);
    assert_eq!(act(&lead, "assign", json!({ "team": "orders" })).await.unwrap().status(), 204);
    assert_eq!(
        act(&lead, "comment", json!({ "text": "drift injected from the Demo page" })).await.unwrap().status(),
        204
    );
    assert_eq!(act(&lead, "resolve", json!({ "reason": "nonsense" })).await.unwrap().status(), 400);
    assert_eq!(
        act(&lead, "resolve", json!({ "reason": "expected", "note": "a demo" })).await.unwrap().status(),
        204
    );
    let history = hub.get_json(&viewer, &format!("/api/v1/differences/{diff}/history")).await;
    let actions: Vec<&str> =
        history.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["found", "acknowledge", "assign", "comment", "resolve"], "{history}");
    let resolved =
        hub.get_json(&viewer, &format!("/api/v1/checks/orders/runs/{id}/differences?state=resolved")).await;
    assert_eq!(resolved[0]["assignee"], "orders", "{resolved}");

    let signoff = format!("/api/v1/checks/orders/runs/{id}/signoff");
    assert_eq!(dev.post(hub.url(&signoff)).send().await.unwrap().status(), 403);
    let signed: Value = lead.post(hub.url(&signoff)).send().await.unwrap().json().await.unwrap();
    assert_eq!(signed["signed_off_by"], "lead1", "{signed}");
    assert_eq!(signed["signed_off_open"].as_i64(), Some(changed - 1), "{signed}");
    let audit = hub.get_json(&admin, "/api/v1/audit?action=check.").await;
    let rows: Vec<(String, String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().into(),
                e["action"].as_str().unwrap().into(),
                e["outcome"].as_str().unwrap().into(),
            )
        })
        .collect();
    for want in [
        ("view1", "check.run", "denied"),
        ("dev1", "check.run", "ok"),
        ("dev1", "check.review", "denied"),
        ("lead1", "check.review", "ok"),
        ("lead1", "check.signoff", "ok"),
    ] {
        assert!(rows.contains(&(want.0.into(), want.1.into(), want.2.into())), "{want:?} in {rows:?}");
    }
    hub.stop().await;
}

/// The verifier follows the outbox: what heals within the read model's lag is never
/// reported; a projection that went wrong is confirmed within seconds.
#[tokio::test(flavor = "multi_thread")]
async fn the_verifier_waits_out_the_lag_and_confirms_drift_within_seconds() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let check = format!("{}{CHECK}", common::DEMO_READ_MODEL).replace(
        "read_model = \"orders\"",
        "read_model = \"orders\"\nrecent = { outbox = \"outbox\", key = \"ref_id\", seq = \"seq\" }",
    );
    let FleetHub { hub, admin, viewer, .. } = FleetHub::start_with(common::fleet_with(&store, &check)).await;
    let live = || hub.get_json(&viewer, "/api/v1/checks/orders/verifier");
    let deadline = Instant::now() + Duration::from_secs(20);
    while live().await["run_id"].is_null() {
        assert!(Instant::now() < deadline, "the verifier did not start");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // Every change lands 300 ms late for a while: lag, not corruption.
    fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "slowdown", "ms": 300 })).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "clear" })).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let v = live().await;
    assert_eq!(v["confirmed"], json!([]), "lag was reported as a difference: {v}");

    // Three changes projected wrongly: confirmed, each with its column (a later change of the
    // same order may heal one first: the projector writes whole rows).
    fault(&hub, &admin, json!({ "instance": "projector-1", "fault": "drift", "rows": 3 })).await;
    let injected = Instant::now();
    let v = loop {
        let v = live().await;
        if !v["confirmed"].as_array().unwrap().is_empty() {
            break v;
        }
        assert!(injected.elapsed() < Duration::from_secs(15), "not confirmed in time: {v}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    eprintln!("drift confirmed {:?} after it was injected", injected.elapsed());
    for d in v["confirmed"].as_array().unwrap() {
        assert_eq!((d["kind"].as_str(), &d["columns"]), (Some("changed"), &json!(["amount_cents"])), "{v}");
    }

    // Its rolling run lists them for review; it says it is the verifier's and cannot be
    // cancelled (it goes on as long as the verifier does).
    let run = v["run_id"].as_i64().unwrap();
    let r = hub.get_json(&viewer, &format!("/api/v1/checks/orders/runs/{run}")).await;
    assert_eq!((r["mode"].as_str(), r["state"].as_str()), (Some("verifier"), Some("running")), "{r}");
    let listed = hub.get_json(&viewer, &format!("/api/v1/checks/orders/runs/{run}/differences")).await;
    assert!(listed.as_array().unwrap().len() >= v["confirmed"].as_array().unwrap().len(), "{listed}");
    let refused =
        admin.post(hub.url(&format!("/api/v1/checks/orders/runs/{run}/cancel"))).send().await.unwrap();
    assert_eq!(refused.status(), 409);
    assert!(refused.text().await.unwrap().contains("verifier"));
    let asked = admin
        .post(hub.url("/api/v1/checks/orders/runs"))
        .json(&json!({ "mode": "verifier" }))
        .send()
        .await
        .unwrap();
    assert_eq!(asked.status(), 400, "nobody asks for the verifier's run");
    hub.stop().await;
}

/// `switchboard check NAME` for CI gates: a JSON summary, exit 0 within the allowed
/// differences, 1 above them, 2 when the check cannot run.
#[tokio::test]
async fn the_command_line_runs_a_check_for_a_ci_gate() {
    let dir = tempfile::tempdir().unwrap();
    for (file, rows) in [("s.db", "(1, 'a'), (2, 'b'), (3, 'c')"), ("t.db", "(1, 'a'), (2, 'B'), (4, 'd')")] {
        let url = format!("sqlite://{}?mode=rwc", dir.path().join(file).display());
        let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url).await.unwrap();
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)").execute(&mut c).await.unwrap();
        sqlx::query(&format!("INSERT INTO t VALUES {rows}")).execute(&mut c).await.unwrap();
    }
    let config = "[[connections]]\nname = \"s\"\nurl = \"sqlite://s.db\"\n[[connections]]\nname = \"t\"\nurl = \"sqlite://t.db\"\n\
        [[checks]]\nname = \"t\"\nsource = { connection = \"s\", table = \"t\" }\ntarget = { connection = \"t\", table = \"t\" }\nkey = [\"id\"]\n";
    std::fs::write(dir.path().join("hub.toml"), config).unwrap();
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_switchboard"))
            .args(args)
            .env("SWITCHBOARD_DATA_DIR", dir.path())
            .env("SWITCHBOARD_CONFIG", dir.path().join("hub.toml"))
            .env("SWITCHBOARD_DEMO", "0")
            .env_remove("SWITCHBOARD_DATABASE_URL")
            .output()
            .unwrap();
        let summary: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
        (out.status.code(), summary)
    };
    let (code, v) = run(&["check", "t", "--max-differences", "3"]);
    assert_eq!(code, Some(0), "{v}");
    assert_eq!(v["counts"], json!({ "missing": 1, "extra": 1, "changed": 1 }), "{v}");
    assert_eq!((v["state"].as_str(), v["rows_compared"].as_i64()), (Some("done"), Some(3)), "{v}");
    let (code, v) = run(&["check", "t"]);
    assert_eq!(code, Some(1), "three differences are more than none: {v}");
    let (code, v) = run(&["check", "nope"]);
    assert_eq!(code, Some(2), "{v}");
    assert!(v["error"].as_str().unwrap().contains("nope"), "{v}");
}

/// A lead defines a check in the UI's words (TOML, as the config would hold it): checked
/// against the config first, run like the config's, removed again; its runs stay.
#[tokio::test(flavor = "multi_thread")]
async fn a_lead_defines_a_check_runs_it_and_removes_it() {
    let store = TestStore::new(Engine::Sqlite).await.unwrap();
    let FleetHub { hub, admin, dev, .. } =
        FleetHub::start_with(common::fleet_with(&store, &format!("{}{CHECK}", common::DEMO_READ_MODEL)))
            .await;
    let lead = hub.user_session(&admin, "lead1", "lead").await;
    let define = |client: &Client, toml: &str| {
        client.post(hub.url("/api/v1/checks")).json(&json!({ "toml": toml })).send()
    };
    let check = "[[checks]]\nname = \"new-orders\"\nsource = { connection = \"orders-source\", table = \"orders\" }\n\
                 target = { connection = \"orders-read\", table = \"orders_view\" }\nkey = [\"id\"]\ncolumns = [\"status\"]\n\
                 filter = \"status = 'new'\"\n";
    assert_eq!(define(&dev, check).await.unwrap().status(), 403);
    let bad = define(&lead, &check.replace("orders-read", "nowhere")).await.unwrap();
    assert_eq!(bad.status(), 400);
    let why = bad.json::<Value>().await.unwrap();
    assert!(
        why["message"].as_str().unwrap().contains("line 4")
            && why["message"].as_str().unwrap().contains("nowhere"),
        "{why}"
    );
    let hostile =
        define(&lead, &check.replace("status = 'new'", "status = 'new'; DROP TABLE orders")).await.unwrap();
    assert_eq!(hostile.status(), 400);
    let made: Value = define(&lead, check).await.unwrap().json().await.unwrap();
    assert_eq!(made["name"], "new-orders");
    assert_eq!(define(&lead, check).await.unwrap().status(), 409, "a name is taken once");
    let listed = hub.get_json(&dev, "/api/v1/checks").await;
    let mine = listed.as_array().unwrap().iter().find(|c| c["name"] == "new-orders").cloned().unwrap();
    assert_eq!(mine["defined_by"], "lead1", "{listed}");

    let res = dev.post(hub.url("/api/v1/checks/new-orders/runs")).json(&json!({})).send().await.unwrap();
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    let url = format!("/api/v1/checks/new-orders/runs/{id}");
    while hub.get_json(&dev, &url).await["state"] != "done" {
        assert!(Instant::now() < deadline, "{}", hub.get_json(&dev, &url).await);
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    assert_eq!(
        lead.post(hub.url("/api/v1/checks/orders/delete")).send().await.unwrap().status(),
        404,
        "the config's stay"
    );
    assert_eq!(dev.post(hub.url("/api/v1/checks/new-orders/delete")).send().await.unwrap().status(), 403);
    assert_eq!(lead.post(hub.url("/api/v1/checks/new-orders/delete")).send().await.unwrap().status(), 204);
    let listed = hub.get_json(&dev, "/api/v1/checks").await;
    assert!(!listed.to_string().contains("new-orders"), "{listed}");
    hub.stop().await;
}
