//! The runner's stdout: one protocol line per [`Response`], written whole and
//! flushed under one mutex, so lines from worker threads never interleave.
//!
//! Invariant: nothing else in the runner writes to stdout.
//! When a write fails (the engine is gone) the output is marked broken, later
//! responses are dropped, and the session ends after the current batch.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use froyo_runner_protocol::Response;

pub struct Output {
    writer: Mutex<Box<dyn Write + Send>>,
    broken: AtomicBool,
}

impl Output {
    pub fn new(writer: Box<dyn Write + Send>) -> Output {
        Output { writer: Mutex::new(writer), broken: AtomicBool::new(false) }
    }

    pub fn send(&self, response: &Response) {
        if self.is_broken() {
            return;
        }
        let mut line = response.to_line();
        line.push('\n');
        let mut writer = self.writer.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let written = writer.write_all(line.as_bytes()).and_then(|()| writer.flush());
        if let Err(error) = written {
            eprintln!("froyo-runner: cannot write to stdout ({error}); stopping");
            self.broken.store(true, Ordering::SeqCst);
        }
    }

    pub fn is_broken(&self) -> bool {
        self.broken.load(Ordering::SeqCst)
    }
}
