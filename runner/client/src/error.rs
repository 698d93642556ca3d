//! [`ClientError`]: everything that can go wrong between the engine and a runner.
//!
//! Item failures are not here: they are [`ItemOutcome::Error`] values in a
//! batch's results. A `ClientError` means the session itself failed (the
//! runner could not start, died, broke the protocol, or speaks another
//! version); after one, the [`Session`] answers every call with an error.
//!
//! [`ItemOutcome::Error`]: froyo_runner_protocol::ItemOutcome::Error
//! [`Session`]: crate::Session

use std::fmt;
use std::io;

#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// An I/O operation of the client failed; `context` says which and on what.
    Io { context: String, source: io::Error },
    /// The runner's process ended (or closed its stdout) when an answer was due.
    RunnerExited {
        /// How it ended (`exit status: 2`, `signal: 9 (SIGKILL)`), when known.
        status: Option<String>,
        /// Its last lines on stderr.
        stderr: Vec<String>,
    },
    /// The runner gave up on the session and said why.
    Fatal { message: String, stderr: Vec<String> },
    /// The runner sent something the protocol does not allow here.
    Protocol { message: String },
    /// The runner speaks another protocol version.
    VersionMismatch { ours: u32, theirs: u32, runner: String },
    /// The caller asked for something the protocol cannot carry (duplicate item ids).
    InvalidBatch { message: String },
    /// An earlier error left the session unusable.
    Broken { first_error: String },
}

impl ClientError {
    pub(crate) fn io(context: impl Into<String>, source: io::Error) -> ClientError {
        ClientError::Io { context: context.into(), source }
    }

    pub(crate) fn protocol(message: impl Into<String>) -> ClientError {
        ClientError::Protocol { message: message.into() }
    }
}

fn write_stderr(formatter: &mut fmt::Formatter<'_>, stderr: &[String]) -> fmt::Result {
    if stderr.is_empty() {
        return write!(formatter, " (nothing on its stderr)");
    }
    write!(formatter, "; its last lines on stderr:")?;
    for line in stderr {
        write!(formatter, "\n  {line}")?;
    }
    Ok(())
}

impl fmt::Display for ClientError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::Io { context, source } => write!(formatter, "{context}: {source}"),
            ClientError::RunnerExited { status, stderr } => {
                match status {
                    Some(status) => write!(formatter, "the runner exited unexpectedly ({status})")?,
                    None => write!(formatter, "the runner closed its output unexpectedly")?,
                }
                write_stderr(formatter, stderr)
            }
            ClientError::Fatal { message, stderr } => {
                write!(formatter, "the runner stopped the session: {message}")?;
                // The message usually is the last stderr line; show more only when there is more.
                let others: Vec<String> = stderr
                    .iter()
                    .filter(|line| !line.contains(message.as_str()))
                    .cloned()
                    .collect();
                if others.is_empty() { Ok(()) } else { write_stderr(formatter, &others) }
            }
            ClientError::Protocol { message } => {
                write!(formatter, "runner protocol error: {message}")
            }
            ClientError::VersionMismatch { ours, theirs, runner } => write!(
                formatter,
                "the runner (version {runner}) speaks protocol version {theirs}, this froyo speaks {ours}"
            ),
            ClientError::InvalidBatch { message } => write!(formatter, "invalid batch: {message}"),
            ClientError::Broken { first_error } => {
                write!(
                    formatter,
                    "the runner session is unusable after an earlier error: {first_error}"
                )
            }
        }
    }
}

impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}
