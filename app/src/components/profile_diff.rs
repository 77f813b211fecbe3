//! Two profiles of one service compared: the differential flamegraph and per-function deltas.

use super::profile::{loading, sample_picker, MAX_ROWS};
use crate::api::captures::profile_diff;
use crate::components::errors::ErrorNote;
use crate::components::flame::Flamegraph;
use crate::components::units;
use leptos::prelude::*;
use types::profiles::TopDiff;

/// Two profiles of one service compared: the differential flamegraph and per-function deltas.
#[component]
pub fn ProfileDiffView(before: i64, after: i64) -> impl IntoView {
    let sample = RwSignal::new(None::<String>);
    let search = RwSignal::new(String::new());
    let diff = Resource::new(move || sample.get(), move |s| profile_diff(before, after, s));
    let ignore = Callback::new(|_: String| {});
    view! {
        <Transition fallback=loading>
            {move || Suspend::new(async move {
                match diff.await {
                    Ok(d) => {
                        let picker = sample_picker(sample, d.flame.sample.clone(), d.flame.sample_types.clone());
                        view! {
                            <div class="profile-tools">
                                {picker}
                                <input type="search" placeholder="Search functions" data-testid="search"
                                    prop:value=move || search.get() on:input=move |ev| search.set(event_target_value(&ev))/>
                            </div>
                            <section class="card">
                                <h2>"Differential flamegraph"</h2>
                                <Flamegraph graph=d.flame search=search on_pick=ignore/>
                            </section>
                            <section class="card">
                                <h2>"Per function"</h2>
                                {diff_table(d.table, search)}
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

fn delta(pp: f64) -> impl IntoView {
    let class = if pp > 0.005 {
        "num bad"
    } else if pp < -0.005 {
        "num ok"
    } else {
        "num muted"
    };
    view! { <td class=class>{format!("{pp:+.2} pp")}</td> }
}

fn diff_table(t: TopDiff, search: RwSignal<String>) -> impl IntoView {
    let summary = format!(
        "{} · before {} · after {} (shares of each total are compared)",
        t.sample,
        units::value(t.before_total, &t.unit),
        units::value(t.after_total, &t.unit)
    );
    let (bt, at) = (t.before_total, t.after_total);
    let rows = t.rows;
    let body = move || {
        let needle = search.get().to_lowercase();
        rows.iter()
            .filter(|r| needle.is_empty() || r.function.to_lowercase().contains(&needle))
            .take(MAX_ROWS)
            .map(|r| {
                view! {
                    <tr>
                        <td class="num">{units::share_pct(r.before_flat, bt)}</td>
                        <td class="num">{units::share_pct(r.after_flat, at)}</td>
                        {delta(r.flat_delta_pct)}
                        <td class="num">{units::share_pct(r.before_cum, bt)}</td>
                        <td class="num">{units::share_pct(r.after_cum, at)}</td>
                        {delta(r.cum_delta_pct)}
                        <td>{r.function.clone()}</td>
                    </tr>
                }
            })
            .collect_view()
    };
    view! {
        <p class="muted">{summary}</p>
        <table class="grid top" data-testid="diff-table">
            <thead><tr>
                <th>"flat% before"</th><th>"flat% after"</th><th>"Δ flat"</th>
                <th>"cum% before"</th><th>"cum% after"</th><th>"Δ cum"</th><th>"function"</th>
            </tr></thead>
            <tbody>{body}</tbody>
        </table>
    }
}
