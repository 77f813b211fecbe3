//! A chart as the server draws it and the browser shows it: the SVG (readable without
//! script), and what the page needs for its legend and hover (the series, thinned, and where
//! the plot area sits in the SVG).

use crate::units::Unit;
use serde::{Deserialize, Serialize};

/// Where the plot area is inside the SVG, in the SVG's own units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PlotArea {
    pub left: f64,
    pub top: f64,
    pub right: f64,
    pub bottom: f64,
}

/// One drawn series.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartSeries {
    pub label: String,
    /// CSS colour of its line.
    pub color: String,
    pub last: Option<f64>,
    pub peak: Option<f64>,
    /// (unix ms, value), thinned to what a hover needs.
    pub points: Vec<(i64, f64)>,
}

/// A labelled reference line (a threshold, an SLO).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RefLine {
    pub label: String,
    pub value: f64,
}

/// A moment marked on the time axis: a change (deploy, config, flag, migration) of the
/// service the chart is about.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub ts_ms: i64,
    /// `deploy`, `config`, `flag` or `migration`.
    pub kind: String,
    pub label: String,
}

/// A request the chart can point at: its duration (an exemplar of the latency histogram) and
/// its trace.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExemplarPoint {
    pub ts_ms: i64,
    pub value: f64,
    pub trace_id: String,
    /// The instance that served it.
    pub label: String,
}

/// An exemplar as drawn: where its dot is in the SVG's units, for the link laid over it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExemplarDot {
    pub point: ExemplarPoint,
    pub x: f64,
    pub y: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChartView {
    pub svg: String,
    pub width: u32,
    pub height: u32,
    pub plot: PlotArea,
    pub from_ms: i64,
    pub to_ms: i64,
    pub unit: Unit,
    /// The series drawn, largest first.
    pub series: Vec<ChartSeries>,
    /// Series that matched but are not drawn (beyond the most a chart draws).
    pub more: Vec<String>,
    pub lines: Vec<RefLine>,
    /// The markers drawn (those inside the time range), oldest first.
    #[serde(default)]
    pub markers: Vec<Marker>,
    /// Exemplar dots drawn (inside the plot), each opening its trace.
    #[serde(default)]
    pub exemplars: Vec<ExemplarDot>,
    /// Said under the chart, e.g. why the axis starts later than the range asked.
    pub note: Option<String>,
}

impl ChartView {
    pub fn has_data(&self) -> bool {
        !self.series.is_empty()
    }
}
