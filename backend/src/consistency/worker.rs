//! The residual batch as a job: this hub claims queued runs (SKIP LOCKED on PostgreSQL),
//! holds them under a lease it renews every second, and runs each chunk by chunk — at most
//! `rate.queries` chunks at once, at most `rate.rows_per_s` rows a second — saving every
//! chunk with what it found. A run cut short by a restart goes back to the queue and goes
//! on from its saved chunks; a database that stops answering is waited for, then the run
//! fails with the reason.

use super::residual::{self, Chunk};
use super::side::{self, Pair};
use super::{findings, store, CheckError, Checks};
use crate::config::checks::CheckDef;
use crate::now_ms;
use futures::{StreamExt, TryStreamExt};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use types::checks::{RunMode, RunState};

/// How long a run holds its lease between renewals.
const LEASE: Duration = Duration::from_secs(30);
/// Runs one hub works on at once.
const MAX_RUNS: usize = 2;
/// Changes a run of recent changes compares.
const RECENT_KEYS: i64 = 10_000;
/// How long a run waits for a database that stopped answering before it fails.
pub const WAIT_FOR_DATABASE: Duration = Duration::from_secs(60);

/// Why a run stopped before its end.
enum Stop {
    /// Someone cancelled it (the reason), or the hub is stopping (None).
    Cancelled(Option<String>),
    Failed(CheckError),
}

impl From<CheckError> for Stop {
    fn from(e: CheckError) -> Stop {
        Stop::Failed(e)
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

impl Checks {
    /// Claims and runs queued runs until `shutdown`; runs cut short stay claimable.
    pub async fn work(self: Arc<Self>, shutdown: CancellationToken) {
        if let Err(e) = store::requeue_orphans(&self.store, now_ms(), Some(&self.owner)).await {
            tracing::warn!(error = %e, "could not requeue the runs of the last start");
        }
        let mut rounds = 0u64;
        let tasks = TaskTracker::new();
        loop {
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
            // The UI's checks, as the store has them (another hub may have changed them).
            if rounds.is_multiple_of(5) {
                if let Err(e) = self.refresh_defined().await {
                    tracing::warn!(error = %e, "could not read the checks defined in the UI");
                }
            }
            rounds += 1;
            if let Err(e) = self.tend(&shutdown, &tasks).await {
                tracing::warn!(error = %e, "check runs: the store did not answer; trying again");
            }
        }
        tasks.close();
        tasks.wait().await;
    }

    /// One round: renew leases, pass on cancels, requeue what other hubs dropped, claim.
    pub async fn tend(
        self: &Arc<Self>,
        shutdown: &CancellationToken,
        tasks: &TaskTracker,
    ) -> Result<(), sqlx::Error> {
        let now = now_ms();
        for (id, reason) in store::renew(&self.store, &self.owner, now + ms(LEASE)).await? {
            let running = self.running.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((token, why)) = running.get(&id) {
                why.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(reason);
                token.cancel();
            }
        }
        store::requeue_orphans(&self.store, now, None).await?;
        let free = MAX_RUNS.saturating_sub(self.running.lock().unwrap_or_else(PoisonError::into_inner).len());
        if free == 0 {
            return Ok(());
        }
        let limit = i64::try_from(free).unwrap_or(1);
        for (id, check, mode) in store::claim(&self.store, &self.owner, now, now + ms(LEASE), limit).await? {
            let recent = mode == RunMode::Recent.as_str();
            let token = shutdown.child_token();
            let why = Arc::new(std::sync::Mutex::new(None));
            self.running
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(id, (token.clone(), why.clone()));
            let me = self.clone();
            tasks.spawn(async move {
                let stop = if recent {
                    me.execute_recent(id, &check, &token).await
                } else {
                    me.execute(id, &check, &token).await
                };
                me.running.lock().unwrap_or_else(PoisonError::into_inner).remove(&id);
                let reason = why.lock().unwrap_or_else(PoisonError::into_inner).clone();
                me.settle(id, &check, stop, reason).await;
            });
        }
        Ok(())
    }

    /// Runs check `name` here and now (the command line), under this hub's lease, and
    /// returns the run as it ended; `stop` cancels it.
    pub async fn run_here(
        &self,
        name: &str,
        mode: RunMode,
        by: &str,
        stop: &CancellationToken,
    ) -> Result<types::checks::RunView, crate::BackendError> {
        self.definition(name).map_err(crate::BackendError::from)?;
        let now = now_ms();
        let id =
            store::insert_running(&self.store, name, mode, by, &self.owner, now, now + ms(LEASE)).await?;
        let renewing = async {
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let _ = store::renew(&self.store, &self.owner, now_ms() + ms(LEASE)).await;
            }
        };
        let work = async {
            if mode == RunMode::Recent {
                self.execute_recent(id, name, stop).await
            } else {
                self.execute(id, name, stop).await
            }
        };
        let outcome = tokio::select! {
            outcome = work => outcome,
            () = renewing => Ok(()),
        };
        let reason = stop.is_cancelled().then(|| "interrupted".to_string());
        self.settle(id, name, outcome, reason).await;
        let row = store::get(&self.store, id)
            .await?
            .ok_or_else(|| crate::BackendError::NotFound(format!("run #{id}")))?;
        Ok(row.view(now_ms()))
    }

    async fn settle(&self, id: i64, check: &str, stop: Result<(), Stop>, reason: Option<String>) {
        let (state, error) = match stop {
            Ok(()) => (RunState::Done, None),
            Err(Stop::Cancelled(None)) if reason.is_none() => {
                tracing::info!(
                    run = id,
                    check,
                    "check run interrupted by the hub's stop; it resumes at the next start"
                );
                return;
            }
            Err(Stop::Cancelled(why)) => (RunState::Cancelled, why.or(reason)),
            Err(Stop::Failed(e)) => (RunState::Failed, Some(e.to_string())),
        };
        tracing::info!(
            run = id,
            check,
            state = state.as_str(),
            error = error.as_deref().unwrap_or(""),
            "check run ended"
        );
        if let Err(e) = store::finish(&self.store, id, state, error.as_deref(), now_ms()).await {
            tracing::error!(run = id, error = %e, "could not record the end of a check run");
        }
    }

    fn definition(&self, check: &str) -> Result<CheckDef, CheckError> {
        self.all()
            .iter()
            .find(|c| c.name() == check)
            .cloned()
            .ok_or_else(|| CheckError::Definition(format!("check {check} is no longer in the config")))
    }

    pub(super) async fn pair(&self, def: &CheckDef) -> Result<Pair, CheckError> {
        let config = self.catalog.config();
        let open = |name: &str| {
            self.connections.open(&config, name).map(|(pool, _)| pool).map_err(CheckError::Definition)
        };
        side::resolve(def, open(def.source.connection.get_ref())?, open(def.target.connection.get_ref())?)
            .await
    }

    /// How long a difference is given to heal before it is reported: the read model's p99
    /// lag over the last 5 minutes, twice, from 50 ms to 5 s. Without a read model there is no
    /// lag to wait out: the rows are read again at once (a write in flight has landed).
    pub(super) fn heal_wait(&self, def: &CheckDef) -> Duration {
        // The lag right now counts too: a read model falling behind has not shown it in its
        // p99 yet.
        let now = def.read_model.as_ref().and_then(|rm| self.lag.now(rm.get_ref())).and_then(|(lag, _)| lag);
        let p99 = def.read_model.as_ref().and_then(|rm| self.lag.p99_over(rm.get_ref(), 5));
        let p99 = match (p99, now) {
            (Some(p), Some(n)) => Some(p.max(n)),
            (p, n) => p.or(n),
        };
        p99.map_or(Duration::ZERO, |ms| Duration::from_secs_f64((ms * 2.0 / 1000.0).clamp(0.05, 5.0)))
    }

    async fn execute(&self, id: i64, check: &str, token: &CancellationToken) -> Result<(), Stop> {
        let def = self.definition(check)?;
        let pair = self.waiting(token, || self.pair(&def)).await?;
        let chunks = self.plan(id, &pair, i64::from(def.rate.queries), token).await?;
        let done: Vec<i64> = store::done_chunks(&self.store, id).await.map_err(CheckError::Store)?;
        let todo: Vec<Chunk> =
            chunks.into_iter().filter(|c| !done.contains(&i64::try_from(c.index).unwrap_or(-1))).collect();
        let wait = self.heal_wait(&def);
        let (started, rows) = (Instant::now(), AtomicU64::new(0));
        let queries = usize::try_from(def.rate.queries).unwrap_or(1);
        futures::stream::iter(todo)
            .map(Ok)
            .try_for_each_concurrent(queries, |chunk| {
                let (def, pair, rows) = (&def, &pair, &rows);
                async move {
                    let n = self.chunk(id, def, pair, &chunk, wait, token).await?;
                    // The rate: rows read so far never run ahead of rows_per_s.
                    let total = rows.fetch_add(n, Ordering::Relaxed) + n;
                    #[expect(clippy::cast_precision_loss, reason = "rows")]
                    let due = Duration::from_secs_f64(total as f64 / def.rate.rows_per_s as f64);
                    if let Some(ahead) = due.checked_sub(started.elapsed()) {
                        tokio::select! {
                            () = token.cancelled() => return Err(Stop::Cancelled(None)),
                            () = tokio::time::sleep(ahead) => {}
                        }
                    }
                    Ok(())
                }
            })
            .await
    }

    async fn plan(
        &self,
        id: i64,
        pair: &Pair,
        parallel: i64,
        token: &CancellationToken,
    ) -> Result<Vec<Chunk>, Stop> {
        let row = store::get(&self.store, id).await.map_err(CheckError::Store)?;
        if let Some(plan) = row.and_then(|r| r.plan) {
            return serde_json::from_str(&plan).map_err(|e| {
                Stop::Failed(CheckError::Definition(format!("run #{id} has a damaged plan: {e}")))
            });
        }
        let chunks = self.waiting(token, || residual::plan(pair, parallel)).await?;
        let text = serde_json::to_string(&chunks).unwrap_or_default();
        let total = i64::try_from(chunks.len()).unwrap_or(i64::MAX);
        store::save_plan(&self.store, id, &text, total).await.map_err(CheckError::Store)?;
        Ok(chunks)
    }

    /// Whether the read model of `def` is lagging: in breach or unknown at any time in
    /// `[from, to]`, or over its SLO right now (before a breach is declared).
    pub(super) fn lagging(&self, def: &CheckDef, from: i64, to: i64) -> bool {
        let Some(rm) = def.read_model.as_ref().map(|r| r.get_ref()) else { return false };
        let over_now = match self.lag.now(rm) {
            Some((Some(lag), slo)) => lag > slo,
            _ => true,
        };
        over_now || self.lag.troubled_between(rm, from, to)
    }

    /// A run of recent changes: the last changes the source recorded, compared key by key
    /// once their lag has passed, as one chunk.
    async fn execute_recent(&self, id: i64, check: &str, token: &CancellationToken) -> Result<(), Stop> {
        let def = self.definition(check)?;
        let recent = def
            .recent
            .clone()
            .ok_or_else(|| CheckError::Definition(format!("check {check} has no `recent` to follow")))?;
        let pair = self.waiting(token, || self.pair(&def)).await?;
        let changes =
            self.waiting(token, || super::recent::latest(&pair.source, &recent, RECENT_KEYS)).await?;
        store::save_plan(&self.store, id, "[]", 1).await.map_err(CheckError::Store)?;
        let wait = self.heal_wait(&def);
        let from = now_ms();
        let found = self
            .waiting(token, || async {
                let (s, t) = tokio::join!(
                    pair.source.rows_by_key(&changes.keys),
                    pair.target.rows_by_key(&changes.keys)
                );
                Ok(super::diff::compare(s?, t?, &residual::column_names(&pair), &pair.tolerances))
            })
            .await?;
        let found = self.waiting(token, || residual::recheck(&pair, found.clone(), wait)).await?;
        let lagging = self.lagging(&def, from - ms(wait), now_ms());
        let found: Vec<_> = found.into_iter().map(|f| (f, lagging)).collect();
        let keys: Vec<String> = pair.source.keys.iter().map(|k| k.name.clone()).collect();
        let rows = i64::try_from(changes.keys.len()).unwrap_or(0);
        let done = findings::ChunkDone {
            run_id: id,
            check: def.name(),
            chunk: 0,
            rows_source: rows,
            rows_target: rows,
            found: &found,
            key_names: &keys,
            column_names: &residual::column_names(&pair),
            now: now_ms(),
        };
        findings::save_chunk(&self.store, &done).await.map_err(CheckError::Store)?;
        Ok(())
    }

    /// Compares, looks again after `wait`, and saves one chunk; the rows it read.
    async fn chunk(
        &self,
        id: i64,
        def: &CheckDef,
        pair: &Pair,
        chunk: &Chunk,
        wait: Duration,
        token: &CancellationToken,
    ) -> Result<u64, Stop> {
        let from = now_ms();
        let result = self.waiting(token, || residual::compare_chunk(pair, chunk)).await?;
        let found = self.waiting(token, || residual::recheck(pair, result.found.clone(), wait)).await?;
        let lagging = self.lagging(def, from - ms(wait), now_ms());
        let found: Vec<_> = found.into_iter().map(|f| (f, lagging)).collect();
        let keys: Vec<String> = pair.source.keys.iter().map(|k| k.name.clone()).collect();
        let done = findings::ChunkDone {
            run_id: id,
            check: def.name(),
            chunk: i64::try_from(chunk.index).unwrap_or(0),
            rows_source: i64::try_from(result.rows_source).unwrap_or(i64::MAX),
            rows_target: i64::try_from(result.rows_target).unwrap_or(i64::MAX),
            found: &found,
            key_names: &keys,
            column_names: &residual::column_names(pair),
            now: now_ms(),
        };
        findings::save_chunk(&self.store, &done).await.map_err(CheckError::Store)?;
        Ok(result.rows())
    }

    /// Runs `work`, and again while a database does not answer, for up to
    /// `WAIT_FOR_DATABASE`; stops at once when the run is cancelled.
    async fn waiting<T, F, Fut>(&self, token: &CancellationToken, mut work: F) -> Result<T, Stop>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T, CheckError>>,
    {
        let first = Instant::now();
        let mut pause = Duration::from_millis(500);
        loop {
            let outcome = tokio::select! {
                () = token.cancelled() => return Err(Stop::Cancelled(None)),
                r = work() => r,
            };
            match outcome {
                Err(CheckError::Database { side, error }) if first.elapsed() < self.wait_for_database => {
                    tracing::warn!(side, error = %error, "a check's database does not answer; waiting");
                    tokio::select! {
                        () = token.cancelled() => return Err(Stop::Cancelled(None)),
                        () = tokio::time::sleep(pause) => {}
                    }
                    pause = (pause * 2).min(Duration::from_secs(5));
                }
                other => return other.map_err(Stop::Failed),
            }
        }
    }
}
