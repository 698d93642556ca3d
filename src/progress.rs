//! Progress of plans and applies: a live display on a terminal, plain lines otherwise.
//!
//! On a terminal (stderr), each phase gets an indicatif bar that advances as
//! the engine reports steps, and failures are printed above it as they
//! happen. Elsewhere (CI logs, pipes) each applied instance is one line, and
//! planning is silent: a log should read like a record, not an animation.
//! With more than one host, the apply phase also counts hosts: the bar says
//! how many are done, and a line says when each one is, with its failures.

use std::collections::BTreeMap;
use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::time::Duration;

use froyo_engine::{HostSteps, Key, Phase, Reporter};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    live: bool,
    bar: Mutex<Option<ProgressBar>>,
    hosts: Mutex<Option<HostTally>>,
}

/// The apply phase by host: what each still has to do, and what failed.
#[derive(Debug, Default)]
struct HostTally {
    /// Per host: steps left, steps in all, steps failed.
    hosts: BTreeMap<String, (usize, HostSteps, usize)>,
    done: usize,
}

impl HostTally {
    fn new(steps: &BTreeMap<String, HostSteps>) -> HostTally {
        let hosts = steps
            .iter()
            .filter(|(_, steps)| steps.total() > 0)
            .map(|(host, steps)| (host.clone(), (steps.total(), *steps, 0)))
            .collect();
        HostTally { hosts, done: 0 }
    }

    /// Counts one step on `host`; the line to print when it was the host's last.
    fn step(&mut self, host: &str, failed: bool) -> Option<String> {
        let (left, steps, failures) = self.hosts.get_mut(host)?;
        if *left == 0 {
            return None;
        }
        *left -= 1;
        *failures += usize::from(failed);
        if *left > 0 {
            return None;
        }
        self.done += 1;
        let steps = describe(*steps);
        Some(match *failures {
            0 => format!("{host}: done ({steps})"),
            failed => format!("{host}: done ({steps}, {failed} failed or skipped)"),
        })
    }

    /// What the bar says beside the phase: `3/16 hosts`.
    fn summary(&self) -> String {
        format!("{}/{} hosts", self.done, self.hosts.len())
    }

    /// Worth showing: one host's progress is the instances' progress.
    fn several(&self) -> bool {
        self.hosts.len() > 1
    }
}

/// `3 changes`, `1 check`, `5 changes and 1 check`.
fn describe(steps: HostSteps) -> String {
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match (steps.changes, steps.checks) {
        (changes, 0) => count(changes, "change"),
        (0, checks) => count(checks, "check"),
        (changes, checks) => format!("{} and {}", count(changes, "change"), count(checks, "check")),
    }
}

impl Progress {
    /// A live display when stderr is a terminal, plain lines otherwise.
    pub fn new() -> Progress {
        Progress {
            live: std::io::stderr().is_terminal(),
            bar: Mutex::new(None),
            hosts: Mutex::new(None),
        }
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
            // The apply phase's first line comes with `hosts`, which tells changes from checks.
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

    fn hosts(&self, phase: Phase, steps: &BTreeMap<String, HostSteps>) {
        if phase != Phase::Apply {
            return;
        }
        let all = steps.values().fold(HostSteps::default(), |all, steps| HostSteps {
            changes: all.changes + steps.changes,
            checks: all.checks + steps.checks,
        });
        if !self.live && all.total() > 0 {
            let verb = if all.changes > 0 { "applying" } else { "running" };
            eprintln!("{verb} {}", describe(all));
        }
        let tally = HostTally::new(steps);
        if self.live && tally.several() {
            let message = format!("{} · {}", phase.label(), tally.summary());
            self.with_bar(|bar| bar.set_message(message));
        }
        if let Ok(mut slot) = self.hosts.lock() {
            *slot = Some(tally);
        }
    }

    fn step(&self, phase: Phase, key: &Key, address: &str, message: &str, failed: bool) {
        let line = if key.resource.is_empty() {
            format!("{address}: {message}")
        } else {
            format!("{address} on {}: {message}", key.host)
        };
        // A host whose last change this was: said once, and counted on the bar.
        let (host_done, summary) = match (phase, self.hosts.lock()) {
            (Phase::Apply, Ok(mut slot)) => match slot.as_mut() {
                Some(tally) if tally.several() => {
                    (tally.step(&key.host, failed), Some(tally.summary()))
                }
                _ => (None, None),
            },
            _ => (None, None),
        };
        if self.live {
            self.with_bar(|bar| {
                bar.inc(1);
                if failed {
                    bar.println(&line);
                }
                if let Some(summary) = summary {
                    bar.set_message(format!("{} · {summary}", phase.label()));
                }
                if let Some(done) = &host_done {
                    bar.println(done);
                }
            });
        } else {
            if phase == Phase::Apply || (phase == Phase::Connect && failed) {
                eprintln!("{line}");
            }
            if let Some(done) = host_done {
                eprintln!("{done}");
            }
        }
    }

    fn end(&self, phase: Phase) {
        if phase == Phase::Apply
            && let Ok(mut slot) = self.hosts.lock()
        {
            *slot = None;
        }
        if let Ok(mut slot) = self.bar.lock()
            && let Some(bar) = slot.take()
        {
            bar.finish_and_clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(changes: usize, checks: usize) -> HostSteps {
        HostSteps { changes, checks }
    }

    #[test]
    fn each_host_is_said_done_once_after_its_last_change() {
        let steps = BTreeMap::from([
            ("web1".to_string(), steps(2, 0)),
            ("web2".to_string(), steps(1, 0)),
            ("web3".to_string(), steps(0, 1)),
            ("web4".to_string(), steps(1, 2)),
            ("idle".to_string(), steps(0, 0)),
        ]);
        let mut tally = HostTally::new(&steps);
        assert!(tally.several());
        assert_eq!(tally.summary(), "0/4 hosts");
        assert_eq!(tally.step("web1", false), None);
        assert_eq!(
            tally.step("web2", true).as_deref(),
            Some("web2: done (1 change, 1 failed or skipped)")
        );
        assert_eq!(tally.step("web1", false).as_deref(), Some("web1: done (2 changes)"));
        assert_eq!(tally.step("web3", false).as_deref(), Some("web3: done (1 check)"));
        assert_eq!(tally.step("web4", false), None);
        assert_eq!(tally.step("web4", false), None);
        assert_eq!(
            tally.step("web4", false).as_deref(),
            Some("web4: done (1 change and 2 checks)")
        );
        assert_eq!(tally.summary(), "4/4 hosts");
        // More steps than announced, or an unknown host, change nothing.
        assert_eq!(tally.step("web1", false), None);
        assert_eq!(tally.step("other", false), None);
        assert_eq!(tally.summary(), "4/4 hosts");
    }

    #[test]
    fn one_host_is_not_counted_apart() {
        let tally = HostTally::new(&BTreeMap::from([("localhost".to_string(), steps(5, 0))]));
        assert!(!tally.several());
    }
}
