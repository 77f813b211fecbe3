//! The heartbeat probe of one read model (pt-heartbeat's idea, through the CQRS pipeline):
//! the hub writes a heartbeat on the source side, then reads the read side until that
//! heartbeat's sequence number shows — one clock measures both ends. It polls every 1 ms
//! while the lag is under four times the SLO (and at least 50 ms), then backs off (doubling,
//! up to the interval), so a stalled read model costs a few queries a second. Positions and the service's own lag
//! metric are read beside it, once a second.

use super::ReadModel;
use crate::connections::describe;
use crate::metrics::Metrics;
use crate::now_ms;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// How long one write or read of a heartbeat may take before the side counts as unreachable.
const CALL: Duration = Duration::from_secs(2);
const FAST_POLL: Duration = Duration::from_millis(1);
const SIDE_POLL: Duration = Duration::from_secs(1);

fn now_us() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
}

/// How long a heartbeat is polled for at 1 ms: well past the SLO, so that a lag of a few
/// times the SLO is still measured to the millisecond.
pub fn fast_window(slo_ms: f64) -> Duration {
    Duration::from_secs_f64((slo_ms * 4.0).max(50.0) / 1000.0)
}

/// Runs the probe until `stop`.
pub async fn run(m: Arc<ReadModel>, stop: CancellationToken) {
    let interval = m.def.interval();
    let slow_after = fast_window(m.def.slo_ms);
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seq = 0i64;
    let (write, read, id) = (m.def.probe.write.get_ref(), m.def.probe.read.get_ref(), &m.def.probe.id);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        // The hub's clock in µs, and never less than the last: a sequence across restarts.
        seq = (seq + 1).max(now_us());
        m.source_queries.fetch_add(1, Ordering::Relaxed);
        // Like pt-heartbeat, the lag counts from the moment the heartbeat is written (the
        // time it carries), so the commit is part of what the pipeline takes.
        let t0 = Instant::now();
        let written_ms = now_ms();
        let wrote = tokio::time::timeout(CALL, m.source.write_heartbeat(write, id, seq, now_us())).await;
        let problem = match wrote {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(format!(
                "the heartbeat cannot be written to {} on {}: {}",
                write,
                m.def.source.get_ref(),
                describe(&e)
            )),
            Err(_) => Some(format!(
                "{} did not take the heartbeat within {} s",
                m.def.source.get_ref(),
                CALL.as_secs()
            )),
        };
        if let Some(why) = problem {
            m.lock().set_unknown(now_ms(), why);
            continue;
        }
        m.lock().written(written_ms);
        let mut delay = FAST_POLL;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                () = tokio::time::sleep(delay) => {}
            }
            m.read_queries.fetch_add(1, Ordering::Relaxed);
            match tokio::time::timeout(CALL, m.read.read_heartbeat(read, id)).await {
                Ok(Ok(Some(seen))) if seen >= seq => {
                    let lag_ms = t0.elapsed().as_secs_f64() * 1000.0;
                    m.lock().arrived(now_ms(), lag_ms);
                    break;
                }
                Ok(Ok(_)) => m.lock().waiting(now_ms(), t0.elapsed()),
                Ok(Err(e)) => {
                    let why = format!(
                        "the heartbeat cannot be read from {} on {}: {}",
                        read,
                        m.def.read.get_ref(),
                        describe(&e)
                    );
                    m.lock().set_unknown(now_ms(), why);
                    delay = interval;
                    continue;
                }
                Err(_) => {
                    let why = format!("{} did not answer within {} s", m.def.read.get_ref(), CALL.as_secs());
                    m.lock().set_unknown(now_ms(), why);
                    delay = interval;
                    continue;
                }
            }
            if t0.elapsed() > slow_after {
                delay = (delay * 2).min(interval);
            }
        }
    }
}

/// Stream positions and the service's own lag metric, once a second, until `stop`.
pub async fn sides(m: Arc<ReadModel>, metrics: Arc<Metrics>, stop: CancellationToken) {
    let mut tick = tokio::time::interval(SIDE_POLL);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = tick.tick() => {}
        }
        if let Some(p) = &m.def.positions {
            m.source_queries.fetch_add(1, Ordering::Relaxed);
            m.read_queries.fetch_add(1, Ordering::Relaxed);
            let (source, read) = tokio::join!(
                m.source.read_only_integer(p.source.get_ref()),
                m.read.read_only_integer(p.read.get_ref())
            );
            let mut live = m.lock();
            match (source, read) {
                (Ok(source), Ok(read)) => {
                    let behind = (source - read).max(0);
                    live.positions = Some(types::lag::LagPositions { source, read, behind });
                    live.positions_error = None;
                    let now = now_ms();
                    #[expect(clippy::cast_precision_loss, reason = "a count of messages")]
                    live.behind.push_back((now, behind as f64));
                    while live.behind.front().is_some_and(|b| b.0 < now - super::live::KEEP_MS) {
                        live.behind.pop_front();
                    }
                }
                (Err(e), _) => {
                    live.positions_error =
                        Some(format!("positions.source on {}: {e}", m.def.source.get_ref()))
                }
                (_, Err(e)) => {
                    live.positions_error = Some(format!("positions.read on {}: {e}", m.def.read.get_ref()))
                }
            }
        }
        if let Some(family) = &m.def.metric {
            let value = metrics.latest(&m.def.service, family, now_ms() - 60_000);
            m.lock().metric_ms = value.map(|v| v * 1000.0);
        }
    }
}
