//! The fleet's control endpoint (loopback, with the fleet's token for changes): what each
//! instance is and which faults it has, and chaos passed on to the instance — or, for
//! `stop` and `start`, done by the fleet itself.

use crate::supervisor::Fleet;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use std::net::SocketAddr;
use std::sync::Arc;

#[derive(Serialize)]
struct MemberView {
    service: &'static str,
    name: &'static str,
    base_url: String,
    running: bool,
    chaos: Option<serde_json::Value>,
    version: String,
}

pub async fn fleet_view(State(fleet): State<Arc<Fleet>>) -> Json<serde_json::Value> {
    let mut members = fleet.members.lock().await;
    let mut out = Vec::new();
    for m in members.iter_mut() {
        let running = match &mut m.process {
            Some((child, _)) => matches!(child.try_wait(), Ok(None)),
            None => false,
        };
        let base_url = format!("http://127.0.0.1:{}", m.port);
        let chaos = if running {
            let res = fleet.client.get(format!("{base_url}/chaos")).bearer_auth(&fleet.token).send().await;
            match res {
                Ok(r) => r.json().await.ok(),
                Err(_) => None,
            }
        } else {
            None
        };
        out.push(MemberView {
            service: m.kind.service(),
            name: m.name,
            base_url,
            running,
            chaos,
            version: m.version.clone(),
        });
    }
    Json(serde_json::json!({ "instances": out }))
}

/// A change to the fleet comes from this machine with the fleet's token (the hub's).
fn from_the_hub(fleet: &Fleet, from: SocketAddr, headers: &HeaderMap) -> bool {
    from.ip().is_loopback() && crate::instance::bearer(headers) == Some(fleet.token.as_str())
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// `POST /chaos {"instance": NAME, "fault": …}`: `stop` and `start` are the fleet's own;
/// every other fault is passed to the instance.
pub async fn chaos(
    State(fleet): State<Arc<Fleet>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(mut body): Json<serde_json::Value>,
) -> Response {
    if !from_the_hub(&fleet, from, &headers) {
        return refuse(StatusCode::FORBIDDEN, "chaos needs loopback and the fleet's token");
    }
    let Some(name) = body.get("instance").and_then(|v| v.as_str()).map(str::to_string) else {
        return refuse(StatusCode::BAD_REQUEST, "name the instance");
    };
    let fault = body.get("fault").and_then(|v| v.as_str()).unwrap_or("").to_string();
    let mut members = fleet.members.lock().await;
    let Some(member) = members.iter_mut().find(|m| m.name == name) else {
        return refuse(StatusCode::NOT_FOUND, "no such instance in the fleet");
    };
    match fault.as_str() {
        "stop" => {
            Fleet::stop(member).await;
            Json(serde_json::json!({ "instance": name, "running": false })).into_response()
        }
        "start" => match fleet.start(member).await {
            Ok(()) => Json(serde_json::json!({ "instance": name, "running": true })).into_response(),
            Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e),
        },
        _ => {
            if member.process.is_none() {
                return refuse(StatusCode::CONFLICT, "the instance is stopped");
            }
            if let Some(obj) = body.as_object_mut() {
                obj.remove("instance");
            }
            let url = format!("http://127.0.0.1:{}/chaos", member.port);
            match fleet.client.post(url).bearer_auth(&fleet.token).json(&body).send().await {
                Ok(r) => {
                    let status = StatusCode::from_u16(r.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
                    let text = r.text().await.unwrap_or_default();
                    (status, [(header::CONTENT_TYPE, "application/json")], text).into_response()
                }
                Err(e) => refuse(StatusCode::BAD_GATEWAY, &format!("the instance did not answer: {e}")),
            }
        }
    }
}

/// `POST /deploy {"instance": NAME, "version": V}`: a deploy as the demo has them — the
/// instance restarts (same port) running version `V`.
pub async fn deploy(
    State(fleet): State<Arc<Fleet>>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Response {
    if !from_the_hub(&fleet, from, &headers) {
        return refuse(StatusCode::FORBIDDEN, "deploys need loopback and the fleet's token");
    }
    let (Some(name), Some(version)) =
        (body.get("instance").and_then(|v| v.as_str()), body.get("version").and_then(|v| v.as_str()))
    else {
        return refuse(StatusCode::BAD_REQUEST, "name the instance and the version");
    };
    let fine = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+');
    if version.is_empty() || version.len() > 32 || !version.chars().all(fine) {
        return refuse(StatusCode::BAD_REQUEST, "a version is 1 to 32 letters, digits, '.', '-', '_' or '+'");
    }
    let mut members = fleet.members.lock().await;
    let Some(member) = members.iter_mut().find(|m| m.name == name) else {
        return refuse(StatusCode::NOT_FOUND, "no such instance in the fleet");
    };
    Fleet::stop(member).await;
    member.version = version.to_string();
    match fleet.start(member).await {
        Ok(()) => {
            Json(serde_json::json!({ "instance": name, "version": version, "running": true })).into_response()
        }
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, &e),
    }
}

/// Notifications the demo's alert receiver keeps.
const RECEIVED_KEPT: usize = 50;

/// The demo's alert receiver: any webhook JSON (Alertmanager's, Slack's, the hub's own),
/// kept with the time it came.
pub async fn alert_received(
    State(fleet): State<Arc<Fleet>>,
    Json(body): Json<serde_json::Value>,
) -> StatusCode {
    let received_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut kept = fleet.received.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    kept.push_back(serde_json::json!({ "received_ms": received_ms, "body": body }));
    while kept.len() > RECEIVED_KEPT {
        kept.pop_front();
    }
    StatusCode::OK
}

/// What the receiver was sent, newest first.
pub async fn alerts_received(State(fleet): State<Arc<Fleet>>) -> Json<Vec<serde_json::Value>> {
    let kept = fleet.received.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
    Json(kept.iter().rev().cloned().collect())
}
