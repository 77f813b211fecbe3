//! Draws a standard panel as SVG with plotters, on the server: time on x, the panel's unit
//! on y, one line per instance, exhaustion shaded, the SLO as a line.

use super::panels::{Line, Panel};
use plotters::prelude::*;

pub const WIDTH: u32 = 560;
pub const HEIGHT: u32 = 240;
/// Points a line is thinned to (a few per pixel column is all a screen shows).
const MAX_POINTS: usize = 1200;

const PALETTE: [RGBColor; 6] = [
    RGBColor(42, 125, 225),
    RGBColor(214, 99, 0),
    RGBColor(26, 127, 75),
    RGBColor(142, 68, 173),
    RGBColor(192, 57, 43),
    RGBColor(95, 107, 122),
];

/// Keeps the highest point of every run, so spikes survive thinning.
fn thin(points: &[(i64, f64)]) -> Vec<(i64, f64)> {
    if points.len() <= MAX_POINTS {
        return points.to_vec();
    }
    let per = points.len().div_ceil(MAX_POINTS);
    points
        .chunks(per)
        .filter_map(|c| c.iter().copied().filter(|p| p.1.is_finite()).max_by(|a, b| a.1.total_cmp(&b.1)))
        .collect()
}

fn clock(ms: i64, span_ms: i64) -> String {
    let s = ms.div_euclid(1000);
    let (h, m, sec) = (s.rem_euclid(86_400) / 3600, s.rem_euclid(3600) / 60, s.rem_euclid(60));
    if span_ms <= 30 * 60_000 {
        format!("{h:02}:{m:02}:{sec:02}")
    } else {
        format!("{h:02}:{m:02}")
    }
}

fn y_max(lines: &[Line], threshold: Option<f64>, percent: bool) -> f64 {
    let top =
        lines.iter().flat_map(|l| &l.points).map(|p| p.1).filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    let top = top.max(threshold.unwrap_or(0.0) * 1.2);
    if percent && top <= 100.0 {
        100.0
    } else if top <= 0.0 {
        1.0
    } else {
        top * 1.15
    }
}

/// What a chart draws: lines over a time range in a unit, shaded spans, a reference line.
pub struct Chart<'a> {
    pub lines: &'a [Line],
    pub alarms: &'a [(i64, i64)],
    pub threshold: Option<f64>,
    pub unit: &'a str,
    pub from: i64,
    pub to: i64,
}

/// A standard panel as an SVG document.
pub fn svg(panel: &Panel) -> Result<String, String> {
    chart_svg(&Chart {
        lines: &panel.lines,
        alarms: &panel.alarms,
        threshold: panel.threshold,
        unit: panel.kind.unit(),
        from: panel.from,
        to: panel.to,
    })
}

/// A chart as an SVG document; an empty chart says so in words instead of axes.
pub fn chart_svg(panel: &Chart<'_>) -> Result<String, String> {
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        if panel.lines.is_empty() {
            let style = ("sans-serif", 14).into_font().color(&RGBColor(95, 107, 122));
            root.draw_text("No data in this range", &style, (WIDTH as i32 / 2 - 75, HEIGHT as i32 / 2 - 7))
                .map_err(|e| e.to_string())?;
            root.present().map_err(|e| e.to_string())?;
        } else {
            draw(&root, panel)?;
        }
    }
    Ok(out)
}

fn draw(root: &DrawingArea<SVGBackend<'_>, plotters::coord::Shift>, panel: &Chart<'_>) -> Result<(), String> {
    let unit = panel.unit;
    let top = y_max(panel.lines, panel.threshold, unit == "%");
    let span = (panel.to - panel.from).max(1);
    let mut chart = ChartBuilder::on(root)
        .margin(8)
        .x_label_area_size(24)
        .y_label_area_size(52)
        .build_cartesian_2d(panel.from..panel.to, 0.0..top)
        .map_err(|e| e.to_string())?;
    let x_fmt = |x: &i64| clock(*x, span);
    let y_fmt = |y: &f64| if top >= 100.0 { format!("{y:.0}") } else { format!("{y:.2}") };
    chart
        .configure_mesh()
        .x_labels(6)
        .y_labels(5)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .y_desc(unit)
        .light_line_style(RGBColor(238, 241, 245))
        .max_light_lines(2)
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(|e| e.to_string())?;
    let shade = RGBColor(192, 57, 43).mix(0.18).filled();
    chart
        .draw_series(panel.alarms.iter().map(|(a, b)| Rectangle::new([(*a, 0.0), (*b, top)], shade)))
        .map_err(|e| e.to_string())?;
    if let Some(t) = panel.threshold {
        let slo = RGBColor(192, 57, 43).stroke_width(1);
        chart
            .draw_series(LineSeries::new([(panel.from, t), (panel.to, t)], slo))
            .map_err(|e| e.to_string())?;
    }
    for (i, line) in panel.lines.iter().enumerate() {
        let color = PALETTE[i % PALETTE.len()];
        let points: Vec<(i64, f64)> = thin(&line.points).into_iter().filter(|p| p.1.is_finite()).collect();
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))
            .map_err(|e| e.to_string())?
            .label(line.label.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2)));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(223, 228, 234))
        .label_font(("sans-serif", 13))
        .draw()
        .map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::panels::PanelKind;

    fn panel(lines: Vec<Line>) -> Panel {
        Panel {
            kind: PanelKind::PoolUtilisation,
            lines,
            alarms: vec![(20_000, 40_000)],
            threshold: None,
            from: 0,
            to: 60_000,
        }
    }

    #[test]
    fn draws_lines_axes_and_alarms() {
        let lines = vec![
            Line {
                label: "api-1".into(),
                points: (0..60).map(|i| (i * 1000, f64::from(i as i32))).collect(),
            },
            Line { label: "api-2".into(), points: vec![(0, 5.0), (30_000, f64::NAN), (59_000, 100.0)] },
        ];
        let svg = svg(&panel(lines)).expect("draws");
        assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
        assert!(svg.contains("api-1") && svg.contains("api-2"), "a legend per instance");
        // plotters writes each text on a line of its own.
        assert!(svg.contains(">\n%\n</text>"), "the unit on the axis");
        assert!(svg.contains("00:00:30"), "time on the axis");
        assert!(svg.contains("polyline"));
    }

    #[test]
    fn an_empty_panel_says_so() {
        let svg = svg(&panel(vec![])).expect("draws");
        assert!(svg.contains("No data in this range"));
    }

    #[test]
    fn thinning_keeps_spikes() {
        let mut points: Vec<(i64, f64)> = (0..10_000).map(|i| (i, 1.0)).collect();
        points[5_000].1 = 99.0;
        let thinned = thin(&points);
        assert!(thinned.len() <= MAX_POINTS);
        assert!(thinned.iter().any(|p| p.1 == 99.0));
    }
}
