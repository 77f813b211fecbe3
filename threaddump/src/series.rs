//! A series of dumps of one process, some seconds apart: the container the hub keeps them in
//! (JSON: the format's name, the interval, each dump's text with when it was taken), and what
//! stayed stuck across all of them — a thread in the same frame waiting for or holding the
//! same lock in every dump, a pool without an idle thread in every dump. One dump is a
//! snapshot; a thread stuck across three is a finding.

use crate::analysis::{analyse, is_idle};
use crate::{DumpError, Thread};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use types::threads::{SeriesAnalysis, SeriesStuck};

pub const SERIES_FORMAT: &str = "switchboard-dump-series";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DumpSeries {
    pub format: String,
    pub interval_s: i64,
    pub dumps: Vec<TakenDump>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TakenDump {
    pub taken_ms: i64,
    pub text: String,
}

impl DumpSeries {
    pub fn new(interval_s: i64, dumps: Vec<TakenDump>) -> DumpSeries {
        DumpSeries { format: SERIES_FORMAT.into(), interval_s, dumps }
    }

    /// The series in `text`, when it is one (None: a single dump, or not ours).
    pub fn read(text: &str) -> Option<DumpSeries> {
        let head: String = text.chars().take(64).collect();
        if !head.trim_start().starts_with('{') || !text.contains(SERIES_FORMAT) {
            return None;
        }
        serde_json::from_str::<DumpSeries>(text).ok().filter(|s| s.format == SERIES_FORMAT)
    }

    /// Every dump parsed (each in whichever format it is), oldest first.
    pub fn parse(&self) -> Result<Vec<(i64, Vec<Thread>)>, DumpError> {
        self.dumps
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let kind = crate::detect(&d.text).ok_or_else(|| DumpError {
                    line: 1,
                    message: format!("dump {} of the series is not a thread dump this hub can read", i + 1),
                })?;
                let threads = crate::parse(&d.text, kind).map_err(|e| DumpError {
                    line: e.line,
                    message: format!("dump {}: {}", i + 1, e.message),
                })?;
                Ok((d.taken_ms, threads))
            })
            .collect()
    }
}

/// Waiting for a lock, or holding one, and not a pool thread idling for work.
fn on_a_lock(t: &Thread) -> bool {
    (t.waiting_on.is_some() || !t.holds.is_empty()) && !is_idle(t)
}

fn same_place(a: &Thread, b: &Thread) -> bool {
    a.frames.first() == b.frames.first() && a.waiting_on == b.waiting_on && a.holds == b.holds && on_a_lock(b)
}

pub fn series(dumps: &[(i64, Vec<Thread>)], interval_s: i64) -> SeriesAnalysis {
    let listed = dumps.iter().map(|(at, threads)| (*at, threads.len())).collect();
    let Some(((_, first), rest)) = dumps.split_first() else {
        return SeriesAnalysis { dumps: listed, interval_s, stuck: vec![], exhausted_pools: vec![] };
    };
    let later: Vec<HashMap<&str, &Thread>> =
        rest.iter().map(|(_, d)| d.iter().map(|t| (t.name.as_str(), t)).collect()).collect();
    let mut stuck: Vec<SeriesStuck> = first
        .iter()
        .filter(|t| on_a_lock(t) && !rest.is_empty())
        .filter(|t| later.iter().all(|d| d.get(t.name.as_str()).is_some_and(|l| same_place(t, l))))
        .map(|t| SeriesStuck {
            name: t.name.clone(),
            state: t.state.clone(),
            frame: t.frames.first().cloned(),
            waiting_on: t.waiting_on.clone(),
            holds: t.holds.clone(),
        })
        .collect();
    stuck.sort_by(|a, b| a.name.cmp(&b.name));
    let analyses: Vec<_> = dumps.iter().map(|(_, d)| analyse(d)).collect();
    let exhausted_pools = analyses
        .last()
        .map(|last| {
            last.pools
                .iter()
                .filter(|p| analyses.iter().all(|a| a.pools.iter().any(|q| q.name == p.name && q.exhausted)))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    SeriesAnalysis { dumps: listed, interval_s, stuck, exhausted_pools }
}
