//! `portfolio-bff`: the backend-for-frontend of the portfolio screen. `GET
//! /portfolio/{customer}` asks orders-api for the customer's orders and quotes for the prices
//! of their instruments at once, and composes one answer. Quotes gets `QUOTES_TIMEOUT`: when it
//! is slower (or down) the answer is partial, marked as such, without prices; when it answers
//! with an error, so does the BFF (502), as it does when orders-api fails.

use crate::instance::Shared;
use crate::metrics::Kind;
use crate::serve::{self, Failure, Notes, Request};
use crate::telemetry::Span;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use opentelemetry::KeyValue;
use serde::Serialize;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

const SERVICE: &str = "portfolio-bff";
/// How long the BFF waits for quotes before it answers without prices.
pub const QUOTES_TIMEOUT: Duration = Duration::from_millis(300);
/// How long it waits for orders-api (without orders there is no portfolio).
const ORDERS_TIMEOUT: Duration = Duration::from_secs(2);
const SYMBOLS: [&str; 12] =
    ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "ASML", "SAP", "NESN", "SHEL", "TTE"];

/// Where the BFF's dependencies listen: from `DEMO_ORDERS_URLS` and `DEMO_QUOTES_URLS`
/// (comma-separated base URLs), called in turn.
pub struct Upstreams {
    orders: Vec<String>,
    quotes: Vec<String>,
    next: AtomicUsize,
    client: reqwest::Client,
}

impl Upstreams {
    pub fn from_env() -> Result<Upstreams, String> {
        let list = |var: &str| -> Result<Vec<String>, String> {
            let urls: Vec<String> = std::env::var(var)
                .unwrap_or_default()
                .split(',')
                .map(|u| u.trim().trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty())
                .collect();
            if urls.is_empty() {
                return Err(format!("{var} names no base URL"));
            }
            Ok(urls)
        };
        Ok(Upstreams {
            orders: list("DEMO_ORDERS_URLS")?,
            quotes: list("DEMO_QUOTES_URLS")?,
            next: AtomicUsize::new(0),
            client: reqwest::Client::builder()
                .pool_max_idle_per_host(32)
                .build()
                .map_err(|e| e.to_string())?,
        })
    }

    fn pick<'a>(&self, urls: &'a [String]) -> &'a str {
        &urls[self.next.fetch_add(1, Ordering::Relaxed) % urls.len()]
    }
}

pub fn declare_metrics(i: &Shared) {
    serve::declare_http_metrics(i);
    i.metrics.declare(
        "portfolio_partial_responses_total",
        Kind::Counter,
        "",
        "Portfolios answered without a dependency's part, by the part missing and why.",
    );
}

pub fn routes(upstreams: Upstreams) -> Router<Shared> {
    Router::new().route("/portfolio/{customer}", get(portfolio)).layer(Extension(Arc::new(upstreams)))
}

#[derive(Serialize)]
struct Portfolio {
    customer: String,
    orders: serde_json::Value,
    /// Null when the answer is partial.
    quotes: Option<serde_json::Value>,
    /// True when a part is missing; `missing` names it and `reason` says why.
    partial: bool,
    missing: Vec<&'static str>,
    reason: Option<String>,
}

/// The instruments a customer holds (stable per customer).
fn holdings(customer: &str) -> Vec<&'static str> {
    let h = customer.bytes().fold(17usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
    (0..3).map(|k| SYMBOLS[(h + k * 5) % SYMBOLS.len()]).collect()
}

fn valid_customer(c: &str) -> bool {
    !c.is_empty() && c.len() <= 32 && c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_')
}

enum CallError {
    TimedOut(Duration),
    Unreachable(String),
    Failed(StatusCode),
}

impl CallError {
    fn describe(&self, service: &str) -> String {
        match self {
            CallError::TimedOut(t) => format!("{service} did not answer within {} ms", t.as_millis()),
            CallError::Unreachable(e) => format!("{service} is unreachable: {e}"),
            CallError::Failed(s) => format!("{service} answered {s}"),
        }
    }
}

struct Call<'a> {
    span: &'a Span,
    client: &'a reqwest::Client,
    user_group: &'a str,
}

impl Call<'_> {
    /// GET `base/path` within `timeout`, in a client span that carries the trace on.
    async fn get(
        &self,
        service: &'static str,
        base: &str,
        path: &str,
        timeout: Duration,
    ) -> Result<serde_json::Value, CallError> {
        let url = format!("{base}{path}");
        let mut headers = HeaderMap::new();
        let span = self.span.client(
            format!("GET {service}"),
            &mut headers,
            vec![KeyValue::new("url.full", url.clone()), KeyValue::new("peer.service", service)],
        );
        let call = async {
            let res = self
                .client
                .get(&url)
                .headers(headers)
                .header("x-user-group", self.user_group)
                .send()
                .await
                .map_err(|e| CallError::Unreachable(e.to_string()))?;
            let status = res.status();
            span.set(KeyValue::new("http.response.status_code", i64::from(status.as_u16())));
            if !status.is_success() {
                return Err(CallError::Failed(status));
            }
            res.json::<serde_json::Value>().await.map_err(|e| CallError::Unreachable(e.to_string()))
        };
        let result = tokio::time::timeout(timeout, call).await.unwrap_or(Err(CallError::TimedOut(timeout)));
        span.end(result.as_ref().err().map(|e| e.describe(service)).as_deref());
        result
    }
}

async fn portfolio(
    State(i): State<Shared>,
    Extension(up): Extension<Arc<Upstreams>>,
    Path(customer): Path<String>,
    headers: HeaderMap,
) -> Response {
    let req = Request::new(SERVICE, "/portfolio/{customer}", &headers);
    if !valid_customer(&customer) {
        let why = "customers are 1 to 32 letters, digits, dashes or underscores";
        return serve::refuse(&i, &req, Failure::new(StatusCode::BAD_REQUEST, "bad_request", why));
    }
    const FRAMES: &[&str] =
        &["demo::portfolio_bff::compose", "demo::portfolio_bff::portfolio", "demo::pool::run_task"];
    let (span, user_group, notes) = (req.span.clone(), req.user_group.clone(), req.attributes.clone());
    let instance = i.clone();
    serve::answer(i, req, FRAMES, async move {
        compose(&instance, &up, &span, &user_group, &notes, customer).await
    })
    .await
}

async fn compose(
    i: &Shared,
    up: &Upstreams,
    span: &Span,
    user_group: &str,
    notes: &Notes,
    customer: String,
) -> Result<Portfolio, Failure> {
    let call = Call { span, client: &up.client, user_group };
    let symbols = holdings(&customer).join(",");
    let orders_path = format!("/orders?customer={customer}");
    let quotes_path = format!("/quotes?symbols={symbols}");
    let (orders, quotes) = tokio::join!(
        call.get("orders-api", up.pick(&up.orders), &orders_path, ORDERS_TIMEOUT),
        call.get("quotes", up.pick(&up.quotes), &quotes_path, QUOTES_TIMEOUT),
    );
    let orders = orders
        .map_err(|e| Failure::new(StatusCode::BAD_GATEWAY, "upstream_orders", e.describe("orders-api")))?;
    let (quotes, reason) = match quotes {
        Ok(q) => (Some(q), None),
        Err(e @ CallError::Failed(_)) => {
            return Err(Failure::new(StatusCode::BAD_GATEWAY, "upstream_quotes", e.describe("quotes")));
        }
        Err(e) => {
            let why = match e {
                CallError::TimedOut(_) => "timeout",
                _ => "unreachable",
            };
            i.metrics.inc(
                "portfolio_partial_responses_total",
                vec![("missing", "quotes".to_string()), ("reason", why.to_string())],
            );
            (None, Some(e.describe("quotes")))
        }
    };
    let partial = quotes.is_none();
    if partial {
        span.set(KeyValue::new("portfolio.partial", true));
        span.set(KeyValue::new("portfolio.missing", "quotes"));
        let mut notes = notes.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        notes.insert("partial".into(), true.into());
        notes.insert("missing".into(), "quotes".into());
    }
    Ok(Portfolio {
        customer,
        orders,
        quotes,
        partial,
        missing: if partial { vec!["quotes"] } else { vec![] },
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holdings_are_stable_and_known() {
        assert_eq!(holdings("c0001"), holdings("c0001"));
        assert_eq!(holdings("c0042").len(), 3);
        assert!(holdings("c0042").iter().all(|s| SYMBOLS.contains(s)));
    }

    #[test]
    fn customers_are_checked() {
        assert!(valid_customer("c0001"));
        assert!(!valid_customer(""));
        assert!(!valid_customer("a/b"));
        assert!(!valid_customer(&"x".repeat(33)));
    }
}
