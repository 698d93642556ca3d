//! `froyo-runner-client`: starts froyo's micro-runner and speaks its protocol.
//!
//! The runner binary (static, `x86_64-unknown-linux-musl`) is built by
//! `build.rs` and embedded here ([`runner_binary`], [`runner_sha256`]);
//! [`install_runner`] writes it once to a per-user directory, and
//! [`Session`] runs it — locally with [`Session::start_local`], or through
//! any command (`ssh`, `sudo`) with [`Session::spawn`] — then does the
//! handshake and exchanges batches of probes and operations.
//!
//! Reading order: [`session`](Session) (the protocol, blocking), then
//! `install` (the embedded binary), then [`ClientError`].
//!
//! Boundary: the engine's only way to a runner. It holds no engine logic: it
//! sends the batches it is given and checks that every item is answered once.

mod error;
mod install;
mod session;

pub use error::ClientError;
pub use froyo_runner_protocol as protocol;
pub use install::{
    RUNNER_OVERRIDE_VAR, install_runner, runner_binary, runner_file_name, runner_sha256,
};
pub use session::{Exit, Hello, Process, Session, Streams};
