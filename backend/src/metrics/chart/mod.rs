//! The one chart of the hub, drawn on the server with plotters: time on round boundaries,
//! values in the unit that reads best, the largest series drawn (the rest named), shaded
//! spans, labelled reference lines (thresholds, SLOs). The legend and the hover are the
//! page's: the chart hands them its series and where its plot area is.

mod axes;

use super::panels::Line;
use axes::{TimeAxis, ValueAxis};
use plotters::prelude::*;
use types::charts::{ChartSeries, ChartView, ExemplarDot, ExemplarPoint, Marker, PlotArea, RefLine};
use types::units::Unit;

pub const WIDTH: u32 = 560;
pub const HEIGHT: u32 = 240;
/// Series a chart draws at most; the others are listed by name.
pub const MAX_SERIES: usize = 8;
/// Points a line is thinned to for drawing, and for the page's hover.
const DRAWN_POINTS: usize = 1200;
const HOVER_POINTS: usize = 150;
/// Lines with at most this many points also get a dot at each.
const SPARSE_POINTS: usize = 40;

const PALETTE: [(u8, u8, u8); 8] = [
    (42, 125, 225),
    (214, 99, 0),
    (26, 127, 75),
    (142, 68, 173),
    (192, 57, 43),
    (95, 107, 122),
    (0, 139, 139),
    (181, 137, 0),
];
const MUTED: RGBColor = RGBColor(95, 107, 122);
const ALARM: RGBColor = RGBColor(192, 57, 43);
/// Exemplar dots (requests with their trace).
const EXEMPLAR: RGBColor = RGBColor(31, 41, 55);
/// Changes marked on the time axis.
const MARK: RGBColor = RGBColor(106, 44, 176);

/// What a chart shows.
pub struct ChartInput<'a> {
    pub lines: &'a [Line],
    /// Spans to shade (a pool exhausted, a read model in breach).
    pub shaded: &'a [(i64, i64)],
    pub refs: &'a [RefLine],
    /// Moments marked with a vertical line (changes of the service).
    pub markers: &'a [Marker],
    /// Requests drawn as dots at their time and value (latency exemplars), each a link to its
    /// trace on the page.
    pub exemplars: &'a [ExemplarPoint],
    /// Areas filled between two of the lines, by label (lower, upper): a percentile band.
    /// The two lines must share their times.
    pub bands: &'a [(&'a str, &'a str)],
    pub unit: Unit,
    pub from: i64,
    pub to: i64,
    /// Start the axis where the data starts when that is well inside the range (a fresh hub
    /// has minutes of a 1 h range): for the presets, not for a range someone chose.
    pub fit: bool,
    pub log: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("drawing a chart: {0}")]
pub struct DrawError(String);

fn err(e: impl std::fmt::Display) -> DrawError {
    DrawError(e.to_string())
}

/// Keeps the highest point of every run, so spikes survive thinning.
pub fn thin(points: &[(i64, f64)], most: usize) -> Vec<(i64, f64)> {
    let finite = points.iter().copied().filter(|p| p.1.is_finite());
    if points.len() <= most {
        return finite.collect();
    }
    let per = points.len().div_ceil(most);
    points
        .chunks(per)
        .filter_map(|c| c.iter().copied().filter(|p| p.1.is_finite()).max_by(|a, b| a.1.total_cmp(&b.1)))
        .collect()
}

/// A line cut where it has no data (a scrape gap, a restart): a gap is more than three times
/// the usual step between points, so a missing stretch is not drawn as a slope.
fn runs(points: &[(i64, f64)]) -> Vec<&[(i64, f64)]> {
    let mut steps: Vec<i64> = points.windows(2).map(|w| w[1].0 - w[0].0).collect();
    if steps.is_empty() {
        return vec![points];
    }
    steps.sort_unstable();
    let gap = steps[steps.len() / 2].max(1) * 3;
    let mut out = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if points[i].0 - points[i - 1].0 > gap {
            out.push(&points[start..i]);
            start = i;
        }
    }
    out.push(&points[start..]);
    out
}

fn peak(points: &[(i64, f64)]) -> Option<f64> {
    points.iter().map(|p| p.1).filter(|v| v.is_finite()).reduce(f64::max)
}

fn css((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The range the axis shows, and why it differs from the one asked for.
fn axis_range(input: &ChartInput<'_>) -> (i64, i64, Option<String>) {
    let first = input.lines.iter().filter_map(|l| l.points.first().map(|p| p.0)).min();
    let span = (input.to - input.from).max(1);
    match first {
        Some(first) if input.fit && first - input.from > span / 20 => {
            let start = (first - span / 100).max(input.from);
            let axis = TimeAxis { from: start, to: input.to };
            let note = format!("The hub has data from {} UTC on; the axis starts there.", axis.label(first));
            (start, input.to, Some(note))
        }
        _ => (input.from, input.to, None),
    }
}

pub fn chart(input: &ChartInput<'_>) -> Result<ChartView, DrawError> {
    let mut ranked: Vec<&Line> = input.lines.iter().filter(|l| peak(&l.points).is_some()).collect();
    ranked.sort_by(|a, b| peak(&b.points).unwrap_or(0.0).total_cmp(&peak(&a.points).unwrap_or(0.0)));
    let more: Vec<String> = ranked.iter().skip(MAX_SERIES).map(|l| l.label.clone()).collect();
    ranked.truncate(MAX_SERIES);
    // Colours follow the names, so an instance has one colour on every chart of a page.
    ranked.sort_by(|a, b| a.label.cmp(&b.label));
    let (from, to, note) = axis_range(input);
    let series: Vec<ChartSeries> = ranked
        .iter()
        .enumerate()
        .map(|(i, l)| ChartSeries {
            label: l.label.clone(),
            color: css(PALETTE[i % PALETTE.len()]),
            last: l.points.iter().rev().map(|p| p.1).find(|v| v.is_finite()),
            peak: peak(&l.points),
            points: thin(&l.points, HOVER_POINTS),
        })
        .collect();
    let mut svg = String::new();
    let mut dots = Vec::new();
    let plot = {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        if ranked.is_empty() {
            let style = ("sans-serif", 14).into_font().color(&MUTED);
            let at = (i32::try_from(WIDTH / 2).unwrap_or(0) - 75, i32::try_from(HEIGHT / 2).unwrap_or(0) - 7);
            root.draw_text("No data in this range", &style, at).map_err(err)?;
            root.present().map_err(err)?;
            PlotArea::default()
        } else {
            draw(&root, input, &ranked, (from, to), &mut dots)?
        }
    };
    Ok(ChartView {
        svg,
        width: WIDTH,
        height: HEIGHT,
        plot,
        from_ms: from,
        to_ms: to,
        unit: input.unit,
        series,
        more,
        lines: input.refs.to_vec(),
        markers: drawn_markers(input.markers, from, to),
        exemplars: dots,
        note,
    })
}

/// The markers inside the drawn range, oldest first.
fn drawn_markers(markers: &[Marker], from: i64, to: i64) -> Vec<Marker> {
    let mut inside: Vec<Marker> =
        markers.iter().filter(|m| m.ts_ms >= from && m.ts_ms <= to).cloned().collect();
    inside.sort_by_key(|m| m.ts_ms);
    inside
}

type Area<'a> = DrawingArea<SVGBackend<'a>, plotters::coord::Shift>;

fn draw(
    root: &Area<'_>,
    input: &ChartInput<'_>,
    lines: &[&Line],
    (from, to): (i64, i64),
    dots: &mut Vec<ExemplarDot>,
) -> Result<PlotArea, DrawError> {
    let top = lines.iter().filter_map(|l| peak(&l.points)).fold(0.0, f64::max);
    let top = input.refs.iter().map(|r| r.value * 1.25).fold(top, f64::max);
    // Slow requests raise the axis, up to three times the lines' peak: slower ones sit on the
    // top edge (their link says how slow), not squash the lines flat.
    let slowest = input.exemplars.iter().map(|e| e.value).filter(|v| v.is_finite()).fold(0.0, f64::max);
    let top = if top > 0.0 { top.max(slowest.min(top * 3.0)) } else { top.max(slowest) };
    let y = if input.log {
        let low = lines
            .iter()
            .flat_map(|l| &l.points)
            .map(|p| p.1)
            .filter(|v| *v > 0.0)
            .fold(f64::INFINITY, f64::min);
        ValueAxis::log(low, top, input.unit)
    } else {
        ValueAxis::linear(top, input.unit)
    };
    let mut chart = ChartBuilder::on(root)
        .margin_top(10)
        .margin_right(18)
        .margin_left(6)
        .x_label_area_size(24)
        .y_label_area_size(62)
        .build_cartesian_2d(TimeAxis { from, to }, y.clone())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .light_line_style(TRANSPARENT)
        .bold_line_style(RGBColor(232, 236, 241))
        .axis_style(RGBColor(200, 206, 214))
        .label_style(("sans-serif", 12).into_font().color(&MUTED))
        .draw()
        .map_err(err)?;
    let shade = ALARM.mix(0.16).filled();
    let (lo, hi) = (y.min, y.max);
    chart
        .draw_series(input.shaded.iter().map(|(a, b)| Rectangle::new([(*a, lo), (*b, hi)], shade)))
        .map_err(err)?;
    for r in input.refs {
        chart
            .draw_series(LineSeries::new([(from, r.value), (to, r.value)], ALARM.stroke_width(1)))
            .map_err(err)?;
        let style = ("sans-serif", 12).into_font().color(&ALARM).pos(plotters::style::text_anchor::Pos::new(
            plotters::style::text_anchor::HPos::Right,
            plotters::style::text_anchor::VPos::Bottom,
        ));
        chart.draw_series(std::iter::once(Text::new(r.label.clone(), (to, r.value), style))).map_err(err)?;
    }
    for m in drawn_markers(input.markers, from, to) {
        let dashes = (0..12).map(|i| {
            let a = lo + (hi - lo) * f64::from(i) / 12.0;
            let b = lo + (hi - lo) * (f64::from(i) + 0.55) / 12.0;
            PathElement::new(vec![(m.ts_ms, a), (m.ts_ms, b)], MARK.stroke_width(1))
        });
        chart.draw_series(dashes).map_err(err)?;
        chart.draw_series(std::iter::once(Circle::new((m.ts_ms, hi), 3, MARK.filled()))).map_err(err)?;
    }
    for (lower, upper) in input.bands {
        let find = |label: &str| lines.iter().position(|l| l.label == label);
        let (Some(lo_i), Some(hi_i)) = (find(lower), find(upper)) else { continue };
        let (low, high) = (&lines[lo_i].points, &lines[hi_i].points);
        if low.len() != high.len() || low.iter().zip(high.iter()).any(|(a, b)| a.0 != b.0) {
            continue;
        }
        let (r, g, b) = PALETTE[hi_i % PALETTE.len()];
        let outline: Vec<(i64, f64)> = high.iter().copied().chain(low.iter().rev().copied()).collect();
        chart
            .draw_series(std::iter::once(Polygon::new(outline, RGBColor(r, g, b).mix(0.15).filled())))
            .map_err(err)?;
    }
    for (i, line) in lines.iter().enumerate() {
        let (r, g, b) = PALETTE[i % PALETTE.len()];
        for run in runs(&thin(&line.points, DRAWN_POINTS)) {
            chart
                .draw_series(LineSeries::new(run.iter().copied(), RGBColor(r, g, b).stroke_width(2)))
                .map_err(err)?;
        }
        // A few points (one per run of a check, say) are drawn as dots too: a single one
        // would be no line at all.
        if line.points.len() <= SPARSE_POINTS {
            let dots = line
                .points
                .iter()
                .filter(|p| p.1.is_finite())
                .map(|p| Circle::new(*p, 3, RGBColor(r, g, b).filled()));
            chart.draw_series(dots).map_err(err)?;
        }
    }
    for e in shown_exemplars(input.exemplars, from, to) {
        let at = (e.ts_ms, e.value.clamp(y.min, y.max));
        chart.draw_series(std::iter::once(Circle::new(at, 3, EXEMPLAR.filled()))).map_err(err)?;
        let (x, y) = chart.backend_coord(&at);
        dots.push(ExemplarDot { point: e.clone(), x: f64::from(x), y: f64::from(y) });
    }
    let (xs, ys) = chart.plotting_area().get_pixel_range();
    root.present().map_err(err)?;
    Ok(PlotArea {
        left: f64::from(xs.start),
        right: f64::from(xs.end),
        top: f64::from(ys.start),
        bottom: f64::from(ys.end),
    })
}

/// The most exemplar dots a chart draws.
const MAX_DOTS: usize = 200;

/// The exemplars inside the range, thinned evenly to `MAX_DOTS`, the slowest always kept.
fn shown_exemplars(all: &[ExemplarPoint], from: i64, to: i64) -> Vec<&ExemplarPoint> {
    let inside: Vec<&ExemplarPoint> =
        all.iter().filter(|e| e.value.is_finite() && (from..=to).contains(&e.ts_ms)).collect();
    if inside.len() <= MAX_DOTS {
        return inside;
    }
    let mut by_value: Vec<usize> = (0..inside.len()).collect();
    by_value.sort_by(|a, b| inside[*b].value.total_cmp(&inside[*a].value));
    let mut keep = vec![false; inside.len()];
    for i in by_value.into_iter().take(MAX_DOTS / 10) {
        keep[i] = true;
    }
    let step = inside.len().div_ceil(MAX_DOTS - MAX_DOTS / 10);
    for i in (0..inside.len()).step_by(step) {
        keep[i] = true;
    }
    inside.into_iter().zip(keep).filter(|(_, k)| *k).map(|(e, _)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, scale: f64) -> Line {
        Line {
            label: label.into(),
            points: (0..60i32).map(|i| (i64::from(i) * 1000, scale * f64::from(i))).collect(),
        }
    }

    fn input<'a>(lines: &'a [Line], refs: &'a [RefLine]) -> ChartInput<'a> {
        ChartInput {
            lines,
            markers: &[],
            exemplars: &[],
            shaded: &[(20_000, 40_000)],
            refs,
            bands: &[],
            unit: Unit::Seconds,
            from: 0,
            to: 60_000,
            fit: true,
            log: false,
        }
    }

    #[test]
    fn exemplar_dots_sit_inside_the_plot_at_their_time_and_value() {
        let lines = [line("api", 0.001)];
        let point = |ts_ms: i64, value: f64, id: &str| ExemplarPoint {
            ts_ms,
            value,
            trace_id: id.into(),
            label: "api-1".into(),
        };
        // One early and fast, one late and slow, one slower than three peaks, one out of range.
        let seen = [
            point(10_000, 0.005, "a"),
            point(50_000, 0.1, "b"),
            point(55_000, 9.0, "c"),
            point(90_000, 0.01, "d"),
        ];
        let view = chart(&ChartInput { exemplars: &seen, ..input(&lines, &[]) }).expect("draws");
        let ids: Vec<&str> = view.exemplars.iter().map(|d| d.point.trace_id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        let (a, b, c) = (&view.exemplars[0], &view.exemplars[1], &view.exemplars[2]);
        let p = view.plot;
        for d in [a, b, c] {
            assert!(d.x >= p.left && d.x <= p.right && d.y >= p.top && d.y <= p.bottom, "{d:?} in {p:?}");
        }
        assert!(a.x < b.x && b.y < a.y, "later is right, slower is higher");
        assert!((c.y - p.top).abs() < 2.0, "beyond the axis: on its top edge");
        let many: Vec<ExemplarPoint> =
            (0..1_000).map(|i| point(i * 60, if i == 7 { 5.0 } else { 0.01 }, "x")).collect();
        let thinned = shown_exemplars(&many, 0, 60_000);
        assert!(thinned.len() <= MAX_DOTS && thinned.iter().any(|e| e.value == 5.0));
    }

    #[test]
    fn draws_the_largest_series_and_names_the_rest() {
        let lines: Vec<Line> = (0..10).map(|i| line(&format!("api-{i}"), 0.001 * f64::from(i + 1))).collect();
        let slo = [RefLine { label: "SLO 10 ms".into(), value: 0.010 }];
        let view = chart(&input(&lines, &slo)).expect("draws");
        assert!(view.svg.starts_with("<svg"));
        assert_eq!(view.series.len(), MAX_SERIES);
        assert_eq!(view.series[0].label, "api-2", "the largest, in name order");
        assert_eq!(view.more, ["api-1", "api-0"], "the smallest are named");
        assert!(view.svg.contains("SLO 10 ms"), "the reference line is labelled");
        let deploy = |ts_ms| Marker { ts_ms, kind: "deploy".into(), label: "deploy 1.4.2".into() };
        let marked = [deploy(90_000), deploy(30_000), deploy(10_000)];
        let view = chart(&ChartInput { markers: &marked, ..input(&lines, &slo) }).expect("draws");
        let at: Vec<i64> = view.markers.iter().map(|m| m.ts_ms).collect();
        assert_eq!(at, [10_000, 30_000], "the markers inside the range, oldest first");
        assert!(view.svg.contains(" ms"), "lag below a second reads in ms");
        assert!(view.svg.contains("00:00:30"), "a round time on the axis");
        assert!(!view.svg.contains("api-9"), "the legend is the page's, outside the plot");
        assert!(view.plot.right > view.plot.left && view.plot.bottom > view.plot.top);
        assert!(view.series[0].points.len() <= HOVER_POINTS);
    }

    #[test]
    fn the_axis_starts_where_a_fresh_hubs_data_starts() {
        let lines = [Line { label: "a".into(), points: vec![(3_000_000, 1.0), (3_500_000, 2.0)] }];
        let fitted = chart(&ChartInput { from: 0, to: 3_600_000, ..input(&lines, &[]) }).expect("draws");
        assert!(fitted.from_ms > 2_900_000 && fitted.note.is_some(), "{:?}", fitted.note);
        let asked =
            chart(&ChartInput { from: 0, to: 3_600_000, fit: false, ..input(&lines, &[]) }).expect("draws");
        assert_eq!((asked.from_ms, asked.note), (0, None));
    }

    #[test]
    fn a_gap_in_the_data_cuts_the_line() {
        let points: Vec<(i64, f64)> = (0..10).chain(40..50).map(|i| (i * 1000, 1.0)).collect();
        let cut = runs(&points);
        assert_eq!(cut.iter().map(|r| r.len()).collect::<Vec<_>>(), [10, 10]);
    }

    #[test]
    fn an_empty_chart_says_so_and_thinning_keeps_spikes() {
        let view = chart(&input(&[], &[])).expect("draws");
        assert!(view.svg.contains("No data in this range") && !view.has_data());
        let mut points: Vec<(i64, f64)> = (0..10_000).map(|i| (i, 1.0)).collect();
        points[5_000].1 = 99.0;
        let thinned = thin(&points, DRAWN_POINTS);
        assert!(thinned.len() <= DRAWN_POINTS && thinned.iter().any(|p| p.1 == 99.0));
    }
}
