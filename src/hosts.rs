//! What the commands that reach hosts share: the state file, the providers,
//! the engine, and the lock message.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use froyo_state::{State, StateLocation};

use crate::args::EngineArgs;
use crate::output;

/// The state `--state` or `FROYO_STATE` names; an empty value (an unset
/// variable written `FROYO_STATE=`) names none.
pub fn named_state(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.is_empty())
}

/// The state of the workspace at `root` (`.froyo/state.db`), or the one
/// named with `--state` or `FROYO_STATE`; `None`, said, when that cannot be used.
pub fn state_location(root: &Path, explicit: Option<&str>) -> Option<StateLocation> {
    match explicit {
        None => Some(StateLocation::File(root.join(".froyo").join("state.db"))),
        Some(text) => match StateLocation::parse(text) {
            Ok(location) => Some(location),
            Err(error) => {
                output::print_error(&format!("{} --state: {error}", error.code()));
                None
            }
        },
    }
}

/// Whether a command may create the state database when there is none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Creates {
    /// `plan` and `apply`: a new state is made, and when `--state` named
    /// it, the command says so (a typo then shows at once).
    Yes,
    /// Commands that only read what was recorded.
    No,
}

/// Opens the state (`explicit`: named with `--state`), printing why not,
/// and warning when other users can read its files.
pub fn open_state(location: &StateLocation, explicit: bool, creates: Creates) -> Option<State> {
    let StateLocation::File(path) = location else {
        return match State::open_location(location, creates == Creates::Yes) {
            Ok(state) => Some(state),
            Err(error) => {
                output::print_error(&format!("{} cannot open the state: {error}", error.code()));
                None
            }
        };
    };
    let path = path.as_path();
    let exists = std::fs::symlink_metadata(path).is_ok();
    let opened = match (exists, explicit, creates) {
        (true, _, _) => State::open_existing(path),
        (false, _, Creates::No) => {
            Err(froyo_state::StateError::Missing { path: path.to_path_buf() })
        }
        (false, false, Creates::Yes) => State::open(path),
        (false, true, Creates::Yes) => {
            let directory = path.parent().filter(|parent| !parent.as_os_str().is_empty());
            if let Some(directory) = directory.filter(|directory| !directory.is_dir()) {
                output::print_error(&format!(
                    "--state {}: the directory {} does not exist; create it first, or check the path",
                    path.display(),
                    directory.display()
                ));
                return None;
            }
            eprintln!("note: creating a new state database at {}", path.display());
            State::open(path)
        }
    };
    match opened {
        Ok(state) => {
            for warning in state.permission_warnings() {
                eprintln!("warning: {warning}");
            }
            Some(state)
        }
        Err(error) => {
            output::print_error(&format!(
                "{} cannot open the state {}: {error}",
                error.code(),
                path.display()
            ));
            None
        }
    }
}

/// Takes the apply lock for `operation`, printing who holds it when taken;
/// or the status to exit with ([`crate::ExitStatus::Locked`] when a live run holds it).
pub fn lock(state: &State, operation: &str) -> Result<froyo_state::LockGuard, crate::ExitStatus> {
    match state.lock(operation) {
        Ok(guard) => Ok(guard),
        Err(froyo_state::StateError::Held(info)) => {
            output::print_error(&format!(
                "the state is locked: `{}` by {} (pid {} on {}) since {}, last heartbeat {}.\n  Wait for it to finish and try again; if that run is gone for good, `froyo state unlock` breaks the lock.",
                info.operation,
                info.owner,
                info.pid,
                info.host,
                info.acquired_at,
                info.heartbeat_at
            ));
            Err(crate::ExitStatus::Locked)
        }
        Err(error) => {
            output::print_error(&format!("{} cannot take the state lock: {error}", error.code()));
            Err(crate::ExitStatus::Error)
        }
    }
}

/// The engine with the built-in providers of `types` (the resource types the
/// run uses: only those are compiled or loaded), reporting to `reporter`.
pub fn engine(
    root: &Path,
    args: &EngineArgs,
    types: &std::collections::BTreeSet<String>,
    reporter: Arc<dyn froyo_engine::Reporter>,
) -> Option<froyo_engine::Engine> {
    engine_with(root, args, providers(types)?, reporter, None)
}

/// The built-in providers of `types`, printing why not when they cannot be loaded.
pub fn providers(types: &std::collections::BTreeSet<String>) -> Option<Arc<froyo_providers::Host>> {
    let options = froyo_providers::HostOptions::default();
    match froyo_providers::Host::with_builtins(options, |name| types.contains(name)) {
        Ok(providers) => Some(Arc::new(providers)),
        Err(error) => {
            output::print_error(&format!("cannot load the providers: {error}"));
            None
        }
    }
}

/// For a long-running command: a flag SIGTERM and SIGINT set (a second
/// signal while stopping ends the process at once, exit 130), or `None`
/// after saying why the signals cannot be handled.
pub fn stop_on_signals() -> Option<Arc<std::sync::atomic::AtomicBool>> {
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        let registered =
            signal_hook::flag::register_conditional_shutdown(signal, 130, stop.clone())
                .and_then(|_| signal_hook::flag::register(signal, stop.clone()));
        if let Err(error) = registered {
            output::print_error(&format!("cannot handle signals: {error}"));
            return None;
        }
    }
    Some(stop)
}

/// The runtimes a long-running process shares among the engines it makes,
/// printing why not when they cannot start.
pub fn runtimes(args: &EngineArgs) -> Option<froyo_engine::Runtimes> {
    match froyo_engine::Runtimes::start(usize::from(args.parallelism), usize::from(args.forks)) {
        Ok(runtimes) => Some(runtimes),
        Err(error) => {
            output::print_error(&error.to_string());
            None
        }
    }
}

/// The engine over `providers` (loaded once, for a process that makes many engines).
pub fn engine_with(
    root: &Path,
    args: &EngineArgs,
    providers: Arc<froyo_providers::Host>,
    reporter: Arc<dyn froyo_engine::Reporter>,
    runtimes: Option<&froyo_engine::Runtimes>,
) -> Option<froyo_engine::Engine> {
    let transport = froyo_engine::Hosts::new(froyo_engine::HostsOptions {
        accept_new_host_keys: args.accept_new_host_keys,
        workspace_known_hosts: Some(root.join("known_hosts")),
        ssh_runtime: runtimes.map(froyo_engine::Runtimes::ssh),
    });
    let options = froyo_engine::Options {
        workspace_root: root.to_path_buf(),
        parallelism: usize::from(args.parallelism),
        forks: usize::from(args.forks),
        reporter,
        transport: Arc::new(transport),
        scheduler: runtimes.map(froyo_engine::Runtimes::scheduler),
    };
    match froyo_engine::Engine::new(providers, options) {
        Ok(engine) => Some(engine),
        Err(error) => {
            output::print_error(&error.to_string());
            None
        }
    }
}

/// Writes a plan or IR file with mode 0600 (it holds the values to apply,
/// sensitive ones in clear), via a temporary file renamed into place.
pub fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let directory = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = directory.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temporary)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temporary);
    }
    result
}

/// A compiled workspace with its state open and, when `lock` names an
/// operation, the lock taken: what `plan` and `drift` start from.
pub struct Prepared {
    pub root: PathBuf,
    pub ir: froyo_ir::Ir,
    pub state: State,
    /// The workspace's policies (none loaded when the command runs none).
    pub policies: std::sync::Arc<froyo_policy::PolicySet>,
    /// Held until this is dropped.
    _lock: Option<froyo_state::LockGuard>,
}

/// Compiles the workspace `paths` name (diagnostics to stderr; with
/// `policy`, the check-time policies too), opens its state (creating it only
/// when `creates` says so) and takes the lock for `lock_for`; or the exit
/// status to end with.
pub fn prepare(
    paths: &[PathBuf],
    args: &EngineArgs,
    color: crate::args::ColorWhen,
    refusal: &str,
    lock_for: Option<&str>,
    policy: Option<&crate::args::PolicyArgs>,
    creates: Creates,
) -> std::io::Result<Result<Prepared, crate::ExitStatus>> {
    use crate::ExitStatus;
    let Some(current_dir) = crate::commands::current_dir() else {
        return Ok(Err(ExitStatus::Error));
    };
    let built = match policy {
        Some(policy) => crate::compile::build_checked(&current_dir, paths, color, refusal, policy)?,
        None => crate::compile::build_ir(
            &current_dir,
            paths,
            crate::args::OutputFormat::Human,
            color,
            refusal,
        )?
        .map(|(root, ir)| crate::compile::Built {
            root,
            ir,
            policies: std::sync::Arc::new(froyo_policy::PolicySet::load_sources(
                Vec::new(),
                &serde_json::Value::Null,
            )),
            allowed: Vec::new(),
        }),
    };
    let crate::compile::Built { root, ir, policies, .. } = match built {
        Ok(built) => built,
        Err(status) => return Ok(Err(status)),
    };
    let Some(state) = state_location(&root, named_state(&args.state))
        .and_then(|location| open_state(&location, named_state(&args.state).is_some(), creates))
    else {
        return Ok(Err(ExitStatus::Error));
    };
    let lock = match lock_for {
        Some(operation) => match lock(&state, operation) {
            Ok(guard) => Some(guard),
            Err(status) => return Ok(Err(status)),
        },
        None => None,
    };
    Ok(Ok(Prepared { root, ir, state, policies, _lock: lock }))
}

/// The engine for `prepared`'s IR (its resource types' providers), with the progress display.
pub fn engine_for(prepared: &Prepared, args: &EngineArgs) -> Option<froyo_engine::Engine> {
    let types = prepared.ir.resources.iter().map(|r| r.type_name.clone()).collect();
    engine(&prepared.root, args, &types, Arc::new(crate::progress::Progress::new()))
}
