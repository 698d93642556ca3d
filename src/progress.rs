//! Progress of plans and applies: a live display on a terminal, plain lines otherwise.
//!
//! On a terminal (stderr), each phase gets an indicatif bar that advances as
//! the engine reports steps, and failures are printed above it as they
//! happen. Elsewhere (CI logs, pipes) each applied instance is one line, and
//! planning is silent: a log should read like a record, not an animation.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::Duration;

use froyo_engine::{Key, Phase, Reporter};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    live: bool,
    bar: Mutex<Option<ProgressBar>>,
}

impl Progress {
    /// A live display when stderr is a terminal, plain lines otherwise.
    pub fn new() -> Progress {
        Progress { live: std::io::stderr().is_terminal(), bar: Mutex::new(None) }
    }

    fn with_bar(&self, f: impl FnOnce(&ProgressBar)) {
        if let Ok(bar) = self.bar.lock()
            && let Some(bar) = bar.as_ref()
        {
            f(bar);
        }
    }
}

impl Reporter for Progress {
    fn begin(&self, phase: Phase, total: usize) {
        if !self.live {
            if phase == Phase::Apply && total > 0 {
                eprintln!("applying {total} change{}", if total == 1 { "" } else { "s" });
            }
            return;
        }
        if total == 0 {
            return;
        }
        let bar = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("{spinner} {msg:10} [{bar:30}] {pos}/{len} {elapsed}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(phase.label());
        bar.enable_steady_tick(Duration::from_millis(120));
        if let Ok(mut slot) = self.bar.lock() {
            if let Some(old) = slot.take() {
                old.finish_and_clear();
            }
            *slot = Some(bar);
        }
    }

    fn step(&self, phase: Phase, key: &Key, address: &str, message: &str, failed: bool) {
        let line = if key.resource.is_empty() {
            format!("{address}: {message}")
        } else {
            format!("{address} on {}: {message}", key.host)
        };
        if self.live {
            self.with_bar(|bar| {
                bar.inc(1);
                if failed {
                    bar.println(&line);
                }
            });
        } else if phase == Phase::Apply || (phase == Phase::Connect && failed) {
            eprintln!("{line}");
        }
    }

    fn end(&self, _phase: Phase) {
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}
