//! One module per subcommand; each exposes `run(args, …) -> io::Result<ExitStatus>`.
//!
//! An `io::Error` returned from `run` means output could not be written; every
//! problem with the user's files is a diagnostic instead.

pub mod apply;
pub mod build;
pub mod check;
pub mod completions;
pub mod drift;
pub mod eval;
pub mod export;
pub mod fmt;
pub mod graph;
pub mod init;
pub mod lsp;
pub mod man;
pub mod plan;
pub mod policy;
pub mod runs;
pub mod state;
pub mod watch;
pub mod worker;

/// The current directory, or `None` after reporting why it cannot be read
/// (the command then exits with [`crate::ExitStatus::Error`]).
pub fn current_dir() -> Option<std::path::PathBuf> {
    match std::env::current_dir() {
        Ok(directory) => Some(directory),
        Err(error) => {
            crate::output::print_error(&format!("cannot read the current directory: {error}"));
            None
        }
    }
}
