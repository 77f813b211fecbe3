use super::*;
use exposition::{parse, Format, Limits};

fn scrape(history: &History, t: i64, requests: f64) {
    let text = format!(
        "http_requests_total{{route=\"/a\",method=\"GET\",status=\"200\"}} {requests}\nhttp_requests_total{{status=\"500\",route=\"/a\",method=\"GET\"}} 1\nup 1\n"
    );
    let exp = parse(&text, Format::Text, &Limits::default()).expect("parses");
    history.append("svc", "svc-1", &exp, t);
}

#[test]
fn appends_and_queries_by_service_instance_and_name() {
    let h = History::new(Duration::from_secs(3600));
    for i in 0..300 {
        scrape(&h, 1_000_000 + i * 5000, (i * 10) as f64);
    }
    let got = h.query("svc", Some("svc-1"), "http_requests_total", 0, i64::MAX);
    assert_eq!(got.len(), 2, "two series (label order does not matter)");
    let ok = got.iter().find(|(k, _)| k.label("status") == Some("200")).expect("the 200 series");
    assert_eq!(ok.1.len(), 300);
    assert_eq!(ok.1[299], (1_000_000 + 299 * 5000, 2990.0));
    let window = h.query("svc", None, "http_requests_total", 1_000_000 + 100 * 5000, 1_000_000 + 109 * 5000);
    assert_eq!(window[0].1.len(), 10);
    assert!(h.query("svc", Some("svc-2"), "http_requests_total", 0, i64::MAX).is_empty());
    assert_eq!(h.names("svc"), ["http_requests_total", "up"]);
    assert!(h.encoded_bytes() < 300 * 3 * 4, "compact: {} bytes for 900 points", h.encoded_bytes());
}

#[test]
fn prunes_past_the_retention() {
    let h = History::new(Duration::from_secs(60));
    for i in 0..400 {
        scrape(&h, i * 1000, 1.0);
    }
    h.prune(400 * 1000);
    let left = h.query("svc", Some("svc-1"), "up", 0, i64::MAX);
    assert!(left[0].1.first().is_some_and(|p| p.0 >= 400_000 - 60_000 - 120_000), "old chunks went");
    h.prune(10_000_000);
    assert_eq!(h.series_count(), 0);
}

#[test]
fn saved_blobs_restore_every_point() {
    let h = History::new(Duration::from_secs(3600));
    for i in 0..250 {
        scrape(&h, 1_000 + i * 1000, i as f64);
    }
    let dirty = h.take_dirty();
    assert_eq!(dirty.len(), 3);
    assert!(h.take_dirty().is_empty(), "saved series are clean until they change");
    let (key, blob, _) = dirty.iter().find(|(k, _, _)| k.contains("status=200")).expect("series");
    let restored = series_from_blob(blob);
    assert_eq!(restored.points_between(0, i64::MAX).len(), 250);
    assert_eq!(SeriesKey::decode(key).labels.len(), 3);
    assert!(series_from_blob(&blob[..blob.len() / 2]).points_between(0, i64::MAX).len() < 250);
}
