//! The store goes away while the hub runs, and comes back: /readyz and the API say so, and
//! the hub recovers by itself. PostgreSQL behind a TCP proxy that the test cuts and restores.

mod common;

use common::{Engine, TestHub, TestStore, ADMIN_PASSWORD};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

async fn status_within(client: &reqwest::Client, url: &str, want: u16, limit: Duration) -> u16 {
    let deadline = Instant::now() + limit;
    loop {
        let got = client.get(url).send().await.map(|r| r.status().as_u16()).unwrap_or(0);
        if got == want || Instant::now() > deadline {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn the_hub_reports_a_lost_store_and_recovers() {
    let Some(store) = TestStore::new(Engine::Postgres).await else {
        return;
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr: SocketAddr = listener.local_addr().unwrap();
    let target = "127.0.0.1:5432".to_string();
    let mut cut = CancellationToken::new();
    tokio::spawn(common::proxy(listener, target.clone(), cut.clone()));

    let mut settings = common::settings(&store);
    let proxied = store.url.replace("127.0.0.1:5432", &addr.to_string());
    assert_ne!(proxied, store.url, "the test store must be on 127.0.0.1:5432");
    settings.database_url = Some(proxied);
    let running = server::start(&settings).await.expect("hub starts");
    let hub = TestHub { base: format!("http://{}", running.addr), running };
    let client = hub.session("admin", ADMIN_PASSWORD).await;

    cut.cancel();
    assert_eq!(status_within(&client, &hub.url("/readyz"), 503, Duration::from_secs(10)).await, 503);
    let me = client.get(hub.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), 503, "a lost store is 'unavailable', not 'log in again'");
    assert_eq!(me.json::<serde_json::Value>().await.unwrap()["error"], "unavailable");
    assert_eq!(
        client.get(hub.url("/healthz")).send().await.unwrap().status(),
        200,
        "the process still serves"
    );

    cut = CancellationToken::new();
    let listener = TcpListener::bind(addr).await.expect("the proxy's port again");
    tokio::spawn(common::proxy(listener, target, cut.clone()));
    assert_eq!(status_within(&client, &hub.url("/readyz"), 200, Duration::from_secs(20)).await, 200);
    assert_eq!(status_within(&client, &hub.url("/api/v1/me"), 200, Duration::from_secs(20)).await, 200);
    cut.cancel();
    hub.running.shutdown.cancel();
    let _ = hub.running.finished.await;
    store.drop_schema().await;
}
