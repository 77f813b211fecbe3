//! Spans. Every instance exports its spans with the OpenTelemetry SDK over OTLP/HTTP
//! (protobuf) to `$SWITCHBOARD_HUB_URL/v1/traces`, with the token in `$SWITCHBOARD_SERVICE_TOKEN`
//! (bound to its service). Requests carry W3C trace context (`traceparent`) in and out.
//! Without the two variables spans are still made (their trace ids go into exemplars and
//! events) but sent nowhere.

use axum::http::HeaderMap;
use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt, Tracer as _};
use opentelemetry::{global, Context, KeyValue};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use std::collections::HashMap;
use std::time::Duration;

const TRACER: &str = "switchboard-demo";

/// The instance's tracer provider; `shutdown` sends what is still queued.
pub struct Telemetry {
    provider: SdkTracerProvider,
}

/// The share of a background job's traces recorded (the writer's and the projector's loops
/// make dozens a second; requests are always recorded).
const BACKGROUND_SAMPLE: f64 = 0.1;

/// Sets the global tracer provider of this process: its resource names the service, the
/// instance and the version. `background`: its traces are its own loops', sampled.
pub fn init(service: &str, instance: &str, version: &str, background: bool) -> Telemetry {
    let resource = Resource::builder_empty()
        .with_service_name(service.to_string())
        .with_attributes([
            KeyValue::new("service.instance.id", instance.to_string()),
            KeyValue::new("service.version", version.to_string()),
        ])
        .build();
    let sampler = if background {
        Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(BACKGROUND_SAMPLE)))
    } else {
        Sampler::ParentBased(Box::new(Sampler::AlwaysOn))
    };
    let mut builder = SdkTracerProvider::builder().with_resource(resource).with_sampler(sampler);
    let hub = std::env::var("SWITCHBOARD_HUB_URL").ok().filter(|u| !u.is_empty());
    let token = std::env::var("SWITCHBOARD_SERVICE_TOKEN").ok().filter(|t| !t.is_empty());
    if let (Some(hub), Some(token)) = (hub, token) {
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_http()
            .with_protocol(Protocol::HttpBinary)
            .with_endpoint(format!("{}/v1/traces", hub.trim_end_matches('/')))
            .with_headers(HashMap::from([("authorization".to_string(), format!("Bearer {token}"))]))
            .with_timeout(Duration::from_secs(5))
            .build();
        match exporter {
            Ok(exporter) => {
                // Sent every half second: an alert's example traces are at the hub when it fires.
                let config = BatchConfigBuilder::default()
                    .with_scheduled_delay(Duration::from_millis(500))
                    .with_max_queue_size(16_384)
                    .with_max_export_batch_size(512)
                    .build();
                let processor = BatchSpanProcessor::builder(exporter).with_batch_config(config).build();
                builder = builder.with_span_processor(processor);
            }
            Err(e) => tracing::warn!(error = %e, "no span exporter; spans are not sent"),
        }
    }
    let provider = builder.build();
    global::set_text_map_propagator(TraceContextPropagator::new());
    global::set_tracer_provider(provider.clone());
    Telemetry { provider }
}

impl Telemetry {
    pub fn shutdown(&self) {
        let _ = self.provider.force_flush();
        let _ = self.provider.shutdown();
    }
}

struct Headers<'a>(&'a HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }

    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(axum::http::HeaderName::as_str).collect()
    }
}

struct HeadersMut<'a>(&'a mut HeaderMap);

impl Injector for HeadersMut<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(name), Ok(value)) =
            (axum::http::HeaderName::from_bytes(key.as_bytes()), axum::http::HeaderValue::from_str(&value))
        {
            self.0.insert(name, value);
        }
    }
}

/// A span of this process, in the context that carries it (children start from it).
#[derive(Clone)]
pub struct Span(Context);

impl Span {
    /// A request's server span, child of the caller's (from `traceparent`) or a new trace.
    pub fn server(name: String, headers: &HeaderMap, attributes: Vec<KeyValue>) -> Span {
        let parent = TraceContextPropagator::new().extract(&Headers(headers));
        Span::start(name, SpanKind::Server, &parent, attributes)
    }

    /// A new trace of a background job (no caller).
    pub fn root(name: &'static str, attributes: Vec<KeyValue>) -> Span {
        Span::start(name.to_string(), SpanKind::Internal, &Context::new(), attributes)
    }

    /// A call to another service: its `traceparent` goes in `headers`.
    pub fn client(&self, name: String, headers: &mut HeaderMap, attributes: Vec<KeyValue>) -> Span {
        let span = Span::start(name, SpanKind::Client, &self.0, attributes);
        TraceContextPropagator::new().inject_context(&span.0, &mut HeadersMut(headers));
        span
    }

    /// A database call: the statement and the engine as the semantic conventions name them.
    pub fn db(&self, operation: &'static str, system: &'static str, statement: &str) -> Span {
        let attributes = vec![
            KeyValue::new("db.system.name", system),
            KeyValue::new("db.query.text", statement.to_string()),
        ];
        Span::start(operation.to_string(), SpanKind::Client, &self.0, attributes)
    }

    fn start(name: String, kind: SpanKind, parent: &Context, attributes: Vec<KeyValue>) -> Span {
        let tracer = global::tracer(TRACER);
        let span = tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attributes)
            .start_with_context(&tracer, parent);
        Span(parent.with_span(span))
    }

    /// The trace id, 32 hex digits (what exemplars and events carry).
    pub fn trace_id(&self) -> String {
        self.0.span().span_context().trace_id().to_string()
    }

    pub fn set(&self, attribute: KeyValue) {
        self.0.span().set_attribute(attribute);
    }

    /// Ends the span, failed with `error` when there is one.
    pub fn end(&self, error: Option<&str>) {
        let span = self.0.span();
        if let Some(message) = error {
            span.set_status(Status::error(message.to_string()));
        }
        span.end();
    }

    /// Ends it with the outcome of `result`, which it passes on.
    pub fn end_with<T, E: std::fmt::Display>(&self, result: Result<T, E>) -> Result<T, E> {
        match &result {
            Ok(_) => self.end(None),
            Err(e) => self.end(Some(&e.to_string())),
        }
        result
    }
}
