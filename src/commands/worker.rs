//! `froyo worker`: apply the hosts of runs that `froyo apply --workers`
//! shares through a PostgreSQL state, until stopped.
//!
//! A worker leases one unit of work at a time (the hosts of a run that wait
//! on nothing unfinished), keeps its lease alive while it applies, hands
//! back the outcome, and leases the next. It never writes the state: the
//! coordinating `apply` records what it hands back. It needs the
//! workspace's `known_hosts` (host keys are checked as for `apply`), the
//! team key, and the same `--state`; it compiles nothing, so any checkout
//! of the workspace, or just its `known_hosts`, serves.
//!
//! A server that cannot be reached (restarted, a network cut) is tried
//! again, waiting longer each time up to 30 s; a unit in hand when it went
//! is leased again by whoever comes first once its lease runs out.
//!
//! SIGTERM or SIGINT stops it: at once when idle, after handing in its
//! unit when busy (a second signal ends it at once, and its unit is leased
//! again when the lease runs out). Exit 0 when stopped, 2 when it could not
//! start or lost the state.

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use froyo_state::StateLocation;

use crate::ExitStatus;
use crate::args::WorkerArgs;
use crate::{hosts, output};

/// How long an idle worker waits for a notification before looking again
/// (and for a stop signal).
const IDLE_WAIT: Duration = Duration::from_millis(500);
/// Waits between attempts to reach a lost server: doubling, within these.
const RETRY_FIRST: Duration = Duration::from_secs(1);
const RETRY_LAST: Duration = Duration::from_secs(30);
/// The code of a state server that cannot be reached (a lost connection).
const UNREACHABLE: &str = "E1232";

pub fn run(args: &WorkerArgs) -> io::Result<ExitStatus> {
    let start: PathBuf = match &args.workspace {
        Some(path) => path.clone(),
        None => match super::current_dir() {
            Some(directory) => directory,
            None => return Ok(ExitStatus::Error),
        },
    };
    let root = froyo_loader::workspace_root(&start);
    let Some(location) = hosts::state_location(&root, hosts::named_state(&args.engine.state))
    else {
        return Ok(ExitStatus::Error);
    };
    if let StateLocation::File(path) = &location {
        let error = froyo_state::StateError::WorkersNeedPostgres { path: path.clone() };
        output::print_error(&format!("{} {error}", error.code()));
        return Ok(ExitStatus::Error);
    }
    let Some(stop) = hosts::stop_on_signals() else {
        return Ok(ExitStatus::Error);
    };
    let Some((mut state, mut queue)) = connect(&location, &stop) else {
        return Ok(if stop.load(Ordering::SeqCst) {
            ExitStatus::Success
        } else {
            ExitStatus::Error
        });
    };
    // Loaded once, every built-in: which types a unit needs is known only when it comes.
    let providers =
        match froyo_providers::Host::with_builtins(froyo_providers::HostOptions::default(), |_| {
            true
        }) {
            Ok(providers) => Arc::new(providers),
            Err(error) => {
                output::print_error(&format!("cannot load the providers: {error}"));
                return Ok(ExitStatus::Error);
            }
        };
    let Some(runtimes) = hosts::runtimes(&args.engine) else {
        return Ok(ExitStatus::Error);
    };
    let name = args.name.clone().unwrap_or_else(default_name);
    tracing::info!(worker = %name, state = %location, "waiting for work");
    let mut idle_since = Instant::now();
    // After a failure of the state: connected again, or the exit status.
    let recover = |action: &str, error: froyo_state::StateError| {
        if error.code() != UNREACHABLE {
            output::print_error(&format!("{} cannot {action}: {error}", error.code()));
            return Err(ExitStatus::Error);
        }
        tracing::warn!(code = UNREACHABLE, %error, "lost the state's server (trying to {action}); connecting again");
        connect(&location, &stop).ok_or(if stop.load(Ordering::SeqCst) {
            ExitStatus::Success
        } else {
            ExitStatus::Error
        })
    };
    while !stop.load(Ordering::SeqCst) {
        let lease = match queue.lease(&name, args.lease) {
            Ok(lease) => lease,
            Err(error) => {
                match recover("lease work", error) {
                    Ok(again) => (state, queue) = again,
                    Err(status) => return Ok(status),
                }
                continue;
            }
        };
        let Some(lease) = lease else {
            if args.exit_when_idle.is_some_and(|limit| idle_since.elapsed() >= limit) {
                tracing::info!(worker = %name, "no work came; stopping");
                break;
            }
            if let Err(error) = queue.wait(IDLE_WAIT) {
                match recover("wait for work", error) {
                    Ok(again) => (state, queue) = again,
                    Err(status) => return Ok(status),
                }
            }
            continue;
        };
        let hosts_text = lease.hosts.join(", ");
        tracing::info!(
            run = lease.run.0,
            unit = lease.unit,
            attempt = lease.attempt,
            hosts = %hosts_text,
            "leased"
        );
        // Without renewals the lease would run out under the work: the unit
        // is left for whoever comes next.
        let renewal = match queue.keep_leased(&lease, args.lease) {
            Ok(renewal) => renewal,
            Err(error) => {
                match recover("keep a lease", error) {
                    Ok(again) => (state, queue) = again,
                    Err(status) => return Ok(status),
                }
                continue;
            }
        };
        // What happens is logged (a worker logs by default), not drawn.
        let silent = Arc::new(froyo_engine::Silent);
        let Some(mut engine) =
            hosts::engine_with(&root, &args.engine, providers.clone(), silent, Some(&runtimes))
        else {
            return Ok(ExitStatus::Error);
        };
        // A unit this worker cannot read is given back, not handed in as
        // done: what waits on it must not go ahead.
        let work = match froyo_engine::fanout::read_unit(&lease.payload) {
            Ok(work) => work,
            Err(error) => {
                drop(renewal);
                let _ = queue.release(&lease);
                output::print_error(&format!(
                    "run {}: {error}; the unit of {hosts_text} was given back for another worker. \
                     Is this worker's froyo ({}) the coordinator's version?",
                    lease.run.0,
                    env!("CARGO_PKG_VERSION")
                ));
                return Ok(ExitStatus::Error);
            }
        };
        let (result, failed) =
            engine.work(work, &lease.blocked, lease.run, lease.attempt, &name, &state);
        engine.close();
        let text = match serde_json::to_vec(&result) {
            Ok(text) => text,
            Err(error) => {
                output::print_error(&format!("cannot write the unit's result: {error}"));
                return Ok(ExitStatus::Error);
            }
        };
        let handed = queue.complete(&lease, &text, &failed);
        drop(renewal);
        match handed {
            Ok(true) => tracing::info!(
                run = lease.run.0,
                unit = lease.unit,
                hosts = %hosts_text,
                failed = failed.len(),
                "handed in"
            ),
            Ok(false) => tracing::warn!(
                run = lease.run.0,
                unit = lease.unit,
                hosts = %hosts_text,
                "the lease was lost (it ran out, or the run was cancelled): the result is dropped, another worker applies the unit"
            ),
            // The unit is leased again once the lease runs out, and resumed.
            Err(error) => match recover("hand in a result", error) {
                Ok(again) => (state, queue) = again,
                Err(status) => return Ok(status),
            },
        }
        idle_since = Instant::now();
    }
    Ok(ExitStatus::Success)
}

/// The state and its work queue; `None` when stopped first, or when the
/// state cannot be used (said). A workspace that does not exist yet is
/// waited for (workers may start before its first apply), and a server
/// that cannot be reached is tried again.
fn connect(
    location: &StateLocation,
    stop: &AtomicBool,
) -> Option<(froyo_state::State, froyo_state::WorkQueue)> {
    let mut said_missing = false;
    let mut backoff = RETRY_FIRST;
    while !stop.load(Ordering::SeqCst) {
        let opened = froyo_state::State::open_location(location, false)
            .and_then(|state| state.work_queue().map(|queue| (state, queue)));
        match opened {
            Ok(opened) => return Some(opened),
            Err(froyo_state::StateError::Missing { .. }) => {
                if !said_missing {
                    tracing::info!(
                        state = %location,
                        "no such workspace yet; waiting for its first `froyo apply`"
                    );
                    said_missing = true;
                }
                std::thread::sleep(IDLE_WAIT);
            }
            Err(error) if error.code() == UNREACHABLE => {
                tracing::warn!(
                    state = %location,
                    code = UNREACHABLE,
                    %error,
                    retry_in_seconds = backoff.as_secs(),
                    "the state cannot be reached"
                );
                let until = Instant::now() + backoff;
                while !stop.load(Ordering::SeqCst) && Instant::now() < until {
                    std::thread::sleep(IDLE_WAIT);
                }
                backoff = (backoff * 2).min(RETRY_LAST);
            }
            Err(error) => {
                output::print_error(&format!("{} cannot open the state: {error}", error.code()));
                return None;
            }
        }
    }
    None
}

/// `HOST:PID`.
fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_default();
    format!("{}:{}", if host.is_empty() { "worker" } else { &host }, std::process::id())
}
