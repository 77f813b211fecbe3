//! `quotes`: the last price of instruments, `GET /quotes?symbols=AAPL,MSFT`. Prices walk
//! slowly with the clock; chaos makes it fail or slow like any other service.

use crate::instance::Shared;
use crate::serve::{self, Failure, Request};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use axum::Router;
use serde::{Deserialize, Serialize};

const SERVICE: &str = "quotes";
/// The most symbols one request may ask for.
const MAX_SYMBOLS: usize = 50;

pub fn declare_metrics(i: &Shared) {
    serve::declare_http_metrics(i);
}

pub fn routes() -> Router<Shared> {
    Router::new().route("/quotes", get(quotes))
}

#[derive(Deserialize)]
struct QuotesQuery {
    symbols: Option<String>,
}

#[derive(Serialize)]
pub struct Quote {
    pub symbol: String,
    pub price_cents: i64,
    pub ts_ms: i64,
}

/// Symbols are 1 to 12 letters, digits, dots or dashes.
fn symbols(list: &str) -> Result<Vec<String>, String> {
    let symbols: Vec<String> =
        list.split(',').map(str::trim).filter(|s| !s.is_empty()).map(str::to_ascii_uppercase).collect();
    if symbols.is_empty() {
        return Err("symbols= names at least one symbol".into());
    }
    if symbols.len() > MAX_SYMBOLS {
        return Err(format!("at most {MAX_SYMBOLS} symbols at once"));
    }
    if let Some(bad) = symbols
        .iter()
        .find(|s| s.len() > 12 || !s.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'))
    {
        return Err(format!("{bad:?} is not a symbol"));
    }
    Ok(symbols)
}

/// A price that moves a little every second, the same for every instance.
pub fn price_cents(symbol: &str, ts_ms: i64) -> i64 {
    let base = symbol.bytes().fold(7_919i64, |h, b| (h * 31 + i64::from(b)) % 90_000) + 1_000;
    let second = ts_ms / 1000;
    base + (second + base).rem_euclid(200) - 100
}

async fn quotes(State(i): State<Shared>, Query(q): Query<QuotesQuery>, headers: HeaderMap) -> Response {
    let req = Request::new(SERVICE, "/quotes", &headers);
    let symbols = match symbols(q.symbols.as_deref().unwrap_or("")) {
        Ok(s) => s,
        Err(why) => {
            return serve::refuse(&i, &req, Failure::new(StatusCode::BAD_REQUEST, "bad_request", why))
        }
    };
    const FRAMES: &[&str] = &["demo::quotes::price_cents", "demo::quotes::quotes", "demo::pool::run_task"];
    serve::answer(i, req, FRAMES, async move {
        let now = crate::chaos::now_ms();
        Ok(symbols
            .into_iter()
            .map(|symbol| Quote { price_cents: price_cents(&symbol, now), symbol, ts_ms: now })
            .collect::<Vec<_>>())
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_checked() {
        assert_eq!(symbols("aapl, MSFT,,").unwrap(), vec!["AAPL", "MSFT"]);
        assert!(symbols("").is_err());
        assert!(symbols("a;drop").unwrap_err().contains("not a symbol"));
        assert!(symbols(&vec!["X"; 51].join(",")).unwrap_err().contains("at most"));
    }

    #[test]
    fn prices_are_positive_and_move_slowly() {
        let a = price_cents("AAPL", 1_000_000);
        let b = price_cents("AAPL", 1_001_000);
        assert!(a > 0 && (a - b).abs() <= 200);
    }
}
