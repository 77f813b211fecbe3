//! Several hubs on one store: one of them evaluates the alert rules (it holds the
//! evaluation lease), so an episode is opened and notified once; when that hub stops
//! renewing, another takes over the episodes as it left them.

mod common;

use backend::alerts::Source;
use common::TestStore;

const CONFIG: &str = r#"
[[services]]
name = "api"
team = "t"
metric_profiles = ["http"]
[[services.instances]]
name = "api-1"
base_url = "http://127.0.0.1:9"

[[alerts]]
name = "api-errors"
services = ["api"]
signal = "error_ratio"
window = "5s"
above = 0.1
"#;

/// A hub as the server opens one, on the test's store, with a data directory (and so a hub
/// id) of its own.
async fn hub(store: &TestStore, id: &str) -> backend::Hub {
    let dir = store.data_dir().join(id);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("hub-id"), id).expect("hub id");
    std::fs::write(dir.join("lease.toml"), CONFIG).expect("config");
    let mut settings = common::settings(store);
    settings.config = Some(dir.join("lease.toml"));
    settings.data_dir = dir;
    server::open_hub(&settings, None).await.expect("a hub").0
}

/// One scrape of api-1 at `t`: `requests` so far, `errors` of them failed.
fn scrape(hub: &backend::Hub, t: i64, requests: u64, errors: u64) {
    let body = format!(
        "# TYPE http_requests_total counter\nhttp_requests_total{{route=\"/a\"}} {requests}\n\
         # TYPE http_request_errors_total counter\nhttp_request_errors_total{{route=\"/a\",kind=\"db\"}} {errors}\n"
    );
    let exp =
        exposition::parse(&body, exposition::Format::Text, &exposition::Limits::default()).expect("parses");
    hub.metrics.history().append("api", "api-1", &exp, t);
}

fn admin() -> backend::Principal {
    backend::Principal {
        user_id: 0,
        username: "test".into(),
        role: types::Role::Admin,
        via_token: false,
        service: None,
    }
}

async fn episodes(hub: &backend::Hub) -> Vec<types::alerts::AlertView> {
    hub.alerts.list(&admin(), types::alerts::AlertFilter::All).await.expect("list")
}

async fn one_hub_of_two_evaluates_and_another_takes_its_episodes_over(store: &TestStore) {
    let (a, b) = (hub(store, "hub-a").await, hub(store, "hub-b").await);
    let start = common::now_ms() - 20_000;
    // Both hubs scrape the same instance: half of its requests fail from the tenth second.
    for s in 0..20_u64 {
        let (requests, errors) = (s * 10, s.saturating_sub(10) * 5);
        for h in [&a, &b] {
            scrape(h, start + i64::try_from(s).expect("small") * 1000, requests, errors);
        }
    }
    let now = start + 19_000;
    a.alerts.evaluate("api", now, Source::Scrape).await;
    b.alerts.evaluate("api", now, Source::Scrape).await;
    b.alerts.evaluate("api", now, Source::Scrape).await;
    let list = episodes(&a).await;
    assert_eq!(list.len(), 1, "one episode, opened by the hub holding the lease: {list:?}");
    assert_eq!(list[0].state, types::alerts::AlertState::Firing);
    let (holder, _) =
        backend::store::lease::holder(&a.store, "alert evaluation").await.expect("read").expect("held");
    assert_eq!(holder, "hub-a");

    // Hub a stops without a word: its lease runs out, and b takes the episode over — first
    // while the errors go on (the episode stays the one firing, its value written again)…
    sqlx::query("UPDATE hub_leases SET until_ms = 0").execute(a.store.pool()).await.expect("expire");
    scrape(&b, start + 20_000, 200, 55);
    b.alerts.evaluate("api", start + 20_000, Source::Scrape).await;
    let list = episodes(&b).await;
    assert_eq!(list.len(), 1, "b kept a's episode: {list:?}");
    assert_eq!(list[0].state, types::alerts::AlertState::Firing, "{list:?}");
    // …then once they stop.
    for s in 21..30 {
        scrape(&b, start + s * 1000, u64::try_from(s).expect("small") * 10, 50);
    }
    b.alerts.evaluate("api", start + 29_000, Source::Scrape).await;
    let list = episodes(&b).await;
    assert_eq!(list.len(), 1, "b resolved a's episode instead of opening its own: {list:?}");
    assert_eq!(list[0].state, types::alerts::AlertState::Resolved, "{list:?}");
    let (holder, _) =
        backend::store::lease::holder(&b.store, "alert evaluation").await.expect("read").expect("held");
    assert_eq!(holder, "hub-b");
}

both_engines!(evaluation_lease, one_hub_of_two_evaluates_and_another_takes_its_episodes_over);
