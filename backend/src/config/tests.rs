use super::*;
use std::time::Duration;

const GOOD: &str = r#"
[hub]
public_url = "http://127.0.0.1:3000"

[[services]]
name = "orders-api"
team = "orders"
scrape_interval = "5s"
[services.links]
runbook = "https://wiki.example/orders"

[[services.instances]]
name = "orders-api-1"
base_url = "http://127.0.0.1:9001"

[[services.instances]]
name = "orders-api-2"
base_url = "demo://orders-api-2"
"#;

fn error_for(text: &str) -> ConfigError {
    HubConfig::parse(text, "c.toml").expect_err("the config is refused")
}

#[test]
fn a_good_config_parses_with_defaults() {
    let c = HubConfig::parse(GOOD, "c.toml").expect("valid");
    let s = c.service("orders-api").expect("declared");
    assert_eq!(s.interval(), Duration::from_secs(5));
    assert_eq!(s.instances[0].metrics_path, "/metrics");
    assert_eq!(s.links.runbook.as_deref(), Some("https://wiki.example/orders"));
}

#[test]
fn unknown_key_names_line_and_field() {
    let e = error_for(&GOOD.replace("team = \"orders\"", "team = \"orders\"\nowner = \"x\""));
    assert_eq!(e.line, Some(8), "{e}");
    assert!(e.message.contains("owner"), "{e}");
    assert!(e.to_string().starts_with("config error in c.toml line 8:"), "{e}");
}

#[test]
fn duplicate_instance_is_refused_with_its_line() {
    let e = error_for(&GOOD.replace("demo://orders-api-2", "http://127.0.0.1:9001"));
    assert_eq!(e.line, Some(18), "{e}");
    assert!(e.message.contains("registered twice"), "{e}");
    let e = error_for(&GOOD.replace("name = \"orders-api-2\"", "name = \"orders-api-1\""));
    assert_eq!(e.line, Some(17), "{e}");
    assert!(e.message.contains("orders-api-1 twice"), "{e}");
}

#[test]
fn one_port_may_serve_several_targets_by_metrics_path() {
    // kubelet serves /metrics and /metrics/cadvisor on one port.
    let kubelet = "[[services]]\nname = \"kubelet\"\nteam = \"platform\"\n\
        [[services.instances]]\nname = \"node-1\"\nbase_url = \"http://10.0.0.1:10250\"\n\
        [[services]]\nname = \"cadvisor\"\nteam = \"platform\"\n\
        [[services.instances]]\nname = \"node-1\"\nbase_url = \"http://10.0.0.1:10250\"\nmetrics_path = \"/metrics/cadvisor\"\n";
    let c = HubConfig::parse(kubelet, "k.toml").expect("two targets on one port");
    assert_eq!(c.services[1].instances[0].metrics_path, "/metrics/cadvisor");
    let twice = kubelet.replace("metrics_path = \"/metrics/cadvisor\"\n", "");
    let e = HubConfig::parse(&twice, "k.toml").expect_err("the same target twice");
    assert_eq!(e.line, Some(12), "{e}");
    assert!(
        e.message.contains("services.instances.base_url") && e.message.contains("registered twice"),
        "{e}"
    );
}

#[test]
fn invalid_urls_and_intervals_are_refused() {
    for (bad, field) in [
        ("ftp://127.0.0.1:9001", "base_url"),
        ("http://", "base_url"),
        ("http://user:pw@host:1", "base_url"),
        ("http://host:99999", "base_url"),
    ] {
        let e = error_for(&GOOD.replace("http://127.0.0.1:9001", bad));
        assert_eq!(e.line, Some(14), "{bad}: {e}");
        assert!(e.message.contains(field), "{bad}: {e}");
    }
    let e = error_for(&GOOD.replace("\"5s\"", "\"often\""));
    assert_eq!(e.line, Some(8), "{e}");
    assert!(e.message.contains("scrape_interval"), "{e}");
}

#[test]
fn hub_section_is_checked() {
    let e = error_for("[hub]\n\npublic_url = \"ftp://x\"\n");
    assert!(e.message.starts_with("hub.public_url:"), "{e}");
    let e = error_for("[hub]\nsession_idle_minutes = \"ten\"\n");
    assert_eq!(e.line, Some(2));
}

#[test]
fn durations() {
    assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
    assert_eq!(parse_duration("2m"), Some(Duration::from_secs(120)));
    assert_eq!(parse_duration("5"), None);
    assert_eq!(parse_duration("s"), None);
}

#[test]
fn captures_policy_paths_and_triggers_are_checked() {
    let c = HubConfig::parse(GOOD, "c.toml").expect("valid");
    assert_eq!(c.captures.retention(), Duration::from_secs(14 * 86_400));
    let s = &c.services[0];
    assert_eq!(
        s.profiling.endpoint(types::CaptureKind::Cpu, 30).as_deref(),
        Some("/debug/pprof/profile?seconds=30")
    );
    assert_eq!(s.profiling.endpoint(types::CaptureKind::Threads, 0).as_deref(), Some("/debug/threads"));

    let profiling =
        "[services.profiling]\nthreads = \"/debug/pprof/goroutine?debug=2\"\ncpu = \"/pprof/cpu?rate=100\"\n";
    let go = GOOD.replacen("[services.links]", &format!("{profiling}[services.links]"), 1);
    let c = HubConfig::parse(&go, "c.toml").expect("valid");
    let p = &c.services[0].profiling;
    assert_eq!(p.endpoint(types::CaptureKind::Threads, 0).as_deref(), Some("/debug/pprof/goroutine?debug=2"));
    assert_eq!(p.endpoint(types::CaptureKind::Cpu, 10).as_deref(), Some("/pprof/cpu?rate=100&seconds=10"));

    let trigger = |body: &str| {
        GOOD.replacen(
            "[services.links]",
            &format!("[[services.capture_triggers]]\n{body}\n[services.links]"),
            1,
        )
    };
    let ok = trigger("metric = \"pool_utilisation\"\nabove = 0.9\nkind = \"threads\"");
    let c = HubConfig::parse(&ok, "c.toml").expect("valid");
    assert_eq!(c.services[0].capture_triggers[0].cooldown(), Duration::from_secs(600));
    for (body, field) in [
        ("metric = \"latency\"\nabove = 0.9\nkind = \"threads\"", "capture_triggers.metric"),
        ("metric = \"pool_utilisation\"\nabove = 1.5\nkind = \"threads\"", "capture_triggers.above"),
        ("metric = \"pool_utilisation\"\nabove = 0.9\nkind = \"core\"", "capture_triggers.kind"),
        (
            "metric = \"pool_utilisation\"\nabove = 0.9\nkind = \"cpu\"\nseconds = 500",
            "capture_triggers.seconds",
        ),
        (
            "metric = \"pool_utilisation\"\nabove = 0.9\nkind = \"threads\"\ncooldown = \"1s\"",
            "capture_triggers.cooldown",
        ),
    ] {
        let e = error_for(&trigger(body));
        assert!(e.message.contains(field), "{body}: {e}");
        // A bad kind is pointed at on its own line; the other checks name the trigger's.
        let line = if field.ends_with("kind") { 12 } else { 10 };
        assert_eq!(e.line, Some(line), "the line: {body}: {e}");
    }
    let e = error_for(&format!("{GOOD}\n[captures]\nretention = \"5m\"\n"));
    assert!(e.message.contains("captures.retention"), "{e}");
    let e = error_for(&format!("{GOOD}\n[captures]\nper_user_per_hour = 0\n"));
    assert!(e.message.contains("per_user_per_hour"), "{e}");
}

const READ_MODEL: &str = r#"
[[connections]]
name = "orders-source"
url = "postgres://app:${SB_NO_SUCH_PASSWORD:-pw}@db/orders"

[[connections]]
name = "orders-read"
url = "mysql://root@view/orders"

[[read_models]]
name = "orders"
service = "orders-api"
source = "orders-source"
read = "orders-read"
probe = { interval = "100ms", write = "heartbeat", read = "heartbeat_view" }
positions = { source = "SELECT max(seq) FROM outbox", read = "SELECT last_seq FROM projector_state" }
"#;

fn with_read_model(change: impl Fn(&str) -> String) -> String {
    format!("{GOOD}{}", change(READ_MODEL))
}

#[test]
fn a_read_model_parses_with_its_defaults() {
    let c = HubConfig::parse(&with_read_model(str::to_string), "c.toml").expect("valid");
    let m = &c.read_models[0];
    assert_eq!((m.slo_ms, m.objective, m.window()), (10.0, 0.99, Duration::from_secs(28 * 86_400)));
    assert_eq!((m.interval(), m.probe.id.as_str()), (Duration::from_millis(100), "hub"));
    assert_eq!(m.breach_after().probes, 3);
    assert_eq!(m.breach_after().outstanding, Duration::from_millis(300));
}

#[test]
fn read_model_mistakes_name_the_field_and_line() {
    // The read model's lines follow GOOD's (its [[connections]] starts on line 20).
    let cases = [
        (with_read_model(|m| m.replace("read = \"orders-read\"", "read = \"nope\"")), 32, "read_models.read"),
        (
            with_read_model(|m| m.replace("SELECT last_seq", "DELETE FROM projector_state; SELECT last_seq")),
            34,
            "positions.read",
        ),
        (
            with_read_model(|m| m.replace("write = \"heartbeat\"", "write = \"heartbeat; DROP TABLE x\"")),
            33,
            "probe.write",
        ),
        (
            with_read_model(|m| m.replace("service = \"orders-api\"", "service = \"ghost\"")),
            29,
            "read_models.service",
        ),
        (with_read_model(|m| m.replace("mysql://root@view", "oracle://root@view")), 26, "connections.url"),
        (with_read_model(|m| m.replace(":-pw}", "}")), 22, "SB_NO_SUCH_PASSWORD"),
        (with_read_model(|m| format!("{m}objective = 1.5\n")), 29, "read_models.objective"),
    ];
    for (text, line, field) in cases {
        let e = error_for(&text);
        assert_eq!(e.line, Some(line), "{field}: {e}");
        assert!(e.message.contains(field), "{field}: {e}");
    }
}

#[test]
fn a_password_in_a_parse_error_is_masked() {
    let e = error_for(&with_read_model(|m| {
        m.replace("url = \"mysql://root@view/orders\"", "url = 'mysql://root:hunter2@view/orders' x")
    }));
    assert!(!e.to_string().contains("hunter2"), "{e}");
}

#[test]
fn a_malformed_connection_url_is_a_config_error() {
    let e = error_for(&with_read_model(|m| {
        m.replace("mysql://root@view/orders", "mysql://root:pw@view:port/orders")
    }));
    assert_eq!(e.line, Some(26), "{e}");
    assert!(e.message.contains("is not valid") && !e.message.contains(":pw@"), "{e}");
}

#[test]
fn hostile_names_in_a_check_are_refused_before_anything_runs() {
    let check = |table: &str, key: &str, filter: &str| {
        format!(
            "{GOOD}[[connections]]\nname = \"a\"\nurl = \"sqlite://a.db\"\n[[checks]]\nname = \"c\"\n\
             source = {{ connection = \"a\", table = {table:?} }}\ntarget = {{ connection = \"a\", table = \"t\" }}\n\
             key = [{key:?}]\nfilter = {filter:?}\n"
        )
    };
    assert!(HubConfig::parse(&check("orders", "id", "status <> 'draft'"), "c.toml").is_ok());
    for (text, field) in [
        (check("orders; DROP TABLE x", "id", "id > 0"), "checks.source.table"),
        (check("\"orders\"", "id", "id > 0"), "checks.source.table"),
        (check("orders", "id) OR (1=1", "id > 0"), "checks.key"),
        (check("orders", "id", "id > 0; DROP TABLE orders"), "checks.filter"),
        (check("orders", "id", "id > (SELECT 1)"), "checks.filter"),
    ] {
        let e = error_for(&text);
        assert!(e.message.contains(field), "{field}: {e}");
    }
}

const ALERTS: &str = r#"
[[alerts]]
name = "orders-api-error-ratio"
services = ["orders-api"]
signal = "error_ratio"
window = "30s"
above = 0.05
capture = "threads"
receivers = ["oncall"]
labels = { team = "orders" }

[[receivers]]
name = "oncall"
webhook = { url = "http://127.0.0.1:9099/hook", format = "alertmanager" }
"#;

#[test]
fn alert_rules_and_receivers_parse_with_defaults() {
    use super::alerts::{Condition, Severity, SignalKind, WebhookFormat};
    let c = HubConfig::parse(&format!("{GOOD}{ALERTS}"), "c.toml").expect("valid");
    let rule = &c.alerts[0];
    assert_eq!(*rule.signal.get_ref(), SignalKind::ErrorRatio);
    assert_eq!(rule.window(), Duration::from_secs(30));
    assert_eq!(rule.hold(), Duration::ZERO);
    assert_eq!(rule.condition(), Condition::Above(0.05));
    assert_eq!(rule.severity, Severity::Ticket);
    assert_eq!(rule.capture_kind(), Some(types::CaptureKind::Threads));
    let r = &c.receivers[0];
    assert_eq!(r.webhook.as_ref().map(|w| w.format), Some(WebhookFormat::Alertmanager));
    assert_eq!(r.repeat_interval(), Duration::from_secs(4 * 3600));
    assert_eq!(r.group_wait(), Duration::ZERO, "sent at once unless told");
    let labels =
        [("alertname", "a"), ("service", "s"), ("team", "t")].map(|(k, v)| (k.to_string(), v.to_string()));
    assert_eq!(
        r.group_key(&labels.into_iter().collect()),
        [("alertname".to_string(), "a".to_string()), ("service".to_string(), "s".to_string())],
        "one alert per group unless told"
    );
    let anomaly = ALERTS.replace("above = 0.05", "anomaly = { baseline = \"1h\", factor = 3, floor = 0.01 }");
    let c = HubConfig::parse(&format!("{GOOD}{anomaly}"), "c.toml").expect("valid");
    assert_eq!(
        c.alerts[0].condition(),
        Condition::Anomaly { baseline: Duration::from_secs(3600), factor: 3.0, floor: 0.01 }
    );
}

#[test]
fn alert_mistakes_are_refused_with_line_and_field() {
    let bad = |from: &str, to: &str| error_for(&format!("{GOOD}{}", ALERTS.replace(from, to)));
    let e = bad("signal = \"error_ratio\"", "signal = \"errors\"");
    assert!(e.message.contains("unknown variant `errors`"), "{e}");
    let e = bad("receivers = [\"oncall\"]", "receivers = [\"pager\"]");
    assert!(e.message.contains("alerts.receivers: orders-api-error-ratio names receiver \"pager\""), "{e}");
    let e = bad("services = [\"orders-api\"]", "services = [\"billing\"]");
    assert!(e.message.contains("names service \"billing\""), "{e}");
    let e = bad("above = 0.05", "above = 0.05\nbelow = 0.01");
    assert!(e.message.contains("exactly one of above, below or anomaly"), "{e}");
    let e = bad("capture = \"threads\"", "capture = \"upload\"");
    assert!(e.message.contains("alerts.capture"), "{e}");
    let e = bad("window = \"30s\"", "window = \"soon\"");
    assert!(e.message.contains("alerts.window") && e.line.is_some(), "{e}");
    let e = bad("http://127.0.0.1:9099/hook", "ftp://x/hook");
    assert!(e.message.contains("receivers.url: oncall"), "{e}");
    let e = bad("webhook = { url = \"http://127.0.0.1:9099/hook\", format = \"alertmanager\" }", "");
    assert!(e.message.contains("needs exactly one of webhook"), "{e}");
    let e = bad("signal = \"error_ratio\"", "signal = \"pool_utilisation\"\nsource = \"events\"");
    assert!(e.message.contains("events give error_ratio and latency_p95 only"), "{e}");
    let e = bad("labels = { team = \"orders\" }", "labels = { \"bad label\" = \"x\" }");
    assert!(e.message.contains("alerts.labels"), "{e}");
    let hook = "format = \"alertmanager\" }";
    let e = bad(hook, &format!("{hook}\ngroup_wait = \"2h\""));
    assert!(e.message.contains("receivers.group_wait: oncall"), "{e}");
    let e = bad(hook, &format!("{hook}\ngroup_by = [\"service\", \"no such\"]"));
    assert!(e.message.contains("receivers.group_by: oncall: \"no such\""), "{e}");
}
