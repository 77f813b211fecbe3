use super::*;
use exposition::{parse, Format, Limits};
use types::RuleStatus;

const CATALOG: &str = include_str!("../../../../catalog/shared-metrics.toml");

fn catalog() -> MetricCatalog {
    MetricCatalog::parse(CATALOG, "shared-metrics.toml").expect("the shipped catalog is valid")
}

/// A service that speaks the format perfectly: process + http profiles.
const GOOD: &str = r#"# HELP process_cpu_seconds_total CPU.
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 1.5
# HELP process_resident_memory_bytes Memory.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1e6
# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{route="/a",method="GET",status="200"} 10
# HELP http_request_errors_total Errors.
# TYPE http_request_errors_total counter
http_request_errors_total{route="/a",kind="db"} 1
# HELP http_request_duration_seconds Latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{route="/a",le="0.1"} 8
http_request_duration_seconds_bucket{route="/a",le="+Inf"} 10
http_request_duration_seconds_sum{route="/a"} 0.5
http_request_duration_seconds_count{route="/a"} 10
"#;

fn run(text: &str) -> Vec<types::RuleResult> {
    let exp = parse(text, Format::Text, &Limits::default()).expect("parses");
    check(&exp, Format::Text, &catalog(), &["http".to_string()])
}

fn status(results: &[types::RuleResult], rule: &str) -> (RuleStatus, Vec<String>) {
    let r = results.iter().find(|r| r.rule == rule).expect("rule reported");
    (r.status, r.examples.clone())
}

#[test]
fn a_conforming_exposition_passes_every_rule() {
    let results = run(GOOD);
    assert_eq!(
        results.iter().map(|r| r.rule.as_str()).collect::<Vec<_>>(),
        RULES.iter().map(|r| r.name).collect::<Vec<_>>()
    );
    for r in &results {
        assert_eq!(r.status, RuleStatus::Pass, "{r:?}");
    }
}

#[test]
fn a_missing_family_and_a_wrong_type_fail() {
    let text = GOOD
        .replace("process_resident_memory_bytes", "process_heap")
        .replace("# TYPE http_requests_total counter", "# TYPE http_requests_total gauge");
    let results = run(&text);
    let (s, ex) = status(&results, "family_present");
    assert_eq!(s, RuleStatus::Fail);
    assert_eq!(ex, ["process_resident_memory_bytes (process gauge) is missing"]);
    let (s, ex) = status(&results, "type_matches");
    assert_eq!(s, RuleStatus::Fail);
    assert_eq!(ex, ["http_requests_total: gauge, expected counter"]);
}

#[test]
fn labels_required_and_allowed() {
    let text = GOOD.replace(
        r#"http_requests_total{route="/a",method="GET",status="200"} 10"#,
        "http_requests_total{method=\"GET\",status=\"200\"} 10\nhttp_requests_total{route=\"/b\",method=\"GET\",status=\"200\",pod=\"x\"} 1",
    );
    let results = run(&text);
    let (s, ex) = status(&results, "required_labels");
    assert_eq!(s, RuleStatus::Fail);
    assert_eq!(ex, [r#"http_requests_total{method="GET",status="200"} has no route label"#]);
    let (s, ex) = status(&results, "allowed_labels");
    assert_eq!(s, RuleStatus::Fail);
    assert!(ex[0].ends_with("label pod is not allowed"), "{ex:?}");
}

#[test]
fn histogram_buckets_are_checked() {
    let text = GOOD.replace(
        "http_request_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 8\nhttp_request_duration_seconds_bucket{route=\"/a\",le=\"+Inf\"} 10",
        "http_request_duration_seconds_bucket{route=\"/a\",le=\"0.5\"} 9\nhttp_request_duration_seconds_bucket{route=\"/a\",le=\"0.1\"} 8",
    );
    let (s, ex) = status(&run(&text), "histogram_buckets");
    assert_eq!(s, RuleStatus::Fail);
    assert!(ex.iter().any(|e| e.contains("not in rising order")), "{ex:?}");
    assert!(ex.iter().any(|e| e.contains("counts fall")), "{ex:?}");
    assert!(ex.iter().any(|e| e.contains("no le=\"+Inf\"")), "{ex:?}");
}

#[test]
fn cardinality_over_the_limit_fails() {
    let mut text = GOOD.to_string();
    for i in 0..501 {
        text.push_str(&format!("http_requests_total{{route=\"/r{i}\",method=\"GET\",status=\"200\"}} 1\n"));
    }
    let (s, ex) = status(&run(&text), "cardinality");
    assert_eq!(s, RuleStatus::Fail);
    assert_eq!(ex, ["http_requests_total: 502 series, limit 500"]);
}

#[test]
fn generic_lints_warn_on_other_families() {
    let text = format!(
        "{GOOD}# TYPE jobsDone counter\njobsDone 1\n# TYPE queue_total gauge\nqueue_total 3\n# HELP x_ms Latency.\n# TYPE x_ms gauge\nx_ms{{__bad=\"1\"}} 2\n"
    );
    let results = run(&text);
    assert_eq!(status(&results, "snake_case").0, RuleStatus::Warn);
    assert_eq!(status(&results, "unit_suffix").0, RuleStatus::Warn);
    let (s, ex) = status(&results, "promtool_lint");
    assert_eq!(s, RuleStatus::Fail, "{ex:?}");
    assert!(ex.iter().any(|e| e.contains("_total is for counters")), "{ex:?}");
    assert_eq!(status(&results, "help_present").0, RuleStatus::Warn);
}

#[test]
fn openmetrics_counter_names_match_the_catalog() {
    let om = "# TYPE process_cpu_seconds counter\n# UNIT process_cpu_seconds seconds\n# HELP process_cpu_seconds CPU.\nprocess_cpu_seconds_total 1\n# TYPE process_resident_memory_bytes gauge\n# UNIT process_resident_memory_bytes bytes\n# HELP process_resident_memory_bytes M.\nprocess_resident_memory_bytes 1\n# EOF\n";
    let exp = parse(om, Format::OpenMetrics, &Limits::default()).expect("parses");
    let results = check(&exp, Format::OpenMetrics, &catalog(), &[]);
    for r in &results {
        assert_eq!(r.status, RuleStatus::Pass, "{r:?}");
    }
}

#[test]
fn an_unknown_profile_is_named() {
    let exp = parse(GOOD, Format::Text, &Limits::default()).expect("parses");
    let results = check(&exp, Format::Text, &catalog(), &["htp".to_string()]);
    let (s, ex) = status(&results, "family_present");
    assert_eq!(s, RuleStatus::Fail);
    assert!(ex[0].contains("profile htp"), "{ex:?}");
}

#[test]
fn snapshot_of_the_verdicts_on_a_broken_exposition() {
    let text = GOOD
        .replace("# TYPE http_requests_total counter", "# TYPE http_requests_total gauge")
        .replace("route=\"/a\",method=\"GET\",status=\"200\"", "method=\"GET\",status=\"200\",pod=\"p-1\"")
        .replace("# HELP process_resident_memory_bytes Memory.\n", "");
    let rendered: Vec<String> = run(&text)
        .into_iter()
        .map(|r| {
            format!(
                "{} {}: {}\n{}",
                r.rule,
                r.status.as_str(),
                r.detail,
                r.examples.iter().map(|e| format!("  - {e}\n")).collect::<String>()
            )
        })
        .collect();
    insta::assert_snapshot!(rendered.concat());
}
