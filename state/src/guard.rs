//! [`LockGuard`]: the workspace lock while this process holds it, whatever
//! the backend. Each backend's `lock` starts a heartbeat thread with its own
//! connection and hands it to the guard; dropping the guard stops the thread,
//! which gives the lock back.
//!
//! Invariant: the guard never blocks on anything but its own heartbeat
//! thread, which ends as soon as it is told to.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::StateError;
use crate::types::LockInfo;

/// How the lock's heartbeat runs. The defaults suit production; tests shorten them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockTiming {
    /// How often a held lock's heartbeat is written. Default 5 s.
    pub heartbeat_every: Duration,
    /// How old a heartbeat must be for its holder to count as dead. Default 60 s.
    pub stale_after: Duration,
}

impl Default for LockTiming {
    fn default() -> Self {
        LockTiming { heartbeat_every: Duration::from_secs(5), stale_after: Duration::from_secs(60) }
    }
}

/// Holds the workspace lock until dropped (or [`released`](LockGuard::release)).
#[must_use = "the lock is released as soon as the guard is dropped"]
#[derive(Debug)]
pub struct LockGuard {
    info: LockInfo,
    held: Arc<AtomicBool>,
    /// The state's record of the token it holds, cleared on release.
    holding: Arc<std::sync::Mutex<Option<String>>>,
    stop: Option<mpsc::Sender<()>>,
    heartbeat: Option<JoinHandle<Result<(), StateError>>>,
}

impl LockGuard {
    /// A guard over a heartbeat thread that was just started: `held` is
    /// cleared by the thread when the lock stops being ours, `holding` is
    /// the state's record of the token, cleared on release, `stop` ends the
    /// thread (dropping it is enough).
    pub(crate) fn new(
        info: LockInfo,
        held: Arc<AtomicBool>,
        holding: Arc<std::sync::Mutex<Option<String>>>,
        stop: mpsc::Sender<()>,
        heartbeat: JoinHandle<Result<(), StateError>>,
    ) -> LockGuard {
        LockGuard { info, held, holding, stop: Some(stop), heartbeat: Some(heartbeat) }
    }
}

impl LockGuard {
    /// Who holds the lock: this process, as of when it was taken.
    pub fn info(&self) -> &LockInfo {
        &self.info
    }

    /// False once the heartbeat found the lock no longer ours (broken with
    /// `unlock`, or taken over after this process stalled past the stale limit).
    pub fn is_held(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Releases the lock now, reporting whether the release was written.
    pub fn release(mut self) -> Result<(), StateError> {
        self.stop_heartbeat()
    }

    fn stop_heartbeat(&mut self) -> Result<(), StateError> {
        if let Ok(mut holding) = self.holding.lock() {
            *holding = None;
        }
        drop(self.stop.take());
        match self.heartbeat.take().map(JoinHandle::join) {
            Some(Ok(result)) => result,
            // The heartbeat thread does not panic; if it did, the lock goes stale
            // and the next holder takes it over.
            Some(Err(_)) | None => Ok(()),
        }
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let _ = self.stop_heartbeat();
    }
}
