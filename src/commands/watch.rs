//! `froyo drift --watch`: check for drift on an interval until stopped.
//!
//! The workspace is compiled once, at start (restart the watch to pick up a
//! changed configuration). Then, one check at a time: take the state lock
//! (a check that finds it held is skipped, logged and counted as `locked`),
//! re-probe every recorded instance with a fresh engine and fresh
//! connections (so a host that went away is simply unreachable in that
//! check, and reached again in the next one), record the check as a drift
//! run, log what drifted, remediate when asked, update the metrics (served with `--metrics-addr`, written with
//! `--metrics-file`), release the lock, then wait the interval, jittered by
//! up to ±10% so that many watchers do not check in step.
//!
//! SIGTERM or SIGINT stops the watch: between checks at once; during a check,
//! the check may finish for [`STOP_GRACE`], after which it is abandoned (the
//! lock is released; its run, left `running`, is marked interrupted by the
//! next run that takes the lock, as for any process that is gone). A second
//! SIGINT exits at once.
//!
//! What does not change between checks is made once, at start: the
//! providers, and the threads checks run on: a check thread (with its own
//! connection to the state, so that the main thread can always honour a
//! stop) and the runtimes of the engine's scheduler and of SSH. A check
//! that started threads of its own would leave the allocator a little more
//! to keep each time: the resident set of a watch that did grew by a third
//! over its first 300 checks (docs/benchmarks.md); now it stays flat. After
//! each check the debug log says how many tasks are still alive on the
//! runtimes: none, since every check's sessions end with it.

use std::io::{self, Write as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use froyo_engine::Metrics;
use froyo_engine::metrics::{RunKind, RunOutcome};
use froyo_state::{LockGuard, State, StateError};

use crate::ExitStatus;
use crate::args::{ColorWhen, DriftArgs, EngineArgs, ReportFormat};
use crate::{hosts, output};

/// How long a check may go on after SIGTERM or SIGINT before it is abandoned.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// How often a wait looks for a stop signal.
const POLL: Duration = Duration::from_millis(200);

pub fn run(args: &DriftArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let prepared = match hosts::prepare(
        &args.paths,
        &args.engine,
        color,
        "not watching",
        None,
        // Remediation is an apply: the check-time policies run first.
        super::drift::remediating(args).then_some(&args.policy),
        hosts::Creates::No,
    )? {
        Ok(prepared) => prepared,
        Err(status) => return Ok(status),
    };
    let Some(stop) = hosts::stop_on_signals() else {
        return Ok(ExitStatus::Error);
    };
    let metrics = Arc::new(Metrics::new());
    if let Some(address) = args.metrics_addr {
        match crate::metrics_out::serve(address, metrics.clone()) {
            Ok(bound) => {
                // Logged, not printed: with `--log-format json`, standard
                // error is for log objects only.
                tracing::info!(address = %bound, "serving metrics at /metrics");
            }
            Err(error) => {
                output::print_error(&format!(
                    "E1221 cannot serve metrics on {address}: {error}; choose another --metrics-addr (a free port of this machine)"
                ));
                return Ok(ExitStatus::Error);
            }
        }
    }
    // Loaded once: the providers do not depend on the hosts.
    let types = prepared.ir.resources.iter().map(|r| r.type_name.clone()).collect();
    let Some(providers) = hosts::providers(&types) else {
        return Ok(ExitStatus::Error);
    };
    let Some(runtimes) = hosts::runtimes(&args.engine) else {
        return Ok(ExitStatus::Error);
    };
    let context = Arc::new(Context {
        providers,
        root: prepared.root.clone(),
        state_location: prepared.state.location().clone(),
        ir: prepared.ir,
        engine: args.engine.clone(),
        remediate: super::drift::remediating(args),
        remediation: super::drift::RemediationOptions::of(args),
        policies: prepared.policies.clone(),
        format: args.format,
        metrics: metrics.clone(),
        runtimes,
    });
    drop(prepared.state);
    tracing::info!(
        interval_seconds = args.interval.as_secs_f64(),
        remediate = context.remediate,
        "watching for drift"
    );
    let mut checker = Checker::new(context.clone());
    let mut iteration: u64 = 0;
    while !stop.load(Ordering::SeqCst) {
        iteration += 1;
        if !check(&mut checker, iteration, &stop) {
            break;
        }
        crate::metrics_out::write_requested(args.metrics_file.as_deref(), &metrics);
        let wait = jittered(args.interval);
        tracing::debug!(
            iteration,
            next_in_seconds = wait.as_secs_f64(),
            alive_tasks = context.runtimes.settle(Duration::from_millis(500)),
            "check done"
        );
        let until = Instant::now() + wait;
        while !stop.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
        }
    }
    tracing::info!(checks = iteration, "stopped watching");
    Ok(ExitStatus::Success)
}

/// What every check needs.
struct Context {
    providers: Arc<froyo_providers::Host>,
    root: PathBuf,
    state_location: froyo_state::StateLocation,
    ir: froyo_ir::Ir,
    engine: EngineArgs,
    remediate: bool,
    remediation: super::drift::RemediationOptions,
    /// The plan-time policies remediations are judged by.
    policies: Arc<froyo_policy::PolicySet>,
    format: ReportFormat,
    metrics: Arc<Metrics>,
    /// The threads every check's engine runs on.
    runtimes: froyo_engine::Runtimes,
}

/// What the check thread tells the main thread.
enum Message {
    /// The lock is taken (the main thread holds it, to release it whatever happens).
    Locked(LockGuard),
    Done,
}

/// The thread checks run on, one at a time, started once and again only if
/// it ended (so that a check does not start and end threads of its own: the
/// memory of a watch stays what one check needs).
struct Checker {
    context: Arc<Context>,
    jobs: Option<mpsc::Sender<Job>>,
}

impl Checker {
    fn new(context: Arc<Context>) -> Checker {
        Checker { context, jobs: None }
    }

    /// Starts a check; its messages come on the returned receiver.
    fn submit(&mut self, iteration: u64) -> io::Result<mpsc::Receiver<Message>> {
        let (sender, receiver) = mpsc::channel();
        let job = Job { iteration, reply: sender };
        let job = match &self.jobs {
            Some(jobs) => match jobs.send(job) {
                Ok(()) => return Ok(receiver),
                // The thread ended (a check panicked): a new one takes over.
                Err(mpsc::SendError(job)) => job,
            },
            None => job,
        };
        let (jobs, queue) = mpsc::channel::<Job>();
        let context = self.context.clone();
        std::thread::Builder::new().name("froyo-check".to_string()).spawn(move || {
            for Job { iteration, reply } in queue {
                // Each check is a trace of its own.
                let span = tracing::info_span!(parent: None, "drift_check", iteration);
                span.in_scope(|| run_check(&context, &reply));
                let _ = reply.send(Message::Done);
            }
        })?;
        let _ = jobs.send(job);
        self.jobs = Some(jobs);
        Ok(receiver)
    }
}

/// A check for the checker's thread: its number, and where its messages go.
struct Job {
    iteration: u64,
    reply: mpsc::Sender<Message>,
}

/// Runs one check on the checker's thread; false when the watch must end
/// (stopped during the check).
fn check(checker: &mut Checker, iteration: u64, stop: &AtomicBool) -> bool {
    let receiver = match checker.submit(iteration) {
        Ok(receiver) => receiver,
        Err(error) => {
            output::print_error(&format!("cannot start a check: {error}"));
            return false;
        }
    };
    let mut lock: Option<LockGuard> = None;
    let mut stopping_since: Option<Instant> = None;
    loop {
        match receiver.recv_timeout(POLL) {
            Ok(Message::Locked(guard)) => lock = Some(guard),
            Ok(Message::Done) | Err(mpsc::RecvTimeoutError::Disconnected) => break,
            Err(mpsc::RecvTimeoutError::Timeout) => {}
        }
        if stop.load(Ordering::SeqCst) {
            let since = *stopping_since.get_or_insert_with(|| {
                tracing::info!("stopping: letting the current check finish");
                Instant::now()
            });
            if since.elapsed() >= STOP_GRACE {
                tracing::warn!(
                    grace_seconds = STOP_GRACE.as_secs(),
                    "the check did not finish in time; abandoning it"
                );
                drop(lock);
                return false;
            }
        }
    }
    drop(lock);
    !stop.load(Ordering::SeqCst)
}

/// One check: lock, drift, remediation, metrics. Problems are logged and
/// counted; the watch goes on.
fn run_check(context: &Context, sender: &mpsc::Sender<Message>) {
    let metrics = &context.metrics;
    let state = match State::open_location(&context.state_location, false) {
        Ok(state) => state,
        Err(error) => {
            tracing::error!(error = %error, "cannot open the state; check skipped");
            metrics.record_run(RunKind::Drift, RunOutcome::Error);
            return;
        }
    };
    match state.lock("drift") {
        Ok(guard) => {
            let _ = sender.send(Message::Locked(guard));
        }
        Err(StateError::Held(info)) => {
            tracing::warn!(
                holder = %info.owner,
                operation = %info.operation,
                pid = info.pid,
                "the state is locked by another run; check skipped"
            );
            metrics.record_run(RunKind::Drift, RunOutcome::Locked);
            return;
        }
        Err(error) => {
            tracing::error!(error = %error, "cannot take the state lock; check skipped");
            metrics.record_run(RunKind::Drift, RunOutcome::Error);
            return;
        }
    }
    let Some(mut engine) = hosts::engine_with(
        &context.root,
        &context.engine,
        context.providers.clone(),
        Arc::new(froyo_engine::Silent),
        Some(&context.runtimes),
    ) else {
        metrics.record_run(RunKind::Drift, RunOutcome::Error);
        return;
    };
    engine.set_metrics(metrics.clone());
    let check = match engine.check_drift(&context.ir, &state) {
        Ok(check) => check,
        Err(error) => {
            tracing::error!(error = %error, "drift check failed");
            metrics.record_run(RunKind::Drift, RunOutcome::Error);
            return;
        }
    };
    let report = &check.report;
    if context.format == ReportFormat::Json
        && let Ok(line) = serde_json::to_string(report)
    {
        let mut stdout = io::stdout().lock();
        let _ = writeln!(stdout, "{line}").and_then(|()| stdout.flush());
    }
    if context.remediate && report.has_drift() {
        let remediated = super::drift::remediation(
            &mut engine,
            &check,
            &state,
            &context.policies,
            &context.remediation,
        );
        match remediated {
            Ok(Some((_, applied))) => tracing::info!(
                run = applied.run,
                applied = applied
                    .count(|outcome| matches!(outcome, froyo_engine::Outcome::Applied { .. })),
                failed = applied.count(froyo_engine::Outcome::is_failure),
                "remediation finished"
            ),
            Ok(None) => tracing::info!("nothing to remediate"),
            Err(super::drift::Refusal::Denied(error)) => {
                tracing::error!(code = "E1215", error = %error, "remediation refused by policy; nothing changed");
            }
            Err(super::drift::Refusal::Audit(error)) => {
                tracing::error!(error = %error, "remediation not run: the audit log cannot record the allowed policies");
            }
            Err(super::drift::Refusal::Failed(error)) => {
                tracing::error!(error = %error, "remediation failed");
            }
        }
        for instance in &check.configuration_changed {
            tracing::warn!(
                instance = %instance,
                "drift not remediated: the configuration changed since it was applied"
            );
        }
    }
    engine.close();
}

/// `interval`, give or take up to 10%.
fn jittered(interval: Duration) -> Duration {
    use std::hash::{BuildHasher as _, Hasher as _};
    // A fresh randomly keyed hasher: random enough to spread watchers out.
    let random = std::collections::hash_map::RandomState::new().build_hasher().finish();
    let fraction = (random % 2001) as f64 / 1000.0 - 1.0; // -1.0 ..= 1.0
    interval.mul_f64(1.0 + 0.1 * fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jitter_stays_within_ten_percent() {
        for _ in 0..1000 {
            let wait = jittered(Duration::from_secs(100));
            assert!(
                wait >= Duration::from_secs(90) && wait <= Duration::from_secs(110),
                "{wait:?}"
            );
        }
    }
}
