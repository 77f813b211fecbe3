//! Two profiles of one service compared: the differential flamegraph and per-function deltas.

use super::profile::{collapse_toggle, loading, sample_picker, ViewState, MAX_ROWS};
use crate::api::captures::profile_diff;
use crate::components::errors::ErrorNote;
use crate::components::flame::Flamegraph;
use crate::components::units;
use leptos::prelude::*;
use types::profiles::TopDiff;

/// Rows of the per-function table before "show all".
const TOP_ROWS: usize = 50;

/// Two profiles of one service compared: the differential flamegraph and per-function deltas,
/// in the profile's own unit (what `go tool pprof -diff_base` shows; the default for heap
/// profiles) or in shares of each total (for CPU profiles of different lengths).
#[component]
pub fn ProfileDiffView(before: i64, after: i64) -> impl IntoView {
    let state = ViewState::from_url();
    let (sample, search, zoom, collapse) = (state.sample, state.search, state.zoom, state.collapse);
    let by_share = RwSignal::new(None::<bool>);
    let diff = Resource::new(
        move || (sample.get(), collapse.get()),
        move |(s, c)| profile_diff(before, after, s, c),
    );
    let ignore = Callback::new(|_: Option<String>| {});
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match diff.await {
                    Ok(d) => {
                        let picker = sample_picker(sample, d.flame.sample.clone(), d.flame.sample_types.clone());
                        // Bytes compare as bytes; time profiles of different lengths by share.
                        let shares = Signal::derive({
                            let unit = d.table.unit.clone();
                            move || by_share.get().unwrap_or(unit != "bytes")
                        });
                        view! {
                            <div class="profile-tools">
                                {picker}
                                <input type="search" placeholder="Search functions" data-testid="search"
                                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
                                <label class="inline-label">"Compare"
                                    <select data-testid="compare-by" on:change=move |ev| by_share.set(Some(event_target_value(&ev) == "share"))>
                                        <option value="absolute" selected=move || !shares.get()>{format!("in {}", d.table.unit)}</option>
                                        <option value="share" selected=move || shares.get()>"as shares of each total"</option>
                                    </select>
                                </label>
                                {collapse_toggle(collapse)}
                            </div>
                            <section class="card">
                                <h2>"Differential flamegraph"</h2>
                                <Flamegraph graph=d.flame search=search zoom on_pick=ignore by_share=shares/>
                            </section>
                            <section class="card">
                                <h2>"Per function"</h2>
                                {diff_table(d.table, search, shares)}
                            </section>
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A change: worse (red) when it grew, better (green) when it shrank, neutral when equal.
fn delta_cell(text: String, sign: f64) -> impl IntoView {
    let class = if sign > 0.0 {
        "num bad"
    } else if sign < 0.0 {
        "num ok"
    } else {
        "num muted"
    };
    view! { <td class=class>{text}</td> }
}

/// A signed value in the profile's unit: "+1.5MB", "−512kB", "0".
fn signed(v: i64, unit: &str) -> String {
    match v {
        0 => "0".to_string(),
        v if v > 0 => format!("+{}", units::value(v, unit)),
        v => format!("−{}", units::value(-v, unit)),
    }
}

fn diff_table(t: TopDiff, search: RwSignal<String>, shares: Signal<bool>) -> impl IntoView {
    let (bt, at, unit) = (t.before_total, t.after_total, t.unit.clone());
    let summary = format!(
        "{} · before {} · after {} ({})",
        t.sample,
        units::value(bt, &unit),
        units::value(at, &unit),
        signed(at - bt, &unit)
    );
    let show_all = RwSignal::new(false);
    let rows = std::sync::Arc::new(t.rows);
    let count = {
        let rows = rows.clone();
        move || {
            let needle = search.get().to_lowercase();
            rows.iter().filter(|r| needle.is_empty() || r.function.to_lowercase().contains(&needle)).count()
        }
    };
    let body = move || {
        let needle = search.get().to_lowercase();
        let by_share = shares.get();
        let mut list: Vec<&types::profiles::DiffRow> = rows
            .iter()
            .filter(|r| needle.is_empty() || r.function.to_lowercase().contains(&needle))
            .collect();
        if !by_share {
            list.sort_by_key(|r| {
                std::cmp::Reverse(((r.after_flat - r.before_flat).abs(), (r.after_cum - r.before_cum).abs()))
            });
        }
        let limit = if show_all.get() { MAX_ROWS.max(list.len()) } else { TOP_ROWS };
        list.into_iter()
            .take(limit)
            .map(|r| {
                let (flat, cum) = (r.after_flat - r.before_flat, r.after_cum - r.before_cum);
                let cells = if by_share {
                    view! {
                        <td class="num">{units::share_pct(r.before_flat, bt)}</td>
                        <td class="num">{units::share_pct(r.after_flat, at)}</td>
                        {delta_cell(format!("{:+.2} pp", r.flat_delta_pct), if r.flat_delta_pct.abs() < 0.005 { 0.0 } else { r.flat_delta_pct })}
                        <td class="num">{units::share_pct(r.before_cum, bt)}</td>
                        <td class="num">{units::share_pct(r.after_cum, at)}</td>
                        {delta_cell(format!("{:+.2} pp", r.cum_delta_pct), if r.cum_delta_pct.abs() < 0.005 { 0.0 } else { r.cum_delta_pct })}
                    }
                    .into_any()
                } else {
                    #[expect(clippy::cast_precision_loss, reason = "a sign")]
                    let (fs, cs) = (flat as f64, cum as f64);
                    view! {
                        <td class="num">{units::value(r.before_flat, &unit)}</td>
                        <td class="num">{units::value(r.after_flat, &unit)}</td>
                        {delta_cell(signed(flat, &unit), fs)}
                        <td class="num">{units::value(r.before_cum, &unit)}</td>
                        <td class="num">{units::value(r.after_cum, &unit)}</td>
                        {delta_cell(signed(cum, &unit), cs)}
                    }
                    .into_any()
                };
                view! { <tr>{cells}<td>{r.function.clone()}</td></tr> }
            })
            .collect_view()
    };
    let head = move || {
        if shares.get() {
            view! { <th>"flat% before"</th><th>"flat% after"</th><th>"Δ flat"</th><th>"cum% before"</th><th>"cum% after"</th><th>"Δ cum"</th> }.into_any()
        } else {
            view! { <th>"flat before"</th><th>"flat after"</th><th>"Δ flat"</th><th>"cum before"</th><th>"cum after"</th><th>"Δ cum"</th> }.into_any()
        }
    };
    let more = move || {
        let n = count();
        (n > TOP_ROWS && !show_all.get()).then(|| {
            view! {
                <p><button class="secondary" data-testid="show-all" on:click=move |_| show_all.set(true)>
                    {format!("Show all {n} functions")}
                </button></p>
            }
        })
    };
    view! {
        <p class="muted">{summary}</p>
        <div class="table-scroll">
            <table class="grid top" data-testid="diff-table">
                <thead><tr>{head}<th>"function"</th></tr></thead>
                <tbody>{body}</tbody>
            </table>
        </div>
        {more}
    }
}
