//! What the Lag pages and `/api/v1/lag` show: each read model's figures over a window, its
//! breaches and positions, and its chart.

use super::histogram::LagHistogram;
use super::live::{Figures, Live};
use super::{store, Lag, ReadModel};
use crate::metrics::chart::{chart, ChartInput};
use crate::metrics::panels::Line;
use crate::{now_ms, BackendError, Principal};
use types::charts::RefLine;
use types::lag::{LagBucket, LagCharts, LagDetail, LagSummary};
use types::units::Unit;

/// The windows a read model's figures are asked for, and their length.
pub const WINDOWS: [(&str, i64); 4] =
    [("5m", 300_000), ("1h", 3_600_000), ("24h", 86_400_000), ("28d", 28 * 86_400_000)];

pub fn window_ms(window: &str) -> Result<i64, BackendError> {
    WINDOWS
        .iter()
        .find(|(w, _)| *w == window)
        .map(|(_, ms)| *ms)
        .ok_or_else(|| BackendError::Invalid(format!("window must be 5m, 1h, 24h or 28d, not {window:?}")))
}

/// Bounds of the distribution of probe lags (ms), on a 1-2-5 scale.
const BOUNDS: [f64; 13] =
    [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0, 5000.0, 30_000.0, 1e9];

fn distribution(lags: impl Iterator<Item = f64>) -> Vec<LagBucket> {
    let mut counts = [0u64; BOUNDS.len()];
    for lag in lags {
        if let Some(i) = BOUNDS.iter().position(|b| lag <= *b) {
            counts[i] += 1;
        }
    }
    BOUNDS.iter().zip(counts).map(|(le_ms, count)| LagBucket { le_ms: *le_ms, count }).collect()
}

/// The budget over the SLO window: its closed minutes and the probes since.
fn budget(m: &ReadModel, live: &Live, now: i64) -> Figures {
    let horizon = now - i64::try_from(m.def.window().as_millis()).unwrap_or(i64::MAX);
    let (mut probes, mut good) = (0u64, 0u64);
    for (minute, p, g) in live.minutes.iter().filter(|x| x.0 >= horizon) {
        let _ = minute;
        probes += p;
        good += g;
    }
    let since = live.minute_saved.map_or(horizon, |s| s + 60_000);
    let recent = Figures::of(live.between(since, now).map(|p| p.1), live.slo_ms);
    Figures { probes: probes + recent.probes, good: good + recent.good, ..Figures::default() }
}

fn summary(m: &ReadModel, live: &Live, figures: &Figures, now: i64) -> LagSummary {
    let objective = m.def.objective;
    let current = live.current(now);
    let burn = |ms: i64| Figures::of(live.between(now - ms, now).map(|p| p.1), live.slo_ms).burn(objective);
    LagSummary {
        read_model: m.name().to_string(),
        state: live.state(),
        current_ms: current.map(|c| c.0),
        p50_ms: figures.p50,
        p95_ms: figures.p95,
        p99_ms: figures.p99,
        slo_ms: m.def.slo_ms,
        compliance: figures.compliance(),
        budget_left: budget(m, live, now).budget_left(objective),
        service: m.def.service.clone(),
        outstanding: current.is_some_and(|c| c.1),
        reason: live.unknown.as_ref().map(|(_, r)| r.clone()),
        burn_1h: burn(3_600_000),
        burn_6h: burn(6 * 3_600_000),
        objective,
        probes: figures.probes,
    }
}

impl Lag {
    /// Every read model over the last hour; any logged-in user may look.
    pub fn list(&self, _actor: &Principal) -> Vec<LagSummary> {
        let now = now_ms();
        self.models()
            .iter()
            .map(|m| {
                let live = m.lock();
                let figures = Figures::of(live.between(now - 3_600_000, now).map(|p| p.1), live.slo_ms);
                summary(m, &live, &figures, now)
            })
            .collect()
    }

    /// One read model over a window (`5m`, `1h`, `24h` from its probes; `28d` from its
    /// minutes), with its breaches and positions.
    pub async fn detail(
        &self,
        actor: &Principal,
        name: &str,
        window: &str,
    ) -> Result<LagDetail, BackendError> {
        self.detail_since(actor, name, window, None).await
    }

    /// As `detail`, counting only probes since `since_ms` when given (to measure a change).
    pub async fn detail_since(
        &self,
        _actor: &Principal,
        name: &str,
        window: &str,
        since_ms: Option<i64>,
    ) -> Result<LagDetail, BackendError> {
        let span = window_ms(window)?;
        let m = self.model(name)?;
        let now = now_ms();
        let span = since_ms.map_or(span, |s| span.min(now - s).max(0));
        let minutes = if span > super::live::KEEP_MS {
            Some(store::minutes_since(&self.store, name, now - span).await?)
        } else {
            None
        };
        let breaches = store::breaches_since(&self.store, name, now - span).await?;
        let live = m.lock();
        let figures = match &minutes {
            Some(minutes) => {
                let mut h = LagHistogram::default();
                let (mut probes, mut good) = (0u64, 0u64);
                for minute in minutes {
                    h.merge(&minute.histogram);
                    probes += u64::try_from(minute.probes).unwrap_or(0);
                    good += u64::try_from(minute.good).unwrap_or(0);
                }
                Figures::of_histogram(&h, probes, good)
            }
            None => Figures::of(live.between(now - span, now).map(|p| p.1), live.slo_ms),
        };
        // The store has what the keeper saved (once a second); the live breaches are newer.
        let mut all = breaches;
        let horizon = now - span;
        for b in live.recent_breaches.iter().chain(live.breach.iter()) {
            if b.end_ms.is_some_and(|e| e < horizon) {
                continue;
            }
            match all.iter_mut().find(|s| s.start_ms == b.start_ms) {
                Some(saved) => *saved = b.clone(),
                None => all.push(b.clone()),
            }
        }
        all.sort_by_key(|b| std::cmp::Reverse(b.start_ms));
        Ok(LagDetail {
            summary: summary(&m, &live, &figures, now),
            window: window.to_string(),
            breaches: all,
            positions: live.positions.clone(),
            metric_ms: live.metric_ms,
            source_url: m.source_url.clone(),
            read_url: m.read_url.clone(),
            positions_error: live.positions_error.clone(),
            queries: m.queries.load(std::sync::atomic::Ordering::Relaxed),
            distribution: match &minutes {
                Some(_) => Vec::new(),
                None => distribution(live.between(now - span, now).map(|p| p.1)),
            },
        })
    }

    /// The charts of one read model over the last `span` ms (a day at most): the heartbeat
    /// lag with its p99 per step, the service's own lag metric and the SLO line, breaches and
    /// unknown periods shaded; and, on the same time axis, how far behind its position is.
    pub fn charts(
        &self,
        _actor: &Principal,
        name: &str,
        span: i64,
        log: bool,
    ) -> Result<LagCharts, BackendError> {
        let m = self.model(name)?;
        let now = now_ms();
        let from = now - span.min(super::live::KEEP_MS);
        let metric = m.def.metric.as_ref().map(|family| {
            let points: Vec<(i64, f64)> = self
                .metrics
                .history()
                .query(&m.def.service, None, family, from, now)
                .into_iter()
                .max_by_key(|(_, p)| p.len())
                .map(|(_, p)| p)
                .unwrap_or_default();
            Line { label: format!("{family} (the service's own)"), points }
        });
        let live = m.lock();
        let probes: Vec<(i64, f64)> = live.between(from, now).map(|p| (p.0, p.1 / 1000.0)).collect();
        let step = (span / 60).max(1000);
        let p99: Vec<(i64, f64)> = probes
            .chunk_by(|a, b| a.0.div_euclid(step) == b.0.div_euclid(step))
            .filter_map(|c| {
                let f = Figures::of(c.iter().map(|p| p.1), f64::MAX);
                f.p99.map(|v| (c[c.len() - 1].0, v))
            })
            .collect();
        let mut lines = vec![Line { label: "heartbeat lag".into(), points: probes }];
        lines.push(Line { label: "p99 per step".into(), points: p99 });
        lines.extend(metric);
        let mut shaded: Vec<(i64, i64)> = live
            .recent_breaches
            .iter()
            .chain(live.breach.iter())
            .map(|b| (b.start_ms, b.end_ms.unwrap_or(now)))
            .collect();
        shaded.extend(live.unknown_spans.iter().copied());
        if let Some((since, _)) = &live.unknown {
            shaded.push((*since, now));
        }
        let slo = RefLine { label: format!("SLO {} ms", m.def.slo_ms), value: m.def.slo_ms / 1000.0 };
        // Both charts on one time axis: the probes' (a fresh hub's data starts late).
        let first = live.probes.front().map_or(from, |p| p.0).max(from);
        let input = ChartInput {
            lines: &lines,
            shaded: &shaded,
            refs: &[slo],
            unit: Unit::Seconds,
            from: first,
            to: now,
            fit: false,
            log,
        };
        let lag = chart(&input).map_err(|e| BackendError::Internal(e.to_string()))?;
        let positions = m.def.positions.as_ref().map(|_| {
            let behind = vec![Line {
                label: "messages behind".into(),
                points: live.behind.iter().copied().filter(|b| b.0 >= first).collect(),
            }];
            let input = ChartInput {
                lines: &behind,
                shaded: &shaded,
                refs: &[],
                unit: Unit::Count,
                from: first,
                to: now,
                fit: false,
                log: false,
            };
            chart(&input).map_err(|e| BackendError::Internal(e.to_string()))
        });
        Ok(LagCharts { lag, positions: positions.transpose()? })
    }
}
