use crate::api::metrics::matrix;
use crate::components::errors::ErrorNote;
use crate::components::guard::RequireRole;
use crate::components::poll::ticker;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use std::time::Duration;
use types::{ConformanceMatrix, MatrixRow, Role, RuleStatus};

#[component]
pub fn ConformancePage() -> impl IntoView {
    view! {
        <Title text="Conformance"/>
        <RequireRole role=Role::Viewer>
            <Matrix/>
        </RequireRole>
    }
}

pub fn status_class(s: Option<RuleStatus>) -> &'static str {
    match s {
        Some(RuleStatus::Pass) => "cell pass",
        Some(RuleStatus::Warn) => "cell warn",
        Some(RuleStatus::Fail) => "cell fail",
        None => "cell none",
    }
}

pub fn status_label(s: Option<RuleStatus>) -> &'static str {
    s.map_or("–", RuleStatus::as_str)
}

fn sorted(mut rows: Vec<MatrixRow>, sort: &str) -> Vec<MatrixRow> {
    if sort == "name" {
        rows.sort_by(|a, b| a.service.cmp(&b.service));
    } else {
        rows.sort_by(|a, b| (b.fail, b.warn, &a.service).cmp(&(a.fail, a.warn, &b.service)));
    }
    rows
}

#[component]
fn Matrix() -> impl IntoView {
    let query = use_query_map();
    let tick = ticker(Duration::from_secs(5));
    let matrix = Resource::new(move || tick.get(), |_| matrix());
    let sort = move || query.get().get("sort").unwrap_or_else(|| "worst".into());
    view! {
        <h1>"Conformance to the shared metric format"</h1>
        <p class="lead">
            "Every service's last scrape, checked against the " <a href="/catalog">"metric catalog"</a>
            ". Sort: " <a href="/conformance?sort=worst" class:active=move || sort() == "worst">"worst first"</a> " · "
            <a href="/conformance?sort=name" class:active=move || sort() == "name">"name"</a>
        </p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match matrix.await {
                    Ok(m) => matrix_table(m, &sort()).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn matrix_table(m: ConformanceMatrix, sort: &str) -> impl IntoView {
    let checks = |i: usize| m.checks.get(i).cloned().unwrap_or_default();
    let header = m
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| view! { <th class="rule" title=checks(i)><span>{r.replace('_', " ")}</span></th> })
        .collect_view();
    let legend = m
        .rules
        .iter()
        .enumerate()
        .map(|(i, r)| view! { <dt><code>{r.clone()}</code></dt><dd>{checks(i)}</dd> })
        .collect_view();
    let rows = sorted(m.services, sort)
        .into_iter()
        .map(|row| {
            let cells = row
                .statuses
                .iter()
                .zip(&m.rules)
                .map(|(s, rule)| view! { <td class=status_class(*s) title=rule.clone()>{status_label(*s)}</td> })
                .collect_view();
            let fail_class = if row.fail > 0 { "count bad" } else { "count" };
            let warn_class = if row.warn > 0 { "count warn-text" } else { "count" };
            view! {
                <tr data-service=row.service.clone()>
                    <td><a href=format!("/services/{}/conformance", row.service)>{row.service.clone()}</a></td>
                    <td class="muted">{row.team}</td>
                    <td data-testid="fail-count" class=fail_class>{row.fail}</td>
                    <td class=warn_class>{row.warn}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid matrix" data-testid="conformance-matrix">
            <thead><tr><th>"Service"</th><th>"Team"</th><th>"Fail"</th><th>"Warn"</th>{header}</tr></thead>
            <tbody>{rows}</tbody>
        </table>
        <section class="card">
            <h2>"What each rule checks"</h2>
            <dl class="facts" data-testid="rule-legend">{legend}</dl>
        </section>
    }
}
