//! Spans the hub ingests per second: OTLP protobuf exports of 512 spans (64 traces of 8
//! spans, one in ten failing), decoded, sampled and kept, on SQLite and on PostgreSQL, from
//! four exporters at once on a 2-worker runtime; then the time to read a 2,000-span trace as
//! its page does (the spans from the store, the tree, the critical path, the first failing
//! service, the JSON the page receives).

use backend::Principal;
use otlp::{Decoded, Encoding};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;
use types::traces::{SpanStatus, SpanView};

const BATCH: usize = 512;
const BATCHES: usize = 200;
const EXPORTERS: usize = 4;
const SERVICES: [&str; 4] = ["portfolio-bff", "orders-api", "quotes", "order-writer"];

fn span(trace: u64, n: u64, parent: Option<u64>, start_us: i64, dur_us: i64, error: bool) -> Decoded {
    Decoded {
        trace_id: format!("{trace:032x}"),
        span: SpanView {
            span_id: format!("{:016x}", trace * 10_000 + n + 1),
            parent_id: parent.map(|p| format!("{:016x}", trace * 10_000 + p + 1)),
            service: SERVICES[usize::try_from(n).unwrap_or(0) % SERVICES.len()].to_string(),
            name: format!("op-{}", n % 5),
            start_us,
            duration_us: dur_us,
            status: if error { SpanStatus::Error } else { SpanStatus::Ok },
            status_message: error.then(|| "boom".to_string()),
            kind: "server".into(),
            attributes: BTreeMap::from([
                ("http.route".to_string(), format!("/r{}", n % 3)),
                (
                    "user_group".to_string(),
                    if trace.is_multiple_of(3) { "pro" } else { "retail" }.to_string(),
                ),
                ("resource.host.name".to_string(), format!("host-{}", trace % 7)),
            ]),
            events: vec![],
        },
    }
}

/// Batch `b`: 64 traces of 8 spans (a root and a chain), every tenth trace failing at its leaf.
fn batch(b: usize, t0: i64) -> Vec<u8> {
    let mut spans = Vec::with_capacity(BATCH);
    for t in 0..BATCH / 8 {
        let trace = u64::try_from(b * BATCH / 8 + t + 1).unwrap_or(1);
        let start = t0 + i64::try_from(trace).unwrap_or(0) * 1000;
        for n in 0..8u64 {
            let parent = n.checked_sub(1);
            let failing = trace.is_multiple_of(10) && n == 7;
            spans.push(span(trace, n, parent, start + i64::try_from(n).unwrap_or(0) * 100, 5_000, failing));
        }
    }
    otlp::encode::export(&spans)
}

fn exporter(i: usize) -> Principal {
    // One principal per batch: the per-caller rate limit is not what is measured here.
    Principal {
        user_id: 1,
        username: format!("bench-{i}"),
        role: types::Role::Developer,
        via_token: true,
        service: None,
    }
}

async fn ingest(hub: &Arc<backend::Hub>, label: &str) {
    let t0 = backend::now_ms() * 1000 - 600_000_000;
    let bodies: Arc<Vec<Vec<u8>>> = Arc::new((0..BATCHES).map(|b| batch(b, t0)).collect());
    let bytes: usize = bodies.iter().map(Vec::len).sum();
    let started = Instant::now();
    let cpu = bench::cpu_seconds();
    let mut tasks = Vec::new();
    for e in 0..EXPORTERS {
        let (hub, bodies) = (hub.clone(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            for b in (e..BATCHES).step_by(EXPORTERS) {
                hub.traces.ingest(&exporter(b), &bodies[b], Encoding::Protobuf, false).await.expect("kept");
            }
        }));
    }
    for t in tasks {
        t.await.expect("an exporter");
    }
    let secs = started.elapsed().as_secs_f64();
    let spans = BATCHES * BATCH;
    #[expect(clippy::cast_precision_loss, reason = "a rate")]
    let rate = spans as f64 / secs;
    println!(
        "{label}: {spans} spans in {BATCHES} exports of {BATCH} ({:.1} MB protobuf) in {secs:.2} s: {rate:.0} spans/s ({:.1} s of CPU)",
        bytes as f64 / 1e6,
        bench::cpu_seconds() - cpu
    );
}

async fn big_trace(hub: &Arc<backend::Hub>, label: &str) {
    // 2,000 spans: a root with 40 calls, each with 49 children (the BFF's fan-out, many times).
    let trace = 9_999_999_u64;
    let t0 = backend::now_ms() * 1000 - 60_000_000;
    let mut spans = vec![span(trace, 0, None, t0, 2_000_000, true)];
    let mut n = 1;
    for call in 0..40 {
        let call_id = n;
        spans.push(span(trace, call_id, Some(0), t0 + call * 40_000, 39_000, call == 17));
        n += 1;
        for k in 0..49 {
            spans.push(span(
                trace,
                n,
                Some(call_id),
                t0 + call * 40_000 + k * 700,
                600,
                call == 17 && k == 3,
            ));
            n += 1;
        }
    }
    // 1 + 40 × 50 = 2,001: the last leaf goes.
    spans.truncate(2000);
    for chunk in spans.chunks(BATCH) {
        hub.traces
            .ingest(&exporter(usize::MAX), &otlp::encode::export(chunk), Encoding::Protobuf, false)
            .await
            .expect("kept");
    }
    let id = format!("{trace:032x}");
    let me = exporter(0);
    let mut times = Vec::new();
    for _ in 0..20 {
        let started = Instant::now();
        let view = hub.traces.trace(&me, &id).await.expect("the trace");
        let json = serde_json::to_vec(&view).expect("json");
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(view.spans.len(), 2000);
        assert!(view.first_failing_service.is_some() && !json.is_empty());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: a 2,000-span trace read, assembled and serialised: p50 {:.1} ms, max {:.1} ms",
        times[10], times[19]
    );
}

async fn run(url: &str, label: &str) {
    let dir = std::env::temp_dir().join(format!("switchboard-span-ingest-{}-{label}", std::process::id()));
    let hub = Arc::new(bench::hub_at(url, &dir, String::new()).await.expect("a hub"));
    ingest(&hub, label).await;
    big_trace(&hub, label).await;
    hub.store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = std::env::temp_dir().join(format!("switchboard-span-ingest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let sqlite = format!("sqlite://{}?mode=rwc", dir.join("hub.db").display());
    run(&sqlite, "SQLite").await;
    let base = std::env::var("SWITCHBOARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let schema = format!("sbbench_{}", std::process::id());
    match sqlx::PgPool::connect(&base).await {
        Ok(pool) => {
            sqlx::query(&format!("CREATE SCHEMA {schema}")).execute(&pool).await.expect("a schema");
            let sep = if base.contains('?') { '&' } else { '?' };
            run(&format!("{base}{sep}options=-c%20search_path%3D{schema}"), "PostgreSQL").await;
            let _ = sqlx::query(&format!("DROP SCHEMA {schema} CASCADE")).execute(&pool).await;
        }
        Err(e) => println!("PostgreSQL at {base} unreachable ({e}): its figure is not measured"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}
