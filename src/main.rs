//! The `froyo` command-line interface.
//!
//! This crate is thin on purpose: it parses arguments ([`args`]), finds and
//! reads files ([`workspace`], [`source`]), calls the compiler crates, and
//! renders what they return ([`output`]). Anything a library test could reach
//! belongs in a library crate, not here.
//!
//! Start reading at [`run`], then one module per subcommand in [`commands`].
//!
//! Exit status: 0 success, 1 problems found, 2 the command could not do its
//! job (usage errors, internal errors, output that could not be written).

mod args;
mod commands;
mod compile;
mod given;
mod hosts;
mod metrics_out;
mod output;
mod progress;
mod telemetry;

use std::io;
use std::process::ExitCode;

use clap::Parser as _;

use crate::args::{Cli, Command};

// Syntax trees allocate many small nodes; mimalloc parses and formats about
// 40% faster than the system allocator (see docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How a `froyo` run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ExitStatus {
    /// The command did its job and found no problems.
    Success,
    /// The command did its job and found problems (errors in sources, unformatted files).
    Failure,
    /// The command could not do its job.
    Error,
    /// `froyo drift` found instances that changed behind froyo's back.
    Drifted,
    /// Another live run holds the workspace's state lock: nothing was done.
    Locked,
}

impl ExitStatus {
    /// The process's exit code.
    pub fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Error => 2,
            ExitStatus::Drifted => 3,
            ExitStatus::Locked => 4,
        }
    }
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> ExitCode {
        ExitCode::from(status.code())
    }
}

fn main() -> ExitCode {
    install_panic_hook();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout and succeed; usage errors exit 2.
            let _ = error.print();
            return if error.use_stderr() { ExitStatus::Error } else { ExitStatus::Success }.into();
        }
    };
    // Long-running commands: logs by default, and their own signal handling.
    let watching = matches!(&cli.command, Command::Drift(drift) if drift.watch)
        || matches!(&cli.command, Command::Worker(_));
    let telemetry = telemetry::Telemetry::init(&telemetry::Settings {
        format: cli.log_format,
        level: cli.log_level,
        logs_by_default: watching,
        color: output::stderr_color(cli.color),
    });
    // The work runs on a thread with a generous stack: the compiler bounds its
    // recursion, and this is a second fence. A panic there is joined as an error.
    let worker = std::thread::Builder::new().stack_size(WORKER_STACK_BYTES).spawn(move || run(cli));
    let handle = match worker {
        Ok(handle) => handle,
        Err(error) => {
            output::print_error(&format!("cannot start a thread: {error}"));
            return ExitStatus::Error.into();
        }
    };
    // While spans are exported, SIGINT and SIGTERM end a command only after
    // its spans are sent (`drift --watch` handles them itself).
    if telemetry.exports()
        && !watching
        && let Some(signal) = wait_unless_signalled(&handle)
    {
        output::print_error("interrupted; sending the spans of the run before exiting");
        telemetry.finish();
        return ExitCode::from(128u8.saturating_add(u8::try_from(signal).unwrap_or(0)));
    }
    let result = handle.join();
    // Spans are sent whatever happened, failures included.
    telemetry.finish();
    match result {
        Ok(Ok(status)) => status.into(),
        // The reader of our output went away (`froyo export | head`): nothing
        // is wrong with the work, and nobody is left to tell; end quietly.
        Ok(Err(error)) if error.kind() == io::ErrorKind::BrokenPipe => ExitStatus::Success.into(),
        Ok(Err(error)) => {
            output::print_error(&format!("cannot write output: {error}"));
            ExitStatus::Error.into()
        }
        // The panic hook has already explained what happened.
        Err(_) => ExitStatus::Error.into(),
    }
}

/// Waits for the worker to finish, or for SIGINT or SIGTERM: the signal, if
/// one came first. A second signal exits at once. Without the handlers (they
/// could not be installed), waits for the worker.
fn wait_unless_signalled<T>(worker: &std::thread::JoinHandle<T>) -> Option<i32> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let received = Arc::new(AtomicUsize::new(0));
    let once = Arc::new(AtomicBool::new(false));
    for signal in [SIGINT, SIGTERM] {
        let code = 128 + signal;
        let installed =
            signal_hook::flag::register_conditional_shutdown(signal, code, once.clone())
                .and_then(|_| signal_hook::flag::register(signal, once.clone()))
                .and_then(|_| {
                    signal_hook::flag::register_usize(signal, received.clone(), signal as usize)
                });
        if installed.is_err() {
            return None;
        }
    }
    while !worker.is_finished() {
        match received.load(Ordering::SeqCst) {
            0 => std::thread::sleep(std::time::Duration::from_millis(20)),
            signal => return i32::try_from(signal).ok(),
        }
    }
    None
}

/// Stack size of the thread that does the work.
const WORKER_STACK_BYTES: usize = 64 * 1024 * 1024;

/// Runs one parsed command line.
fn run(cli: Cli) -> io::Result<ExitStatus> {
    let color = cli.color;
    // One trace per command; `drift --watch` starts one per check instead.
    let span = match &cli.command {
        Command::Drift(drift) if drift.watch => tracing::Span::none(),
        Command::Worker(_) => tracing::Span::none(),
        command => tracing::info_span!(
            "froyo",
            command = command_name(command),
            version = env!("CARGO_PKG_VERSION"),
            exit_status = tracing::field::Empty,
        ),
    };
    let _entered = span.enter();
    let status = run_command(cli.command, color);
    if let Ok(status) = &status {
        span.record("exit_status", status.code());
    }
    status
}

/// The subcommand's name, for the root span.
fn command_name(command: &Command) -> &'static str {
    match command {
        Command::Init(_) => "init",
        Command::Check(_) => "check",
        Command::Build(_) => "build",
        Command::Fmt(_) => "fmt",
        Command::Export(_) => "export",
        Command::Eval(_) => "eval",
        Command::Plan(_) => "plan",
        Command::Apply(_) => "apply",
        Command::Drift(_) => "drift",
        Command::Worker(_) => "worker",
        Command::Graph(_) => "graph",
        Command::State(_) => "state",
        Command::Runs(_) => "runs",
        Command::Policy(_) => "policy",
        Command::Completions(_) => "completions",
        Command::Lsp(_) => "lsp",
        Command::Man(_) => "man",
    }
}

fn run_command(command: Command, color: args::ColorWhen) -> io::Result<ExitStatus> {
    match command {
        Command::Init(init_args) => commands::init::run(&init_args),
        Command::Check(check_args) => commands::check::run(&check_args, color),
        Command::Build(build_args) => commands::build::run(&build_args, color),
        Command::Fmt(fmt_args) => commands::fmt::run(&fmt_args, color),
        Command::Export(export_args) => commands::export::run(&export_args, color),
        Command::Eval(eval_args) => commands::eval::run(&eval_args, color),
        Command::Plan(plan_args) => commands::plan::run(&plan_args, color),
        Command::Apply(apply_args) => commands::apply::run(&apply_args, color),
        Command::Drift(drift_args) => commands::drift::run(&drift_args, color),
        Command::Worker(worker_args) => commands::worker::run(&worker_args),
        Command::Graph(graph_args) => commands::graph::run(&graph_args, color),
        Command::State(state_args) => commands::state::run(&state_args),
        Command::Policy(policy_args) => commands::policy::run(&policy_args, color),
        Command::Runs(runs_args) => commands::runs::run(&runs_args),
        Command::Completions(completions_args) => commands::completions::run(&completions_args),
        Command::Lsp(_) => commands::lsp::run(),
        Command::Man(man_args) => commands::man::run(&man_args),
    }
}

/// Reports a panic as an internal error with a request to report it; `main` then exits 2.
///
/// The message deliberately avoids the wording of Rust's default hook
/// ("panicked at"): tools such as the CUE conformance runner read that wording
/// as a crash with exit status 101, and froyo reports an internal error with 2.
fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(no message)");
        let location = info.location().map_or_else(String::new, |location| {
            format!(" at {}:{}", location.file(), location.line())
        });
        output::print_error(&format!(
            "froyo crashed; this is a bug, please report it at \
             https://github.com/openfroyo/froyo/issues with the command you ran\n\
             internal error{location}: {message}"
        ));
    }));
}
