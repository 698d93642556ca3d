//! One probe item: dispatches a [`Probe`] to `stat`, `command` or `http`.
//!
//! A command that runs and exits non-zero is a finding, not an error: the
//! provider asked a question (`dpkg-query -W nginx`) and the exit status is
//! the answer. Only a command that cannot be started is an item error.

use froyo_runner_protocol::{ItemOutcome, Probe, ProbeResult};

use crate::{command, http, stat};

pub fn probe_item(probe: &Probe) -> ItemOutcome {
    let result = match probe {
        Probe::Stat { path, content_limit } => {
            stat::stat(path, *content_limit).map(ProbeResult::Stat)
        }
        Probe::Command(command) => command::run(command)
            .map(ProbeResult::Command)
            .map_err(|message| format!("run {}: {message}", command::describe(&command.argv))),
        Probe::Http { url, method, headers, timeout_ms } => {
            http::request(url, method, headers, *timeout_ms).map(ProbeResult::Http)
        }
    };
    match result {
        Ok(result) => ItemOutcome::Probed { result },
        Err(message) => ItemOutcome::Error { message, ops: Vec::new() },
    }
}
