//! The hub's side of the demo fleet's controls: fault injection and stop/start, through
//! the fleet's control endpoint (loopback, with the fleet's token), admins only, audited.

use crate::audit::{Attempt, AuditLog};
use crate::changes::ChangeLog;
use crate::{BackendError, Principal};
use std::collections::HashMap;
use std::time::Duration;
use types::changes::ChangeKind;
use types::FleetManifest;
use types::{DemoFault, DemoInstanceView, Role};

#[derive(Clone)]
pub struct DemoControls {
    control_url: String,
    token: String,
    client: reqwest::Client,
    audit: AuditLog,
    /// Where applied faults are recorded as changes of their instance's service.
    changes: Option<(ChangeLog, HashMap<String, String>)>,
}

impl std::fmt::Debug for DemoControls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token never reaches a log.
        f.debug_struct("DemoControls").field("control_url", &self.control_url).finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct FleetView {
    instances: Vec<DemoInstanceView>,
}

impl DemoControls {
    pub fn new(control_url: String, token: String, audit: AuditLog) -> DemoControls {
        let client = crate::http::client(Some(Duration::from_secs(40)));
        DemoControls { control_url, token, client, audit, changes: None }
    }

    /// Records every fault applied as a `flag` change of the instance's service (the
    /// fleet's instances and their services from its manifest).
    pub fn recording_changes(mut self, log: ChangeLog, fleet: &FleetManifest) -> DemoControls {
        let services = fleet.instances.iter().map(|i| (i.name.clone(), i.service.clone())).collect();
        self.changes = Some((log, services));
        self
    }

    fn unavailable(e: impl std::fmt::Display) -> BackendError {
        BackendError::Unavailable(format!("the demo fleet did not answer: {e}"))
    }

    pub async fn fleet(&self, actor: &Principal) -> Result<Vec<DemoInstanceView>, BackendError> {
        actor.require(Role::Admin)?;
        let res = self
            .client
            .get(format!("{}/fleet", self.control_url))
            .send()
            .await
            .map_err(|e| Self::unavailable(crate::http::describe(&e)))?;
        let view: FleetView = res.json().await.map_err(Self::unavailable)?;
        Ok(view.instances)
    }

    /// What the fleet's alert receiver (`demo://fleet/alerts`) was sent, newest first.
    pub async fn notifications(
        &self,
        actor: &Principal,
    ) -> Result<Vec<types::alerts::DemoNotification>, BackendError> {
        actor.require(Role::Admin)?;
        let res = self
            .client
            .get(format!("{}/alerts", self.control_url))
            .send()
            .await
            .map_err(|e| Self::unavailable(crate::http::describe(&e)))?;
        let kept: Vec<serde_json::Value> = res.json().await.map_err(Self::unavailable)?;
        Ok(kept.iter().map(notification).collect())
    }

    pub async fn apply(
        &self,
        actor: &Principal,
        source: &str,
        instance: &str,
        fault: &DemoFault,
    ) -> Result<(), BackendError> {
        let target = format!("{instance}: {}", fault.label());
        let result = match actor.require(Role::Admin) {
            Ok(()) => self.send(instance, fault, &target).await,
            Err(refusal) => Err(refusal),
        };
        if let (Ok(()), Some((log, services))) = (&result, &self.changes) {
            if let Some(service) = services.get(instance) {
                let summary = format!("demo chaos on {instance}: {}", fault.label());
                log.record_by_hub(service, ChangeKind::Flag, summary, &actor.username).await;
            }
        }
        self.audit.settle(Attempt::by(actor, "demo.fault", target, source), result).await
    }

    /// Deploys `version` of a demo service: each of its instances restarts running it, one
    /// after the other; recorded as a `deploy` change of the service. Admins only, audited.
    pub async fn deploy(
        &self,
        actor: &Principal,
        source: &str,
        service: &str,
        version: &str,
    ) -> Result<(), BackendError> {
        let target = format!("{service} {version}");
        let result = match actor.require(Role::Admin) {
            Ok(()) => self.deploy_checked(actor, service, version).await,
            Err(refusal) => Err(refusal),
        };
        self.audit.settle(Attempt::by(actor, "demo.deploy", target, source), result).await
    }

    async fn deploy_checked(
        &self,
        actor: &Principal,
        service: &str,
        version: &str,
    ) -> Result<(), BackendError> {
        let Some((log, services)) = &self.changes else {
            return Err(BackendError::Unavailable(
                "the demo fleet's deploys are not wired to this hub".into(),
            ));
        };
        let mut instances: Vec<&String> =
            services.iter().filter(|(_, s)| *s == service).map(|(i, _)| i).collect();
        instances.sort();
        if instances.is_empty() {
            return Err(BackendError::Invalid(format!("the demo fleet has no service {service:?}")));
        }
        for instance in &instances {
            let body = serde_json::json!({ "instance": instance, "version": version });
            let res = self
                .client
                .post(format!("{}/deploy", self.control_url))
                .bearer_auth(&self.token)
                .json(&body)
                .send()
                .await
                .map_err(|e| Self::unavailable(crate::http::describe(&e)))?;
            if !res.status().is_success() {
                let status = res.status();
                let text = crate::http::error_text(res).await;
                return Err(BackendError::Invalid(format!(
                    "the demo fleet refused to deploy {instance}: HTTP {status} {text}"
                )));
            }
        }
        let row = crate::changes::NewChangeRow {
            service: service.to_string(),
            kind: ChangeKind::Deploy,
            version: Some(version.to_string()),
            summary: format!(
                "demo deploy of {version} ({} restarted)",
                instances.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            ),
            url: None,
            ts_ms: crate::now_ms(),
            author: Some(actor.username.clone()),
        };
        log.insert(&row, crate::changes::HUB).await?;
        Ok(())
    }

    async fn send(&self, instance: &str, fault: &DemoFault, target: &str) -> Result<(), BackendError> {
        let mut body = serde_json::to_value(fault).map_err(|e| BackendError::Internal(e.to_string()))?;
        if let Some(obj) = body.as_object_mut() {
            obj.insert("instance".into(), instance.into());
        }
        let res = self
            .client
            .post(format!("{}/chaos", self.control_url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| Self::unavailable(crate::http::describe(&e)))?;
        if res.status().is_success() {
            return Ok(());
        }
        let status = res.status();
        let text = crate::http::error_text(res).await;
        Err(BackendError::Invalid(format!("the demo fleet refused {target}: HTTP {status} {text}")))
    }
}

/// A received webhook body in the Demo page's terms, whichever format it came in.
fn notification(kept: &serde_json::Value) -> types::alerts::DemoNotification {
    let body = &kept["body"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let (status, summary, context) = if body["version"] == "4" {
        // Alertmanager's webhook payload.
        let a = &body["alerts"][0];
        (text(&body["status"]), text(&a["annotations"]["summary"]), text(&a["annotations"]["context"]))
    } else if body.get("blocks").is_some() {
        (String::new(), text(&body["text"]), String::new())
    } else {
        let context: Vec<String> = body["context"]
            .as_array()
            .map(|rows| {
                rows.iter().map(|r| format!("{}={}", text(&r["attribute"]), text(&r["value"]))).collect()
            })
            .unwrap_or_default();
        (text(&body["status"]), text(&body["summary"]), context.join("; "))
    };
    types::alerts::DemoNotification {
        received_ms: kept["received_ms"].as_i64().unwrap_or(0),
        status,
        summary,
        context,
        body: serde_json::to_string_pretty(body).unwrap_or_default(),
    }
}
