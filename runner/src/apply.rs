//! One apply item: its operations in order, stopping at the first failure,
//! and the `exec` operation with its run-time guards.
//!
//! Guards are checked in this order: `creates` (the path exists → skip),
//! `unless` (exits 0 → skip), `onlyif` (exits non-zero → skip). A guard that
//! cannot be run or times out fails the item: a broken guard must not pass
//! for a "no".
//!
//! A failed `exec` (non-zero exit, signal, timeout) fails the item with the
//! status and the end of its stderr in the message, and its [`OpOutcome`],
//! output included, is the last entry of the error's `ops`: the output of a
//! failed command is what a user needs most. For other operations `ops` holds
//! only the outcomes before the failing one.
//!
//! Paths of operations must be absolute and free of `..` (refused otherwise),
//! so the path the engine checked is the path that changes.

use std::path::Path;

use froyo_runner_protocol::{Command, CommandOutput, ItemOutcome, Op, OpOutcome};

use crate::{command, files, write_file};

/// The most of a failed command's output quoted in the error message.
const MESSAGE_OUTPUT_LINES: usize = 10;
const MESSAGE_OUTPUT_CHARS: usize = 2000;

pub fn apply_item(ops: &[Op]) -> ItemOutcome {
    let mut outcomes = Vec::with_capacity(ops.len());
    for op in ops {
        match apply_op(op) {
            Ok(outcome) => outcomes.push(outcome),
            Err(failure) => {
                outcomes.extend(failure.outcome);
                return ItemOutcome::Error { message: failure.message, ops: outcomes };
            }
        }
    }
    ItemOutcome::Applied { ops: outcomes }
}

struct Failure {
    message: String,
    /// The failing operation's own outcome, when it has one worth keeping.
    outcome: Option<OpOutcome>,
}

impl From<String> for Failure {
    fn from(message: String) -> Self {
        Failure { message, outcome: None }
    }
}

fn ran() -> OpOutcome {
    OpOutcome { ran: true, output: None }
}

/// Operation paths must be absolute and free of `..`: what the engine checked
/// against a provider's capabilities must be the path that changes.
fn check_path(op: &Op) -> Result<(), String> {
    let Some(path) = op.path() else { return Ok(()) };
    let target = Path::new(path);
    let climbs = target.components().any(|component| component == std::path::Component::ParentDir);
    if !target.is_absolute() || climbs {
        let name = op.kind();
        return Err(format!("{name} {path}: the path must be absolute and must not contain `..`"));
    }
    // chmod and chown act on what a final link points to; the others on the
    // path itself (a link there is replaced or removed, never followed).
    let follows_final = matches!(op, Op::Chmod { .. } | Op::Chown { .. });
    files::check_links(target, follows_final).map_err(|why| format!("{} {path}: {why}", op.kind()))
}

fn apply_op(op: &Op) -> Result<OpOutcome, Failure> {
    check_path(op)?;
    match op {
        Op::WriteFile { path, content, mode, owner, group } => {
            write_file::write_file(
                path,
                content,
                mode.as_deref(),
                owner.as_deref(),
                group.as_deref(),
            )?;
        }
        Op::Mkdir { path, mode, owner, group } => {
            files::mkdir(path, mode.as_deref(), owner.as_deref(), group.as_deref())?;
        }
        Op::Remove { path, recursive } => files::remove(path, *recursive)?,
        Op::Chmod { path, mode, recursive } => files::chmod(path, mode, *recursive)?,
        Op::Chown { path, owner, group, recursive } => {
            files::chown(path, owner.as_deref(), group.as_deref(), *recursive)?;
        }
        Op::Exec { command, creates, unless, onlyif } => {
            return exec(command, creates.as_deref(), unless.as_ref(), onlyif.as_ref());
        }
    }
    Ok(ran())
}

fn exec(
    command: &Command,
    creates: Option<&str>,
    unless: Option<&Command>,
    onlyif: Option<&Command>,
) -> Result<OpOutcome, Failure> {
    let described = command::describe(&command.argv);
    let skipped = OpOutcome { ran: false, output: None };
    if let Some(path) = creates
        && Path::new(path).symlink_metadata().is_ok()
    {
        return Ok(skipped);
    }
    if let Some(guard) = unless
        && run_guard("unless", &described, guard)?
    {
        return Ok(skipped);
    }
    if let Some(guard) = onlyif
        && !run_guard("onlyif", &described, guard)?
    {
        return Ok(skipped);
    }
    let output = command::run(command).map_err(|message| format!("exec {described}: {message}"))?;
    match failure_of(&output, command) {
        None => Ok(OpOutcome { ran: true, output: Some(output) }),
        Some(why) => Err(Failure {
            message: format!("exec {described}: {why}"),
            outcome: Some(OpOutcome { ran: true, output: Some(output) }),
        }),
    }
}

/// Whether a guard exited 0.
fn run_guard(which: &str, described: &str, guard: &Command) -> Result<bool, Failure> {
    let guard_described = command::describe(&guard.argv);
    let fail = |why: String| format!("exec {described}: {which} guard {guard_described}: {why}");
    let output = command::run(guard).map_err(fail)?;
    if output.timed_out {
        return Err(fail(failure_of(&output, guard).unwrap_or_default()).into());
    }
    Ok(output.status == Some(0))
}

/// Why a finished command counts as failed, with the end of its output; `None` when it succeeded.
fn failure_of(output: &CommandOutput, command: &Command) -> Option<String> {
    let what = if output.timed_out {
        let timeout =
            command.timeout_ms.map_or(command::DEFAULT_TIMEOUT, std::time::Duration::from_millis);
        format!("timed out after {} ms and was killed", timeout.as_millis())
    } else {
        match output.status {
            Some(0) => return None,
            Some(status) => format!("exited with status {status}"),
            None => "was killed by a signal".to_owned(),
        }
    };
    let quoted = if output.stderr.trim().is_empty() { &output.stdout } else { &output.stderr };
    let tail = last_lines(quoted.trim_end());
    Some(if tail.is_empty() { what } else { format!("{what}: {tail}") })
}

fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let kept = lines[lines.len().saturating_sub(MESSAGE_OUTPUT_LINES)..].join("\n");
    let count = kept.chars().count();
    if count > MESSAGE_OUTPUT_CHARS {
        let start = count - MESSAGE_OUTPUT_CHARS;
        format!("…{}", kept.chars().skip(start).collect::<String>())
    } else {
        kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::expect;

    #[test]
    fn failed_command_messages() {
        let command = Command::new(["false"]);
        let output = |status, stderr: &str, stdout: &str, timed_out| CommandOutput {
            status,
            stdout: stdout.into(),
            stderr: stderr.into(),
            timed_out,
        };
        let messages = [
            output(Some(0), "", "", false),
            output(Some(100), "E: Unable to locate package nope\n", "Reading…\n", false),
            output(Some(1), "  \n", "only stdout\n", false),
            output(None, "", "", false),
            output(None, "", "", true),
        ]
        .map(|output| failure_of(&output, &command));
        expect![[r#"
            [
                None,
                Some(
                    "exited with status 100: E: Unable to locate package nope",
                ),
                Some(
                    "exited with status 1: only stdout",
                ),
                Some(
                    "was killed by a signal",
                ),
                Some(
                    "timed out after 300000 ms and was killed",
                ),
            ]
        "#]]
        .assert_debug_eq(&messages);
    }

    #[test]
    fn paths_must_be_absolute_without_parent_components() {
        let remove = |path: &str| Op::Remove { path: path.into(), recursive: true };
        let outcomes =
            ["relative/x", "/home/..", "/tmp/a/../../etc"].map(|path| apply_item(&[remove(path)]));
        expect![[r#"
            [
                Error {
                    message: "remove relative/x: the path must be absolute and must not contain `..`",
                    ops: [],
                },
                Error {
                    message: "remove /home/..: the path must be absolute and must not contain `..`",
                    ops: [],
                },
                Error {
                    message: "remove /tmp/a/../../etc: the path must be absolute and must not contain `..`",
                    ops: [],
                },
            ]
        "#]]
        .assert_debug_eq(&outcomes);
    }

    #[test]
    fn long_output_is_cut_to_its_end() {
        let text: String = (0..100).map(|line| format!("line {line}\n")).collect();
        expect![[r#"
            "line 90\nline 91\nline 92\nline 93\nline 94\nline 95\nline 96\nline 97\nline 98\nline 99"
        "#]]
        .assert_debug_eq(&last_lines(text.trim_end()));
    }
}
