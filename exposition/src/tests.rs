use super::*;

fn text(input: &str) -> Exposition<'_> {
    parse(input, Format::Text, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn om(input: &str) -> Exposition<'_> {
    parse(input, Format::OpenMetrics, &Limits::default()).unwrap_or_else(|e| panic!("{e}"))
}

fn text_err(input: &str) -> ParseError {
    parse(input, Format::Text, &Limits::default()).expect_err("refused")
}

fn om_err(input: &str) -> ParseError {
    parse(input, Format::OpenMetrics, &Limits::default()).expect_err("refused")
}

const NODE: &str = r#"# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 2.4e+06
node_cpu_seconds_total{cpu="0",mode="user"} 1234.5 1700000000000
# HELP http_request_duration_seconds Latency.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 3
http_request_duration_seconds_bucket{le="+Inf"} 5
http_request_duration_seconds_sum 0.7
http_request_duration_seconds_count 5
# TYPE rpc_seconds summary
rpc_seconds{quantile="0.5"} 0.01
rpc_seconds{quantile="0.99"} NaN
rpc_seconds_sum 1.5
rpc_seconds_count 20
untyped_thing -Inf
"#;

#[test]
fn text_families_types_and_values() {
    let e = text(NODE);
    let names: Vec<(&str, &str, usize)> =
        e.families.iter().map(|f| (f.name, f.kind.as_str(), e.samples_of(f).len())).collect();
    assert_eq!(
        names,
        [
            ("node_cpu_seconds_total", "counter", 2),
            ("http_request_duration_seconds", "histogram", 4),
            ("rpc_seconds", "summary", 4),
            ("untyped_thing", "unknown", 1),
        ]
    );
    let cpu = &e.samples_of(&e.families[0])[1];
    assert_eq!(e.label(cpu, "mode"), Some("user"));
    assert_eq!(cpu.value, 1234.5);
    assert_eq!(cpu.timestamp_ms, Some(1_700_000_000_000));
    assert_eq!(e.families[0].help.as_deref(), Some("Seconds the CPUs spent in each mode."));
    assert!(e.samples_of(&e.families[2])[1].value.is_nan());
    assert_eq!(e.samples_of(&e.families[3])[0].value, f64::NEG_INFINITY);
    assert_eq!(e.samples_of(&e.families[1])[1].line, 8);
}

#[test]
fn escapes_in_label_values_and_help() {
    let e = text("# HELP m A \\\\ back\\nslash\nm{path=\"C:\\\\dir\",q=\"say \\\"hi\\\"\",nl=\"a\\nb\"} 1\n");
    let s = &e.samples[0];
    assert_eq!(e.label(s, "path"), Some("C:\\dir"));
    assert_eq!(e.label(s, "q"), Some("say \"hi\""));
    assert_eq!(e.label(s, "nl"), Some("a\nb"));
    assert_eq!(e.families[0].help.as_deref(), Some("A \\ back\nslash"));
    // The text format keeps an unknown escape as Prometheus does; OpenMetrics refuses it.
    let e = text("m{a=\"x\\ty\"} 1\n");
    assert_eq!(e.label(&e.samples[0], "a"), Some("x\\ty"));
    let err = om_err("m{a=\"x\\ty\"} 1\n# EOF\n");
    assert_eq!((err.line, err.column), (1, 7), "{err}");
    assert!(err.message.contains("bad escape"), "{err}");
}

#[test]
fn text_is_lenient_where_prometheus_is() {
    let e = text("\n# a plain comment\nm { a = \"1\" , b=\"2\", } 3\t\n\n  \n#no space comment\nn 4\r\n");
    assert_eq!(e.samples.len(), 2);
    assert_eq!(e.label(&e.samples[0], "b"), Some("2"));
    assert_eq!(e.samples[1].value, 4.0);
}

#[test]
fn openmetrics_with_unit_created_and_exemplars() {
    let e = om(concat!(
        "# TYPE http_requests counter\n",
        "# UNIT http_requests \n",
        "# HELP http_requests Requests.\n",
        "http_requests_total{route=\"/a\"} 3 # {trace_id=\"abc123\"} 1 1700000000.5\n",
        "http_requests_created{route=\"/a\"} 1700000000\n",
        "# TYPE latency_seconds histogram\n",
        "# UNIT latency_seconds seconds\n",
        "latency_seconds_bucket{le=\"0.5\"} 1 # {trace_id=\"t\"} 0.3\n",
        "latency_seconds_bucket{le=\"+Inf\"} 2\n",
        "latency_seconds_sum 0.9\n",
        "latency_seconds_count 2\n",
        "# TYPE build info\n",
        "build_info{version=\"1.2\"} 1 1700000000.250\n",
        "# EOF\n",
    ));
    assert_eq!(e.families.len(), 3);
    let total = &e.samples[0];
    let ex = total.exemplar.as_ref().expect("exemplar");
    assert_eq!(ex.labels[0].value, "abc123");
    assert_eq!((ex.value, ex.timestamp), (1.0, Some(1_700_000_000.5)));
    assert_eq!(e.samples_of(&e.families[0]).len(), 2);
    assert_eq!(e.families[1].unit, Some("seconds"));
    assert_eq!(e.samples_of(&e.families[2])[0].timestamp_ms, Some(1_700_000_000_250));
}

#[test]
fn openmetrics_is_strict() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("m 1\n", (2, 1), "must end with # EOF"),
        ("m 1\n# EOF\nn 2\n", (3, 1), "nothing may follow"),
        ("m 1\n\n# EOF\n", (2, 1), "blank lines"),
        ("m  1\n# EOF\n", (1, 3), "expected a value"),
        ("# TYPE c counter\nc 1\n# EOF\n", (2, 1), "_total"),
        ("# a comment\n# EOF\n", (1, 3), "HELP, TYPE, UNIT or EOF"),
        ("m{a=\"1\",} 1\n# EOF\n", (1, 9), "label name after ,"),
        ("# TYPE m gauge\n# UNIT m seconds\n# EOF\n", (2, 10), "suffix"),
        ("a 1\nb 1\na{x=\"1\"} 2\n# EOF\n", (3, 1), "not together"),
        ("m inf\n# EOF\n", (1, 3), "expected a value"),
    ];
    for (input, (line, column), needle) in cases {
        let e = om_err(input);
        assert_eq!((e.line, e.column), (*line, *column), "{input:?}: {e}");
        assert!(e.message.contains(needle), "{input:?}: {e}");
    }
}

#[test]
fn malformed_text_names_line_column_and_expectation() {
    let cases: &[(&str, (usize, usize), &str)] = &[
        ("m{a=\"1\" 1\n", (1, 9), "expected , or }"),
        ("m{a=\"1\"} \n", (1, 10), "expected a value"),
        ("m{a=1} 1\n", (1, 5), "expected \" to open"),
        ("m{a=\"unterminated} 1\n", (1, 21), "close the label value"),
        ("m 1 2 3\n", (1, 7), "unexpected text"),
        ("m 1 12x\n", (1, 5), "milliseconds"),
        ("m abc\n", (1, 3), "found \"abc\""),
        ("9m 1\n", (1, 1), "metric name"),
        ("m{9=\"1\"} 1\n", (1, 3), "label name"),
        ("# TYPE m flux\nm 1\n", (1, 10), "unknown metric type"),
        ("# TYPE m counter\n# TYPE m gauge\n", (2, 1), "second TYPE"),
        ("m 1\n# TYPE m counter\n", (2, 8), "after its samples"),
        ("m{a=\"1\"} 1\nm{a=\"1\"} 2\n", (2, 1), "duplicate series"),
        ("m{a=\"1\",a=\"2\"} 1\n", (1, 9), "appears twice"),
        ("# TYPE s stateset\n", (1, 10), "unknown metric type"),
    ];
    for (input, (line, column), needle) in cases {
        let e = text_err(input);
        assert_eq!((e.line, e.column), (*line, *column), "{input:?}: {e}");
        assert!(e.message.contains(needle), "{input:?}: {e}");
    }
}

#[test]
fn truncated_bodies_fail_cleanly() {
    let full = "# TYPE m histogram\nm_bucket{le=\"1\"} 1\nm_bucket{le=\"+Inf\"} 2\nm_sum 3\nm_count 2\n";
    for cut in 0..full.len() {
        // Every prefix either parses or fails with an error; none panics.
        let _ = parse(&full[..cut], Format::Text, &Limits::default());
        let _ = parse(&full[..cut], Format::OpenMetrics, &Limits::default());
    }
    let e = text_err("m{a=\"1\",b");
    assert!(e.message.contains("expected = after the label name b"), "{e}");
}

#[test]
fn families_declared_in_another_order_than_their_samples() {
    let e = text("# HELP a A.\n# HELP b B.\nb 1\na 2\n");
    assert_eq!(e.samples_of(&e.families[0])[0].value, 2.0);
    assert_eq!(e.samples_of(&e.families[1])[0].value, 1.0);
    let err = om_err("# HELP a A.\n# HELP b B.\nb 1\na 2\n# EOF\n");
    assert!(err.message.contains("not together"), "{err}");
}

#[test]
fn interleaved_text_families_are_grouped() {
    let e = text("a 1\nb 2\na{x=\"1\"} 3\n");
    assert_eq!(e.families.len(), 2);
    assert_eq!(e.samples_of(&e.families[0]).iter().map(|s| s.value).collect::<Vec<_>>(), [1.0, 3.0]);
    assert_eq!(e.samples_of(&e.families[1])[0].value, 2.0);
}

#[test]
fn limits_are_enforced_with_their_reason() {
    let limits = Limits {
        max_samples: 2,
        max_labels_per_sample: 2,
        max_label_value_len: 5,
        max_bytes: 100,
        ..Limits::default()
    };
    let e = parse("a 1\nb 1\nc 1\n", Format::Text, &limits).expect_err("too many");
    assert!(e.message.contains("more than 2 samples"), "{e}");
    let e = parse("a{x=\"1\",y=\"2\",z=\"3\"} 1\n", Format::Text, &limits).expect_err("too many labels");
    assert!(e.message.contains("more than 2 labels"), "{e}");
    let e = parse("a{x=\"123456\"} 1\n", Format::Text, &limits).expect_err("too long");
    assert!(e.message.contains("longer than 5"), "{e}");
    let e = parse(&"a 1\n".repeat(30), Format::Text, &limits).expect_err("too big");
    assert!(e.message.contains("over the limit"), "{e}");
}

#[test]
fn content_type_picks_the_format() {
    assert_eq!(format_of("application/openmetrics-text; version=1.0.0; charset=utf-8"), Format::OpenMetrics);
    assert_eq!(format_of("text/plain; version=0.0.4"), Format::Text);
    assert_eq!(format_of(""), Format::Text);
}

/// A readable rendering of what the parser understood, for snapshots.
fn outline(e: &Exposition<'_>) -> String {
    let mut out = String::new();
    for f in &e.families {
        out.push_str(&format!(
            "{} {} unit={:?} help={:?}\n",
            f.name,
            f.kind.as_str(),
            f.unit.unwrap_or(""),
            f.help.as_deref().unwrap_or("")
        ));
        for s in e.samples_of(f) {
            let labels: Vec<String> =
                e.labels_of(s).iter().map(|l| format!("{}={:?}", l.name, l.value)).collect();
            let ex = s
                .exemplar
                .as_ref()
                .map(|x| format!(" exemplar={:?}@{}", x.labels[0].value, x.value))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {}{{{}}} = {} ts={:?}{ex}\n",
                s.name,
                labels.join(","),
                s.value,
                s.timestamp_ms
            ));
        }
    }
    out
}

#[test]
fn snapshot_of_a_text_exposition() {
    insta::assert_snapshot!(outline(&text(NODE)));
}

#[test]
fn snapshot_of_an_openmetrics_exposition() {
    let body = concat!(
        "# TYPE requests counter\n# HELP requests Requests.\n",
        "requests_total{route=\"/a\",note=\"say \\\"hi\\\"\"} 3 # {trace_id=\"abc\"} 1 1700000000.5\n",
        "requests_created{route=\"/a\",note=\"say \\\"hi\\\"\"} 1700000000\n",
        "# TYPE temperature_celsius gauge\n# UNIT temperature_celsius celsius\ntemperature_celsius -Inf 1700000001.250\n",
        "# TYPE build info\nbuild_info{version=\"1.2\"} 1\n",
        "# EOF\n",
    );
    insta::assert_snapshot!(outline(&om(body)));
}
