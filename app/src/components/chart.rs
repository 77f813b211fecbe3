//! The one chart component: the server-drawn SVG, a legend beside it (a table of the series
//! with their last and highest values, and the names of those not drawn), and a hover that
//! reads the time and each series' value under the pointer. Without script the SVG and the
//! legend still say everything.

use leptos::prelude::*;
use types::charts::{ChartSeries, ChartView, ExemplarDot};
use types::time::clock;

/// The value of a series nearest to `t` (points are in time order).
fn nearest(points: &[(i64, f64)], t: i64) -> Option<(i64, f64)> {
    let i = points.partition_point(|p| p.0 < t);
    let candidates = [i.checked_sub(1), Some(i)];
    candidates.into_iter().flatten().filter_map(|j| points.get(j).copied()).min_by_key(|p| (p.0 - t).abs())
}

/// Where the pointer is: the time under it and its place in the chart (0..1 of its width).
#[derive(Clone, Copy, PartialEq)]
struct Pointer {
    t: i64,
    x: f64,
}

#[component]
pub fn Chart(chart: ChartView) -> impl IntoView {
    let pointer = RwSignal::new(None::<Pointer>);
    let (plot, width, from, to) = (chart.plot, f64::from(chart.width), chart.from_ms, chart.to_ms);
    let area = NodeRef::<leptos::html::Div>::new();
    // Events are delegated (their current target is the document): measure the plot itself.
    let on_move = move |ev: leptos::ev::MouseEvent| {
        let Some(target) = area.get() else { return };
        let rect = target.get_bounding_client_rect();
        if rect.width() <= 0.0 {
            return;
        }
        let x = (f64::from(ev.client_x()) - rect.left()) / rect.width();
        let svg_x = x * width;
        if plot.right <= plot.left || svg_x < plot.left || svg_x > plot.right {
            pointer.set(None);
            return;
        }
        #[expect(clippy::cast_precision_loss, clippy::cast_possible_truncation, reason = "pixels to ms")]
        let t = from + ((svg_x - plot.left) / (plot.right - plot.left) * (to - from) as f64) as i64;
        pointer.set(Some(Pointer { t, x }));
    };
    let series = StoredValue::new(chart.series.clone());
    let unit = chart.unit;
    let (top, height) = (
        plot.top / f64::from(chart.height) * 100.0,
        (plot.bottom - plot.top) / f64::from(chart.height) * 100.0,
    );
    let hover = move || {
        pointer.get().map(|p| {
            let rows = series.with_value(|all| {
                all.iter()
                    .filter_map(|s| nearest(&s.points, p.t).map(|(_, v)| (s.label.clone(), s.color.clone(), v)))
                    .map(|(label, color, v)| {
                        view! { <div><span class="swatch" style=format!("background:{color}")></span>{label}" " <strong>{unit.format(v)}</strong></div> }
                    })
                    .collect_view()
            });
            let side = if p.x > 0.6 { "right" } else { "left" };
            let at = if p.x > 0.6 { (1.0 - p.x) * 100.0 } else { p.x * 100.0 };
            view! {
                <div class="chart-cursor" style=format!("left:{:.2}%;top:{top:.2}%;height:{height:.2}%", p.x * 100.0)></div>
                <div class="chart-tip" data-testid="chart-tip" style=format!("{side}:{at:.2}%")>
                    <div class="muted">{clock(p.t)} " UTC"</div>
                    {rows}
                </div>
            }
        })
    };
    let has_data = chart.has_data();
    // The dot links are added once the page is live, never in the server's render: how many
    // there are changes from one read to the next, and a page rendered from one read while
    // hydrating with another stopped hydrating (a dead page) when a request came between.
    // Without script the SVG still draws the dots.
    let live = RwSignal::new(false);
    Effect::new(move |_| live.set(true));
    let exemplars = StoredValue::new(chart.exemplars.clone());
    let (chart_width, chart_height) = (chart.width, chart.height);
    let dots = move || {
        live.get().then(|| exemplars.with_value(|all| exemplar_links(all, chart_width, chart_height, unit)))
    };
    let dots_note = move || {
        let count = exemplars.with_value(Vec::len);
        (live.get() && count > 0).then(|| {
            view! { <p class="muted small" data-testid="exemplar-note">{format!("{count} dots: single requests (exemplars); each opens its trace.")}</p> }
        })
    };
    view! {
        <div class="chart" data-testid="chart">
            <div class="chart-plot" node_ref=area on:mousemove=on_move on:mouseleave=move |_| pointer.set(None)>
                <div class="svg" inner_html=chart.svg></div>
                {hover}
                {dots}
            </div>
            {has_data.then(|| legend(&chart.series, &chart.more, unit))}
            {dots_note}
            {chart.note.map(|n| view! { <p class="muted small" data-testid="chart-note">{n}</p> })}
        </div>
    }
}

/// A link over each exemplar dot of the SVG, to its trace.
fn exemplar_links(dots: &[ExemplarDot], width: u32, height: u32, unit: types::units::Unit) -> impl IntoView {
    let (w, h) = (f64::from(width.max(1)), f64::from(height.max(1)));
    dots.iter()
        .map(|d| {
            let p = &d.point;
            let title = format!("{} · {} · {} UTC · trace {}", unit.format(p.value), p.label, clock(p.ts_ms), p.trace_id);
            view! {
                <a class="exemplar" data-testid="exemplar" href=format!("/traces/{}", p.trace_id) title=title.clone() aria-label=title
                    style=format!("left:{:.2}%;top:{:.2}%", d.x / w * 100.0, d.y / h * 100.0)></a>
            }
        })
        .collect_view()
}

fn legend(series: &[ChartSeries], more: &[String], unit: types::units::Unit) -> impl IntoView {
    let rows = series
        .iter()
        .map(|s| {
            let fmt = |v: Option<f64>| v.map_or_else(|| "–".to_string(), |v| unit.format(v));
            view! {
                <tr>
                    <td><span class="swatch" style=format!("background:{}", s.color)></span>{s.label.clone()}</td>
                    <td class="num">{fmt(s.last)}</td>
                    <td class="num">{fmt(s.peak)}</td>
                </tr>
            }
        })
        .collect_view();
    let more = (!more.is_empty()).then(|| {
        view! { <p class="muted small" data-testid="chart-more">{format!("{} more not drawn: {}", more.len(), more.join(", "))}</p> }
    });
    view! {
        <div class="table-scroll">
            <table class="chart-legend" data-testid="chart-legend">
                <thead><tr><th>"Series"</th><th class="num">"Last"</th><th class="num">"Highest"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {more}
    }
}

#[cfg(test)]
mod tests {
    use super::nearest;

    #[test]
    fn the_nearest_point_in_time() {
        let points = [(0, 1.0), (10, 2.0), (20, 3.0)];
        assert_eq!(nearest(&points, 4), Some((0, 1.0)));
        assert_eq!(nearest(&points, 6), Some((10, 2.0)));
        assert_eq!(nearest(&points, 99), Some((20, 3.0)));
        assert_eq!(nearest(&[], 5), None);
    }
}
