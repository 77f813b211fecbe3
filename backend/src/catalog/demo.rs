//! The hub's side of the demo fleet's controls: fault injection and stop/start, through
//! the fleet's control endpoint (loopback, with the fleet's token), admins only, audited.

use crate::audit::{AuditEvent, AuditLog, Outcome};
use crate::{BackendError, Principal};
use std::time::Duration;
use types::{DemoFault, DemoInstanceView, Role};

#[derive(Clone)]
pub struct DemoControls {
    control_url: String,
    token: String,
    client: reqwest::Client,
    audit: AuditLog,
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
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(40))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        DemoControls { control_url, token, client, audit }
    }

    fn unavailable(e: impl std::fmt::Display) -> BackendError {
        BackendError::Unavailable(format!("the demo fleet did not answer: {e}"))
    }

    pub async fn fleet(&self, actor: &Principal) -> Result<Vec<DemoInstanceView>, BackendError> {
        actor.require(Role::Admin)?;
        let res =
            self.client.get(format!("{}/fleet", self.control_url)).send().await.map_err(Self::unavailable)?;
        let view: FleetView = res.json().await.map_err(Self::unavailable)?;
        Ok(view.instances)
    }

    pub async fn apply(
        &self,
        actor: &Principal,
        source: &str,
        instance: &str,
        fault: &DemoFault,
    ) -> Result<(), BackendError> {
        let target = format!("{instance}: {}", fault.label());
        let event = |outcome| AuditEvent {
            actor: &actor.username,
            action: "demo.fault",
            target: &target,
            outcome,
            source,
        };
        if let Err(refusal) = actor.require(Role::Admin) {
            self.audit.record(event(Outcome::Denied)).await?;
            return Err(refusal);
        }
        let mut body = serde_json::to_value(fault).map_err(|e| BackendError::Internal(e.to_string()))?;
        if let Some(obj) = body.as_object_mut() {
            obj.insert("instance".into(), instance.into());
        }
        let sent = self
            .client
            .post(format!("{}/chaos", self.control_url))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await;
        let result = match sent {
            Ok(res) if res.status().is_success() => Ok(()),
            Ok(res) => {
                let status = res.status();
                let text = res.text().await.unwrap_or_default();
                Err(BackendError::Invalid(format!("the demo fleet refused {target}: HTTP {status} {text}")))
            }
            Err(e) => Err(Self::unavailable(e)),
        };
        let outcome = if result.is_ok() { Outcome::Ok } else { Outcome::Failed };
        self.audit.record(event(outcome)).await?;
        result
    }
}
