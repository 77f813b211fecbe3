//! The metric explorer: any family a service exposes, filtered by labels, from the history.

use super::history::{History, SeriesKey};
use super::panels::Line;
use super::render::{chart_svg, Chart};
use types::{ExploreRow, ExploreView};

const MAX_LINES: usize = 12;
const MAX_ROWS: usize = 200;

/// `name=value, name2=value2` (exact matches); an error names the part it cannot read.
pub fn parse_matchers(text: &str) -> Result<Vec<(String, String)>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(n, v)| (n.trim().to_string(), v.trim().trim_matches('"').to_string()))
                .filter(|(n, _)| !n.is_empty())
                .ok_or_else(|| format!("{p:?} is not name=value"))
        })
        .collect()
}

fn label_text(k: &SeriesKey) -> String {
    k.labels.iter().map(|(n, v)| format!("{n}=\"{v}\"")).collect::<Vec<_>>().join(", ")
}

pub struct Query<'a> {
    pub services: Vec<String>,
    pub service: &'a str,
    pub metric: &'a str,
    pub matchers: &'a [(String, String)],
    pub from: i64,
    pub to: i64,
}

pub fn explore(history: &History, q: &Query<'_>) -> Result<ExploreView, String> {
    let names = if q.service.is_empty() { vec![] } else { history.names(q.service) };
    if q.metric.is_empty() {
        return Ok(ExploreView {
            services: q.services.clone(),
            names,
            svg: None,
            rows: vec![],
            truncated: false,
        });
    }
    let found: Vec<(SeriesKey, Vec<(i64, f64)>)> = history
        .query(q.service, None, q.metric, q.from, q.to)
        .into_iter()
        .filter(|(k, _)| q.matchers.iter().all(|(n, v)| k.label(n) == Some(v.as_str())))
        .collect();
    let truncated = found.len() > MAX_ROWS;
    let lines: Vec<Line> = found
        .iter()
        .take(MAX_LINES)
        .map(|(k, p)| Line { label: format!("{} {{{}}}", k.instance, label_text(k)), points: p.clone() })
        .collect();
    let svg = chart_svg(&Chart {
        lines: &lines,
        alarms: &[],
        threshold: None,
        unit: "value",
        from: q.from,
        to: q.to,
    })?;
    let rows = found
        .iter()
        .take(MAX_ROWS)
        .map(|(k, p)| {
            let values = p.iter().map(|x| x.1).filter(|v| v.is_finite());
            ExploreRow {
                instance: k.instance.clone(),
                labels: label_text(k),
                last: p.last().map_or(f64::NAN, |x| x.1),
                min: values.clone().fold(f64::INFINITY, f64::min),
                max: values.fold(f64::NEG_INFINITY, f64::max),
                points: p.len(),
            }
        })
        .collect();
    Ok(ExploreView { services: q.services.clone(), names, svg: Some(svg), rows, truncated })
}

#[cfg(test)]
mod tests {
    use super::*;
    use exposition::{parse, Format, Limits};
    use std::time::Duration;

    #[test]
    fn picks_a_family_and_filters_by_labels() {
        let h = History::new(Duration::from_secs(3600));
        for t in 0..5i64 {
            let body = format!("m{{zone=\"a\"}} {t}\nm{{zone=\"b\"}} {}\nother 1\n", t * 2);
            h.append(
                "svc",
                "svc-1",
                &parse(&body, Format::Text, &Limits::default()).expect("parses"),
                t * 1000,
            );
        }
        let matchers = parse_matchers("zone = \"b\"").expect("reads");
        let q = Query {
            services: vec!["svc".into()],
            service: "svc",
            metric: "m",
            matchers: &matchers,
            from: 0,
            to: 10_000,
        };
        let view = explore(&h, &q).expect("explores");
        assert_eq!(view.names, ["m", "other"]);
        assert_eq!(view.rows.len(), 1);
        assert_eq!(view.rows[0].labels, "zone=\"b\"");
        assert_eq!(
            (view.rows[0].last, view.rows[0].min, view.rows[0].max, view.rows[0].points),
            (8.0, 0.0, 8.0, 5)
        );
        assert!(view.svg.is_some_and(|s| s.contains("svc-1")));
        assert!(parse_matchers("zone").is_err());
    }
}
