//! `froyo-runner`: the micro-runner, the only part of froyo that touches a host.
//!
//! It speaks `froyo-runner-protocol` on stdin/stdout (JSON lines; see that
//! crate's docs for the session), gathers the host's facts at the handshake,
//! and serves batches of probes and operations, streaming one result per item
//! as each completes. Stderr is free text for humans.
//!
//! Reading order: [`session`] (the loop) → [`batch`] (workers) → [`probe`] and
//! [`apply`] (one item) → [`stat`], [`command`], [`http`], [`write_file`],
//! [`files`] (the work) → [`facts`], [`accounts`], [`sys`] (the host).
//!
//! Invariants: static (musl) and small — std, libc, serde_json and sha2 only,
//! no async runtime; never panics on input (an item that fails, or panics, is
//! an item error); stdout carries protocol lines and nothing else.

mod accounts;
mod apply;
mod batch;
mod command;
mod facts;
mod files;
mod http;
mod output;
mod probe;
mod session;
mod stat;
mod sys;
mod write_file;

fn main() {
    let output = output::Output::new(Box::new(std::io::stdout()));
    let code = session::serve(std::io::stdin().lock(), &output);
    std::process::exit(code);
}
