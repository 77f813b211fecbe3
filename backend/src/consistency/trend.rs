//! A check's trend across its residual runs: differences of each kind per run, and how long
//! each took, drawn with the hub's one chart.

use super::{store, Checks};
use crate::metrics::chart::{chart, ChartInput};
use crate::metrics::panels::Line;
use crate::{now_ms, BackendError, Principal};
use types::charts::ChartView;
use types::units::Unit;

const RUNS: i64 = 200;

impl Checks {
    pub async fn trend(
        &self,
        _actor: &Principal,
        name: &str,
    ) -> Result<(ChartView, ChartView), BackendError> {
        let mut runs = store::of_check(&self.store, name, RUNS).await?;
        runs.retain(|r| r.mode == "residual" && r.state == "done");
        runs.reverse();
        let now = now_ms();
        let series = |label: &str, value: &dyn Fn(&store::RunRow) -> f64| Line {
            label: label.to_string(),
            points: runs.iter().map(|r| (r.finished_ms.unwrap_or(r.created_ms), value(r))).collect(),
        };
        #[expect(clippy::cast_precision_loss, reason = "counts")]
        let kinds = [
            series("missing", &|r| r.missing as f64),
            series("extra", &|r| r.extra as f64),
            series("changed", &|r| r.changed as f64),
        ];
        #[expect(clippy::cast_precision_loss, reason = "ms")]
        let took = [series("duration", &|r| {
            r.finished_ms.zip(r.started_ms).map_or(0.0, |(f, s)| (f - s) as f64 / 1000.0)
        })];
        let from = runs.first().map_or(now - 86_400_000, |r| r.created_ms - 60_000);
        let input = |lines, unit| ChartInput {
            lines,
            markers: &[],
            exemplars: &[],
            shaded: &[],
            refs: &[],
            bands: &[],
            unit,
            from,
            to: now,
            fit: false,
            log: false,
        };
        let differences =
            chart(&input(&kinds, Unit::Count)).map_err(|e| BackendError::Internal(e.to_string()))?;
        let durations =
            chart(&input(&took, Unit::Seconds)).map_err(|e| BackendError::Internal(e.to_string()))?;
        Ok((differences, durations))
    }
}
