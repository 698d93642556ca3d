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
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        // A second signal while stopping ends the process at once.
        let registered =
            signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone())
                .and_then(|_| signal_hook::flag::register(signal, stop.clone()));
        if let Err(error) = registered {
            output::print_error(&format!("cannot handle signals: {error}"));
            return Ok(ExitStatus::Error);
        }
    }
    // Workers may start before the workspace's first apply creates it.
    let mut said = false;
    let state = loop {
        match froyo_state::State::open_location(&location, false) {
            Ok(state) => break state,
            Err(froyo_state::StateError::Missing { .. }) if !stop.load(Ordering::SeqCst) => {
                if !said {
                    tracing::info!(
                        state = %location,
                        "no such workspace yet; waiting for its first `froyo apply`"
                    );
                    said = true;
                }
                std::thread::sleep(IDLE_WAIT);
            }
            Err(froyo_state::StateError::Missing { .. }) => return Ok(ExitStatus::Success),
            Err(error) => {
                output::print_error(&format!("{} cannot open the state: {error}", error.code()));
                return Ok(ExitStatus::Error);
            }
        }
    };
    let mut queue = match state.work_queue() {
        Ok(queue) => queue,
        Err(error) => {
            output::print_error(&format!("{} {error}", error.code()));
            return Ok(ExitStatus::Error);
        }
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
    let runtimes = match froyo_engine::Runtimes::start(
        usize::from(args.engine.parallelism),
        usize::from(args.engine.forks),
    ) {
        Ok(runtimes) => runtimes,
        Err(error) => {
            output::print_error(&error.to_string());
            return Ok(ExitStatus::Error);
        }
    };
    let name = args.name.clone().unwrap_or_else(default_name);
    tracing::info!(worker = %name, state = %location, "waiting for work");
    let mut idle_since = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        let lease = match queue.lease(&name, args.lease) {
            Ok(lease) => lease,
            Err(error) => {
                output::print_error(&format!("{} cannot lease work: {error}", error.code()));
                return Ok(ExitStatus::Error);
            }
        };
        let Some(lease) = lease else {
            if args.exit_when_idle.is_some_and(|limit| idle_since.elapsed() >= limit) {
                tracing::info!(worker = %name, "no work came; stopping");
                break;
            }
            if let Err(error) = queue.wait(IDLE_WAIT) {
                output::print_error(&format!("{} cannot wait for work: {error}", error.code()));
                return Ok(ExitStatus::Error);
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
        let renewal = match queue.keep_leased(&lease, args.lease) {
            Ok(renewal) => renewal,
            Err(error) => {
                output::print_error(&format!("{} cannot keep the lease: {error}", error.code()));
                return Ok(ExitStatus::Error);
            }
        };
        // What happens is logged (a worker logs by default), not drawn.
        let silent = Arc::new(froyo_engine::Silent);
        let Some(mut engine) =
            hosts::engine_with(&root, &args.engine, providers.clone(), silent, Some(&runtimes))
        else {
            return Ok(ExitStatus::Error);
        };
        let (result, failed) =
            engine.work(&lease.payload, &lease.blocked, lease.run, lease.attempt, &name, &state);
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
            Err(error) => {
                output::print_error(&format!(
                    "{} cannot hand in the result: {error}",
                    error.code()
                ));
                return Ok(ExitStatus::Error);
            }
        }
        idle_since = Instant::now();
    }
    Ok(ExitStatus::Success)
}

/// `HOST:PID`.
fn default_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|name| name.trim().to_string())
        .unwrap_or_default();
    format!("{}:{}", if host.is_empty() { "worker" } else { &host }, std::process::id())
}
