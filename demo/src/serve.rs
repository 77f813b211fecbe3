//! What every HTTP service of the fleet (orders-api, quotes, portfolio-bff) does with a
//! request: a server span in the caller's trace, the work on the bounded worker pool under
//! the instance's chaos, then the shared format's request metrics (with the trace id as
//! exemplar) and an event pushed to the hub.

use crate::instance::Shared;
use crate::metrics::{Kind, LATENCY_BUCKETS};
use crate::telemetry::Span;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use opentelemetry::KeyValue;
use serde::Serialize;
use std::time::{Duration, Instant};

pub fn declare_http_metrics(i: &Shared) {
    let m = &i.metrics;
    m.declare("http_requests_total", Kind::Counter, "", "HTTP requests answered.");
    m.declare("http_request_errors_total", Kind::Counter, "", "HTTP requests that failed, by error kind.");
    m.declare_histogram(
        "http_request_duration_seconds",
        Kind::Histogram,
        "seconds",
        "Time to answer a request.",
        LATENCY_BUCKETS,
    );
}

/// Why a request was not answered.
#[derive(Debug)]
pub struct Failure {
    pub status: StatusCode,
    /// The `kind` label of `http_request_errors_total` and the event's `error_kind`.
    pub kind: &'static str,
    pub message: String,
}

impl Failure {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Failure {
        Failure { status, kind, message: message.into() }
    }

    pub fn not_found(message: &str) -> Failure {
        Failure::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn database(e: &sqlx::Error) -> Failure {
        tracing::warn!(error = %e, "database query failed");
        Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "db_error", "database unavailable")
    }
}

/// One request being answered.
pub struct Request {
    service: &'static str,
    route: &'static str,
    pub user_group: String,
    pub span: Span,
    started: Instant,
    /// Attributes of the pushed event beside the status (a partial answer says so); the
    /// work may add to them while it runs.
    pub attributes: Notes,
}

pub type Notes = std::sync::Arc<std::sync::Mutex<serde_json::Map<String, serde_json::Value>>>;

impl Request {
    pub fn new(service: &'static str, route: &'static str, headers: &HeaderMap) -> Request {
        let user_group =
            headers.get("x-user-group").and_then(|v| v.to_str().ok()).unwrap_or("retail").to_string();
        let span = Span::server(
            format!("GET {route}"),
            headers,
            vec![
                KeyValue::new("http.request.method", "GET"),
                KeyValue::new("http.route", route),
                KeyValue::new("user_group", user_group.clone()),
            ],
        );
        Request { service, route, user_group, span, started: Instant::now(), attributes: Default::default() }
    }

    pub fn trace_id(&self) -> String {
        self.span.trace_id()
    }

    /// Records the outcome: metrics, the event, the span's status.
    pub fn finish(&self, i: &Shared, status: StatusCode, failure: Option<&Failure>) {
        let trace_id = self.trace_id();
        // A 4xx is the caller's mistake, not the service's failure (OpenTelemetry's rule for
        // server spans, below): counted by its status in the requests, not in the errors. A
        // young fleet asking for orders not yet written opened error-ratio alerts.
        let error_kind = failure.filter(|_| status.is_server_error()).map(|f| f.kind);
        if let Some(sink) = i.events.get() {
            let mut attributes =
                self.attributes.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
            attributes.insert("status".into(), status.as_u16().into());
            sink.push(serde_json::json!({
                "service": self.service,
                "instance": i.name,
                "ts_ms": crate::chaos::now_ms(),
                "outcome": if error_kind.is_some() { "error" } else { "ok" },
                "route": self.route,
                "user_group": self.user_group,
                "error_kind": error_kind,
                "trace_id": trace_id,
                "duration_ms": self.started.elapsed().as_secs_f64() * 1000.0,
                "attributes": attributes,
            }));
        }
        let m = &i.metrics;
        let labels = vec![
            ("route", self.route.to_string()),
            ("method", "GET".to_string()),
            ("status", status.as_u16().to_string()),
            ("user_group", self.user_group.clone()),
        ];
        m.inc_with_exemplar("http_requests_total", labels, &trace_id);
        if let Some(kind) = error_kind {
            let labels = vec![
                ("route", self.route.to_string()),
                ("kind", kind.to_string()),
                ("user_group", self.user_group.clone()),
            ];
            m.inc_with_exemplar("http_request_errors_total", labels, &trace_id);
        }
        m.observe(
            "http_request_duration_seconds",
            vec![("route", self.route.to_string())],
            self.started.elapsed().as_secs_f64(),
            Some(&trace_id),
        );
        self.span.set(KeyValue::new("http.response.status_code", i64::from(status.as_u16())));
        let failed =
            failure.filter(|_| status.is_server_error()).map(|f| format!("{}: {}", f.kind, f.message));
        self.span.end(failed.as_deref());
    }
}

enum Ran<T> {
    Done(Result<T, Failure>),
    Injected,
}

/// Runs `work` on the instance's pool under its chaos (latency held on the worker, injected
/// errors), and answers with its value as JSON or the failure.
pub async fn answer<T: Serialize + Send + 'static>(
    i: Shared,
    req: Request,
    frames: &'static [&'static str],
    work: impl std::future::Future<Output = Result<T, Failure>> + Send + 'static,
) -> Response {
    let chaos = i.chaos.view();
    let fail = i.chaos.should_fail(req.route, &req.user_group);
    let ran = i
        .pool
        .run(frames, async move {
            // Latency is spent holding the worker, as a slow dependency would.
            if chaos.latency_ms > 0 {
                tokio::time::sleep(Duration::from_millis(chaos.latency_ms)).await;
            }
            if fail {
                return Ran::Injected;
            }
            Ran::Done(work.await)
        })
        .await;
    let outcome = match ran {
        Ok(Ran::Done(done)) => done,
        Ok(Ran::Injected) => {
            Err(Failure::new(StatusCode::INTERNAL_SERVER_ERROR, "injected", "injected fault"))
        }
        Err(e) => Err(Failure::new(StatusCode::SERVICE_UNAVAILABLE, "pool_exhausted", e.to_string())),
    };
    let (status, body, failure) = match outcome {
        Ok(v) => (StatusCode::OK, serde_json::to_value(v).unwrap_or_default(), None),
        Err(f) => (f.status, serde_json::json!({ "error": f.message }), Some(f)),
    };
    req.finish(&i, status, failure.as_ref());
    let mut res = (status, Json(body)).into_response();
    if let Ok(v) = req.trace_id().parse() {
        res.headers_mut().insert("x-trace-id", v);
    }
    res
}

/// Answers a request refused before any work (a bad parameter).
pub fn refuse(i: &Shared, req: &Request, failure: Failure) -> Response {
    req.finish(i, failure.status, Some(&failure));
    (failure.status, Json(serde_json::json!({ "error": failure.message }))).into_response()
}
