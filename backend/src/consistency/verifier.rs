//! The real-time verifier: per check with `recent`, one hub (under a lease in the store)
//! follows the source's changes, and compares each changed key on both sides once the read
//! model should have caught up. A difference is only *suspected* until it has outlived the
//! observed lag (the lag service's p99, twice, from 50 ms); seen again then, it is
//! *confirmed* and saved within seconds. While the read model is in breach or its lag is
//! unknown, suspects are marked "during lag" and wait: lag is never reported as corruption.

use super::diff::{compare, Found};
use super::residual::column_names;
use super::side::Pair;
use super::{findings, recent, verifier_store, CheckError, Checks};
use crate::config::checks::{CheckDef, RecentDef};
use crate::now_ms;
use std::collections::HashMap;
use std::sync::{Arc, PoisonError};
use std::time::Duration;
use tokio_util::sync::CancellationToken;
use types::checks::Suspect;

const TICK: Duration = Duration::from_millis(250);
/// Changes read a round, at most.
const BATCH: i64 = 1000;
const LEASE_MS: i64 = 15_000;

/// A key being watched: when it is due for a look, and what it looked like.
struct Watched {
    due: i64,
    suspect: Option<Suspect>,
}

fn suspect(f: &Found, pair: &Pair, now: i64, during_lag: bool) -> Suspect {
    Suspect {
        key: pair.source.keys.iter().map(|k| k.name.clone()).zip(f.key.iter().cloned()).collect(),
        kind: f.kind.as_str().to_string(),
        columns: f.columns.clone(),
        first_seen_ms: now,
        during_lag,
    }
}

impl Checks {
    /// The verifiers of every check with `recent`, until `shutdown`; anew on a config change.
    pub async fn verify(self: Arc<Self>, shutdown: CancellationToken) {
        // The config's changes and the UI's checks both start the verifiers anew.
        let mut config = self.catalog.subscribe();
        let me = self.clone();
        let forward = shutdown.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    () = forward.cancelled() => return,
                    changed = config.changed() => match changed {
                        Ok(()) => me.changes.send_modify(|v| *v += 1),
                        Err(_) => return,
                    },
                }
            }
        });
        let changes = self.changes.subscribe();
        crate::jobs::per_config(changes, shutdown, |tasks, generation| {
            for def in self.all().into_iter().filter(|c| c.recent.is_some()) {
                tasks.spawn(self.clone().verify_check(def, generation.clone()));
            }
            std::future::ready(())
        })
        .await;
    }

    /// Suspected differences of `check` now (confirmed ones are in its verifier's run).
    pub fn suspects(&self, check: &str) -> Vec<Suspect> {
        self.suspects.lock().unwrap_or_else(PoisonError::into_inner).get(check).cloned().unwrap_or_default()
    }

    async fn verify_check(self: Arc<Self>, def: CheckDef, stop: CancellationToken) {
        let Some(recent) = def.recent.clone() else { return };
        let mut state: Option<(Pair, i64, Option<String>)> = None;
        let mut watched: HashMap<Vec<Option<String>>, Watched> = HashMap::new();
        loop {
            tokio::select! {
                () = stop.cancelled() => break,
                () = tokio::time::sleep(TICK) => {}
            }
            let now = now_ms();
            let held =
                verifier_store::take_verifier(&self.store, def.name(), &self.owner, now, now + LEASE_MS)
                    .await;
            let Ok(Some((position, run))) = held else {
                // Another hub verifies this check (or the store is away): nothing to do here.
                state = None;
                continue;
            };
            if state.is_none() {
                match self.start_verifier(&def, &recent, position, run).await {
                    Ok(s) => state = Some(s),
                    Err(e) => {
                        tracing::warn!(check = def.name(), error = %e, "the verifier cannot start yet");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                        continue;
                    }
                }
            }
            let Some((pair, run_id, position)) = state.as_mut() else { continue };
            if let Err(e) = self.verify_round(&def, &recent, pair, *run_id, position, &mut watched).await {
                tracing::warn!(check = def.name(), error = %e, "the verifier's round failed; trying again");
            }
            let list = watched.values().filter_map(|w| w.suspect.clone()).collect();
            self.suspects.lock().unwrap_or_else(PoisonError::into_inner).insert(def.name().to_string(), list);
        }
        self.suspects.lock().unwrap_or_else(PoisonError::into_inner).remove(def.name());
    }

    async fn start_verifier(
        &self,
        def: &CheckDef,
        recent: &RecentDef,
        position: Option<String>,
        run: Option<i64>,
    ) -> Result<(Pair, i64, Option<String>), CheckError> {
        let pair = self.pair(def).await?;
        let position = match position {
            Some(p) => Some(p),
            None => recent::newest(&pair.source, recent).await?,
        };
        let run_id = verifier_store::verifier_run(&self.store, def.name(), run, now_ms()).await?;
        verifier_store::save_verifier(&self.store, def.name(), position.as_deref(), run_id).await?;
        tracing::info!(check = def.name(), run = run_id, "verifier started");
        Ok((pair, run_id, position))
    }

    async fn verify_round(
        &self,
        def: &CheckDef,
        recent: &RecentDef,
        pair: &Pair,
        run_id: i64,
        position: &mut Option<String>,
        watched: &mut HashMap<Vec<Option<String>>, Watched>,
    ) -> Result<(), CheckError> {
        let now = now_ms();
        let wait = i64::try_from(self.heal_wait(def).as_millis()).unwrap_or(200);
        let changes = match position.as_deref() {
            Some(p) => recent::after(&pair.source, recent, p, BATCH).await?,
            None => recent::latest(&pair.source, recent, 1).await?,
        };
        for key in changes.keys {
            watched.entry(key).or_insert(Watched { due: now + wait, suspect: None });
        }
        if changes.position != *position {
            *position = changes.position;
            verifier_store::save_verifier(&self.store, def.name(), position.as_deref(), run_id).await?;
        }
        let due: Vec<Vec<Option<String>>> =
            watched.iter().filter(|(_, w)| w.due <= now).map(|(k, _)| k.clone()).take(500).collect();
        if due.is_empty() {
            return Ok(());
        }
        let (s, t) = tokio::join!(pair.source.rows_by_key(&due), pair.target.rows_by_key(&due));
        let found: HashMap<Vec<Option<String>>, Found> =
            compare(s?, t?, &column_names(pair), &pair.tolerances)
                .into_iter()
                .map(|f| (f.key.clone(), f))
                .collect();
        let lagging = self.lagging(def, now - wait, now);
        let mut confirmed = Vec::new();
        for key in due {
            let Some(f) = found.get(&key) else {
                watched.remove(&key); // equal on both sides, or healed within the lag
                continue;
            };
            let Some(w) = watched.get_mut(&key) else { continue };
            match &mut w.suspect {
                Some(_) if !lagging => {
                    confirmed.push((f.clone(), false));
                    watched.remove(&key);
                }
                Some(s) => {
                    s.during_lag = true;
                    w.due = now + wait;
                }
                None => {
                    w.suspect = Some(suspect(f, pair, now, lagging));
                    w.due = now + wait;
                }
            }
        }
        if !confirmed.is_empty() {
            let keys: Vec<String> = pair.source.keys.iter().map(|k| k.name.clone()).collect();
            let batch = verifier_store::chunk_count(&self.store, run_id).await?;
            let done = findings::ChunkDone {
                run_id,
                check: def.name(),
                chunk: batch,
                rows_source: 0,
                rows_target: 0,
                found: &confirmed,
                key_names: &keys,
                column_names: &column_names(pair),
                now,
            };
            findings::save_chunk(&self.store, &done).await?;
            tracing::info!(check = def.name(), confirmed = confirmed.len(), "verifier confirmed differences");
        }
        Ok(())
    }
}
