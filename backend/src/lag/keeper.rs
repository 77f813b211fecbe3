//! Keeping the lag history: probes saved as they come (a batch a second), each closed minute
//! as a histogram for the SLO window, breaches as they start and end; a day of probes and
//! the longest window of minutes kept.

use super::histogram::LagHistogram;
use super::store::{self, Minute};
use super::{Lag, ReadModel};
use crate::jobs::Job;
use crate::{now_ms, BackendError};
use std::sync::{Arc, PoisonError};
use types::lag::LagBreach;

const MINUTE: i64 = 60_000;
/// Minutes are kept for the longest SLO window a config may name.
const MINUTES_KEPT: i64 = 90 * 86_400_000;

pub struct LagKeeper(pub Arc<Lag>);

/// What one read model has to save now.
struct Pending {
    probes: Vec<super::live::Probe>,
    open: Option<LagBreach>,
    ended: Vec<LagBreach>,
    minutes: Vec<Minute>,
}

fn take_pending(m: &ReadModel, now: i64) -> Pending {
    let mut live = m.lock();
    let open = if std::mem::take(&mut live.breach_changed) { live.breach.clone() } else { None };
    let current_minute = now.div_euclid(MINUTE) * MINUTE;
    let first = live.minute_saved.map_or_else(
        || live.probes.front().map_or(current_minute, |p| p.0.div_euclid(MINUTE) * MINUTE),
        |m| m + MINUTE,
    );
    let mut minutes = Vec::new();
    let mut minute = first.max(current_minute - 24 * 60 * MINUTE);
    while minute < current_minute {
        let mut histogram = LagHistogram::default();
        let (mut probes, mut good) = (0i64, 0i64);
        for (_, lag) in live.between(minute, minute + MINUTE - 1) {
            histogram.add(lag * 1000.0);
            probes += 1;
            good += i64::from(*lag <= live.slo_ms);
        }
        let unknown_ms = live.unknown_ms(minute, minute + MINUTE);
        live.minutes.push_back((
            minute,
            u64::try_from(probes).unwrap_or(0),
            u64::try_from(good).unwrap_or(0),
        ));
        live.minute_hists.push_back((minute, histogram.clone()));
        minutes.push(Minute { minute_ms: minute, probes, good, unknown_ms, histogram });
        minute += MINUTE;
    }
    live.minute_saved = Some(current_minute - MINUTE);
    while live.minute_hists.front().is_some_and(|m| m.0 < now - super::live::KEEP_MS) {
        live.minute_hists.pop_front();
    }
    let horizon = now - i64::try_from(m.def.window().as_millis()).unwrap_or(i64::MAX);
    while live.minutes.front().is_some_and(|m| m.0 < horizon) {
        live.minutes.pop_front();
    }
    Pending {
        probes: std::mem::take(&mut live.unsaved),
        open,
        ended: std::mem::take(&mut live.ended),
        minutes,
    }
}

async fn save(lag: &Lag, m: &ReadModel, p: &Pending) -> Result<(), sqlx::Error> {
    let name = m.name();
    store::save_probes(&lag.store, name, &p.probes).await?;
    for minute in p.minutes.iter().filter(|m| m.probes > 0 || m.unknown_ms > 0) {
        store::save_minute(&lag.store, name, minute).await?;
    }
    let id = *m.breach_id.lock().unwrap_or_else(PoisonError::into_inner);
    let mut id = id;
    for ended in &p.ended {
        match id.take() {
            Some(i) => store::update_breach(&lag.store, i, ended).await?,
            None => {
                store::open_breach(&lag.store, name, ended).await?;
            }
        }
    }
    if let Some(open) = &p.open {
        match id {
            Some(i) => store::update_breach(&lag.store, i, open).await?,
            None => id = Some(store::open_breach(&lag.store, name, open).await?),
        }
    }
    *m.breach_id.lock().unwrap_or_else(PoisonError::into_inner) = id;
    Ok(())
}

#[async_trait::async_trait]
impl Job for LagKeeper {
    fn name(&self) -> &'static str {
        "lag history"
    }

    async fn run_once(&self) -> Result<(), BackendError> {
        let now = now_ms();
        for m in self.0.models() {
            let pending = take_pending(&m, now);
            if let Err(e) = save(&self.0, &m, &pending).await {
                // Nothing is lost: the probes and ended breaches go back to be saved next round.
                tracing::warn!(read_model = %m.name(), error = %e, "could not save the lag history; will retry");
                let mut live = m.lock();
                let later = std::mem::take(&mut live.unsaved);
                live.unsaved = pending.probes.into_iter().chain(later).collect();
                live.ended.splice(0..0, pending.ended);
            }
        }
        if now.rem_euclid(3_600_000) < 1_500 {
            store::prune(&self.0.store, now - super::live::KEEP_MS, now - MINUTES_KEPT).await?;
        }
        Ok(())
    }
}
