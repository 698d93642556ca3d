//! Helpers shared by the client's integration tests: a real runner session
//! (the embedded binary, installed and started like the engine does), one-item
//! batches, and paths in temporary directories.

#![allow(dead_code)]

use std::path::Path;

use froyo_runner_client::Session;
use froyo_runner_client::protocol::{
    ApplyItem, Command, CommandOutput, ItemOutcome, Op, OpOutcome, Probe, ProbeItem, ProbeResult,
    Stat,
};

pub fn session() -> Session {
    Session::start_local().unwrap_or_else(|error| panic!("cannot start the runner: {error}"))
}

pub fn path(path: &Path) -> String {
    path.to_str().expect("temporary paths are UTF-8").to_owned()
}

pub fn probe(session: &mut Session, probe: Probe) -> ItemOutcome {
    let mut results = session.probe(vec![ProbeItem { id: 1, probe }]).unwrap();
    assert_eq!(results.len(), 1);
    results.remove(0).1
}

pub fn stat(session: &mut Session, path: &str, content_limit: Option<u64>) -> Stat {
    match probe(session, Probe::Stat { path: path.to_owned(), content_limit }) {
        ItemOutcome::Probed { result: ProbeResult::Stat(stat) } => stat,
        other => panic!("stat {path}: {other:?}"),
    }
}

pub fn run(session: &mut Session, command: Command) -> CommandOutput {
    match probe(session, Probe::Command(command)) {
        ItemOutcome::Probed { result: ProbeResult::Command(output) } => output,
        other => panic!("command: {other:?}"),
    }
}

pub fn apply(session: &mut Session, ops: Vec<Op>) -> ItemOutcome {
    let mut results = session.apply(1, vec![ApplyItem { id: 1, ops }], &mut |_, _| {}).unwrap();
    assert_eq!(results.len(), 1);
    results.remove(0).1
}

/// The outcomes of an item that must have succeeded.
pub fn applied(outcome: ItemOutcome) -> Vec<OpOutcome> {
    match outcome {
        ItemOutcome::Applied { ops } => ops,
        other => panic!("expected applied, got {other:?}"),
    }
}

/// The message and outcomes of an item that must have failed.
pub fn failed(outcome: ItemOutcome) -> (String, Vec<OpOutcome>) {
    match outcome {
        ItemOutcome::Error { message, ops } => (message, ops),
        other => panic!("expected an error, got {other:?}"),
    }
}

pub fn sh(script: &str) -> Command {
    Command::new(["/bin/sh", "-c", script])
}

/// `id -u` / `id -g` of the test process.
pub fn id(flag: &str) -> u32 {
    let output = std::process::Command::new("id").arg(flag).output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().parse().unwrap()
}

pub fn write_file(path: &str, content: &str, mode: Option<&str>) -> Op {
    Op::WriteFile {
        path: path.to_owned(),
        content: content.to_owned(),
        mode: mode.map(str::to_owned),
        owner: None,
        group: None,
    }
}
