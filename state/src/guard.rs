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
use crate::process::Writer;
use crate::time;
use crate::types::{Liveness, LockInfo};

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

/// The token of the lock a state took, while its guard lives (`holding`
/// is the state's record, which the guard clears on release).
pub(crate) fn held_token(holding: &std::sync::Mutex<Option<String>>) -> Option<String> {
    match holding.lock() {
        Ok(token) => token.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

impl LockGuard {
    /// Starts the heartbeat thread, which runs `beat` with the flag to clear
    /// when the lock stops being ours and the channel that tells it to stop
    /// (and give the lock back); then records `token` as the lock `holding`
    /// belongs to, and returns the guard over the thread. The holder is this
    /// process (`writer`), for `operation`, since `now_ms`.
    pub(crate) fn start(
        writer: &Writer,
        operation: &str,
        now_ms: i64,
        token: String,
        holding: &Arc<std::sync::Mutex<Option<String>>>,
        beat: impl FnOnce(&AtomicBool, &mpsc::Receiver<()>) -> Result<(), StateError> + Send + 'static,
    ) -> std::io::Result<LockGuard> {
        let info = LockInfo {
            owner: writer.user.clone(),
            pid: writer.pid,
            host: writer.host.clone(),
            operation: operation.to_string(),
            acquired_at: time::format_ms(now_ms),
            heartbeat_at: time::format_ms(now_ms),
            alive: Liveness::Alive,
        };
        let held = Arc::new(AtomicBool::new(true));
        let (stop, stopped) = mpsc::channel();
        let thread_held = Arc::clone(&held);
        let heartbeat = std::thread::Builder::new()
            .name("froyo-state-heartbeat".to_string())
            .spawn(move || beat(&thread_held, &stopped))?;
        if let Ok(mut mine) = holding.lock() {
            *mine = Some(token);
        }
        Ok(LockGuard {
            info,
            held,
            holding: Arc::clone(holding),
            stop: Some(stop),
            heartbeat: Some(heartbeat),
        })
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
