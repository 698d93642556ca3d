//! What the commands that reach hosts share: the state file, the providers,
//! the engine, and the lock message.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use froyo_state::State;

use crate::args::EngineArgs;
use crate::output;

/// The state database of the workspace at `root`, or the one named with `--state`.
pub fn state_path(root: &Path, explicit: Option<&Path>) -> PathBuf {
    match explicit {
        Some(path) => path.to_path_buf(),
        None => root.join(".froyo").join("state.db"),
    }
}

/// Opens the state database, printing why not.
pub fn open_state(path: &Path) -> Option<State> {
    match State::open(path) {
        Ok(state) => Some(state),
        Err(error) => {
            output::print_error(&format!("cannot open the state {}: {error}", path.display()));
            None
        }
    }
}

/// Takes the apply lock for `operation`, printing who holds it when taken.
pub fn lock(state: &State, operation: &str) -> Option<froyo_state::LockGuard> {
    match state.lock(operation) {
        Ok(guard) => Some(guard),
        Err(froyo_state::StateError::Held(info)) => {
            output::print_error(&format!(
                "the state is locked: `{}` by {} (pid {} on {}) since {}, last heartbeat {}.\n  If that run is gone for good, `froyo state unlock` breaks the lock.",
                info.operation,
                info.owner,
                info.pid,
                info.host,
                info.acquired_at,
                info.heartbeat_at
            ));
            None
        }
        Err(error) => {
            output::print_error(&format!("cannot take the state lock: {error}"));
            None
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
    let options = froyo_providers::HostOptions::default();
    let providers = match froyo_providers::Host::with_builtins(options, |name| types.contains(name))
    {
        Ok(providers) => providers,
        Err(error) => {
            output::print_error(&format!("cannot load the providers: {error}"));
            return None;
        }
    };
    let transport = froyo_engine::Hosts::new(froyo_engine::HostsOptions {
        accept_new_host_keys: args.accept_new_host_keys,
        workspace_known_hosts: Some(root.join("known_hosts")),
    });
    let options = froyo_engine::Options {
        workspace_root: root.to_path_buf(),
        parallelism: usize::from(args.parallelism),
        forks: usize::from(args.forks),
        reporter,
        transport: Arc::new(transport),
    };
    match froyo_engine::Engine::new(Arc::new(providers), options) {
        Ok(engine) => Some(engine),
        Err(error) => {
            output::print_error(&error.to_string());
            None
        }
    }
}

/// Writes a plan file with mode 0600 (it holds the values to apply), via a temporary file.
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
    /// Held until this is dropped.
    _lock: Option<froyo_state::LockGuard>,
}

/// Compiles the workspace `paths` name (diagnostics to stderr), opens its
/// state and takes the lock for `lock`; or the exit status to end with.
pub fn prepare(
    paths: &[PathBuf],
    args: &EngineArgs,
    color: crate::args::ColorWhen,
    refusal: &str,
    lock_for: Option<&str>,
) -> std::io::Result<Result<Prepared, crate::ExitStatus>> {
    use crate::ExitStatus;
    let Some(current_dir) = crate::commands::current_dir() else {
        return Ok(Err(ExitStatus::Error));
    };
    let (root, ir) = match crate::compile::build_ir(
        &current_dir,
        paths,
        crate::args::OutputFormat::Human,
        color,
        refusal,
    )? {
        Ok(built) => built,
        Err(status) => return Ok(Err(status)),
    };
    let Some(state) = open_state(&state_path(&root, args.state.as_deref())) else {
        return Ok(Err(ExitStatus::Error));
    };
    let lock = match lock_for {
        Some(operation) => match lock(&state, operation) {
            Some(guard) => Some(guard),
            None => return Ok(Err(ExitStatus::Error)),
        },
        None => None,
    };
    Ok(Ok(Prepared { root, ir, state, _lock: lock }))
}

/// The engine for `prepared`'s IR (its resource types' providers), with the progress display.
pub fn engine_for(prepared: &Prepared, args: &EngineArgs) -> Option<froyo_engine::Engine> {
    let types = prepared.ir.resources.iter().map(|r| r.type_name.clone()).collect();
    engine(&prepared.root, args, &types, Arc::new(crate::progress::Progress::new()))
}
