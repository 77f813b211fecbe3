//! A bounded worker pool of named OS threads (like a JVM's ThreadPoolExecutor): `max`
//! workers, a queue of at most `queue_limit` tasks, and live counts for the metrics.

use crate::threads::{self, Activity, State};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use tokio::runtime::Handle;
use tokio::sync::oneshot;

type Task = Box<dyn FnOnce() + Send>;

#[derive(Debug, thiserror::Error)]
#[error("the worker pool {pool} is exhausted: {max} busy, {queued} queued")]
pub struct Exhausted {
    pub pool: &'static str,
    pub max: usize,
    pub queued: usize,
}

pub struct WorkerPool {
    name: &'static str,
    max: usize,
    queue_limit: usize,
    active: Arc<AtomicUsize>,
    queued: Arc<AtomicUsize>,
    sender: Mutex<Sender<Task>>,
}

const IDLE_FRAMES: &[&str] = &["std::sync::mpsc::Receiver::recv", "demo::pool::WorkerPool::next_task"];

impl WorkerPool {
    pub fn new(name: &'static str, max: usize, queue_limit: usize) -> Arc<WorkerPool> {
        let (sender, receiver) = channel::<Task>();
        let receiver = Arc::new(Mutex::new(receiver));
        let active = Arc::new(AtomicUsize::new(0));
        let queued = Arc::new(AtomicUsize::new(0));
        debug_assert!(format!("{name}-{max}").len() <= 15, "{name}: Linux cuts thread names at 15 bytes");
        for i in 1..=max {
            let (receiver, active, queued) = (receiver.clone(), active.clone(), queued.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || worker_loop(&receiver, &active, &queued));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a pool worker");
            }
        }
        Arc::new(WorkerPool { name, max, queue_limit, active, queued, sender: Mutex::new(sender) })
    }

    pub fn max(&self) -> usize {
        self.max
    }
    pub fn active(&self) -> usize {
        self.active.load(Ordering::Relaxed)
    }
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Runs `work` on a pool thread, recording `frames` as its stack while it runs.
    pub async fn run<T, F>(&self, frames: &'static [&'static str], work: F) -> Result<T, Exhausted>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        if self.queued() >= self.queue_limit {
            return Err(Exhausted { pool: self.name, max: self.max, queued: self.queued() });
        }
        let (tx, rx) = oneshot::channel();
        let handle = Handle::current();
        let work: Pin<Box<dyn Future<Output = T> + Send>> = Box::pin(work);
        let task: Task = Box::new(move || {
            threads::record(Activity {
                state: State::Runnable,
                frames: frames.to_vec(),
                waiting_on: None,
                holding: vec![],
            });
            let _ = tx.send(handle.block_on(work));
        });
        self.queued.fetch_add(1, Ordering::Relaxed);
        let sent = self.sender.lock().unwrap_or_else(PoisonError::into_inner).send(task);
        if sent.is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(Exhausted { pool: self.name, max: self.max, queued: self.queued() });
        }
        rx.await.map_err(|_| Exhausted { pool: self.name, max: self.max, queued: self.queued() })
    }

    /// Sends a raw task that blocks its worker (used by chaos to exhaust the pool).
    pub fn occupy(&self, task: Box<dyn FnOnce() + Send>) {
        self.queued.fetch_add(1, Ordering::Relaxed);
        if self.sender.lock().unwrap_or_else(PoisonError::into_inner).send(task).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

fn worker_loop(receiver: &Mutex<Receiver<Task>>, active: &AtomicUsize, queued: &AtomicUsize) {
    loop {
        threads::idle(IDLE_FRAMES);
        let task = receiver.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok(task) = task else { return };
        queued.fetch_sub(1, Ordering::Relaxed);
        active.fetch_add(1, Ordering::Relaxed);
        task();
        active.fetch_sub(1, Ordering::Relaxed);
    }
}
