//! One module per subcommand; each exposes `run(args, …) -> io::Result<ExitStatus>`.
//!
//! An `io::Error` returned from `run` means output could not be written; every
//! problem with the user's files is a diagnostic instead.

pub mod check;
pub mod completions;
pub mod eval;
pub mod export;
pub mod fmt;
