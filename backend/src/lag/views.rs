//! What the Lag pages and `/api/v1/lag` show: each read model's figures over a window, its
//! breaches and positions, and its chart.

use super::histogram::LagHistogram;
use super::live::{Figures, Live};
use super::{store, Lag, ReadModel};
use crate::{now_ms, BackendError, Principal};
use types::lag::{LagBucket, LagDetail, LagPercentiles, LagSummary};

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

/// Probes by lag: `(lag ms, how many)`.
fn distribution(lags: impl Iterator<Item = (f64, u64)>) -> Vec<LagBucket> {
    let mut counts = [0u64; BOUNDS.len()];
    for (lag, n) in lags {
        if let Some(i) = BOUNDS.iter().position(|b| lag <= *b) {
            counts[i] += n;
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
    let recent = live.figures(since, now);
    Figures { probes: probes + recent.probes, good: good + recent.good, ..Figures::default() }
}

fn summary(m: &ReadModel, live: &Live, figures: &Figures, now: i64) -> LagSummary {
    let objective = m.def.objective;
    let current = live.current(now);
    let burn = |ms: i64| live.figures(now - ms, now).burn(objective);
    let windows = WINDOWS[..3]
        .iter()
        .map(|(window, span)| {
            let f = live.figures(now - span, now);
            LagPercentiles {
                window: (*window).to_string(),
                p50_ms: f.p50,
                p95_ms: f.p95,
                p99_ms: f.p99,
                probes: f.probes,
            }
        })
        .collect();
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
        windows,
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
                let figures = live.figures(now - 3_600_000, now);
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
        let (figures, distribution, unknown_ms) = match &minutes {
            Some(minutes) => {
                let mut h = LagHistogram::default();
                let (mut probes, mut good, mut unknown_ms) = (0u64, 0u64, 0i64);
                for minute in minutes {
                    h.merge(&minute.histogram);
                    probes += u64::try_from(minute.probes).unwrap_or(0);
                    good += u64::try_from(minute.good).unwrap_or(0);
                    unknown_ms += minute.unknown_ms;
                }
                let since = minutes.last().map_or(now - span, |m| m.minute_ms + 60_000);
                unknown_ms += live.unknown_ms(since, now);
                let spread = distribution(h.buckets().map(|(us, n)| (us / 1000.0, n)));
                (Figures::of_histogram(&h, probes, good), spread, unknown_ms)
            }
            None => (
                live.figures(now - span, now),
                distribution(live.between(now - span, now).map(|p| (p.1, 1))),
                live.unknown_ms(now - span, now),
            ),
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
            queries: m.queries(),
            distribution,
            unknown_ms,
            now_ms: now,
        })
    }
}
