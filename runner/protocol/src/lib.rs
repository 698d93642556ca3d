//! The runner protocol: what the engine and the micro-runner say to each other.
//!
//! One JSON document per line, in both directions, over the runner's stdin and
//! stdout (stderr is free text for humans and is never parsed).
//!
//! A session goes:
//!
//! 1. engine → runner: [`Request::Hello`] with the protocol version it speaks;
//! 2. runner → engine: [`Response::Hello`] with its own version, the machine's
//!    architecture and its [`Facts`], or [`Response::Fatal`] and exit when the
//!    versions differ;
//! 3. any number of batches: [`Request::Probe`] or [`Request::Apply`], each
//!    answered by one [`Response::Item`] per item, **in completion order**, as
//!    soon as each is done, then one [`Response::Done`];
//! 4. engine → runner: [`Request::Bye`], or stdin closes; the runner exits.
//!
//! Items fail one by one ([`ItemOutcome::Error`]): a failed item never fails
//! its batch. Only a broken protocol (a line that is not a request) is fatal.
//!
//! File content travels inside [`Op::WriteFile`], never on a command line;
//! commands are argument vectors, never shell strings put together by the engine.
//!
//! Invariant: this crate is data only (serde types), so the runner, the engine
//! and the WebAssembly providers share it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The protocol version this crate describes. A runner refuses a different one.
pub const PROTOCOL_VERSION: u32 = 1;

/// What the engine sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Request {
    Hello {
        protocol: u32,
    },
    /// Read-only questions; answered with [`ItemOutcome::Probed`].
    Probe {
        batch: u64,
        items: Vec<ProbeItem>,
    },
    /// Changes; each item's operations run in order and stop at the first
    /// failure. Up to `parallelism` items run at once.
    Apply {
        batch: u64,
        parallelism: u32,
        items: Vec<ApplyItem>,
    },
    Bye,
}

/// What the runner sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Response {
    Hello {
        protocol: u32,
        /// The runner's own version (its crate version).
        runner: String,
        /// `x86_64`, `aarch64`, … (Rust's `std::env::consts::ARCH`).
        arch: String,
        facts: Facts,
    },
    Item {
        batch: u64,
        id: u64,
        #[serde(flatten)]
        outcome: ItemOutcome,
    },
    Done {
        batch: u64,
    },
    /// The session cannot go on (bad line, version mismatch); the runner exits after it.
    Fatal {
        message: String,
    },
}

/// What a host is, as the runner found it at the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Facts {
    /// `ID` from os-release (`debian`, `ubuntu`, `fedora`, `alpine`, …), or `linux`.
    pub os_family: String,
    /// `VERSION_ID` from os-release, or empty.
    pub os_release: String,
    /// `ID_LIKE` from os-release, split on spaces.
    #[serde(default)]
    pub os_like: Vec<String>,
    /// The first of `apt`, `dnf`, `yum`, `zypper`, `apk` found on `PATH`.
    pub package_manager: Option<String>,
    /// The init system running the host: `systemd`, `openrc` or `sysvinit`
    /// (Debian's `service` and `update-rc.d` over `/etc/init.d`); none when
    /// the runner recognises none of them.
    pub init_system: Option<String>,
    /// The user the runner runs as.
    pub user: String,
    pub uid: u32,
    pub gid: u32,
    pub hostname: String,
}

/// One read-only question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeItem {
    pub id: u64,
    pub probe: Probe,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "probe", rename_all = "snake_case")]
pub enum Probe {
    /// `lstat` of a path; with `content_limit`, also the content of a regular
    /// file no larger than that, and always its SHA-256.
    Stat {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_limit: Option<u64>,
    },
    /// Run a read-only command (`dpkg-query`, `getent`, `systemctl is-active`…).
    Command(Command),
    /// An HTTP request from the host (plain `http://` only).
    Http {
        url: String,
        method: String,
        #[serde(default)]
        headers: BTreeMap<String, String>,
        timeout_ms: u64,
    },
}

/// An argument vector to run, without a shell.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Command {
    pub argv: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Run as this user (the runner must be root to switch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Written to the command's stdin.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    /// Killed after this long; `None`: 300 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// What a probe found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "found", rename_all = "snake_case")]
pub enum ProbeResult {
    Stat(Stat),
    Command(CommandOutput),
    Http(HttpResponse),
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Stat {
    pub exists: bool,
    /// `file`, `dir`, `symlink` or `other`; empty when absent.
    #[serde(default)]
    pub kind: String,
    /// Permission bits as four octal digits (`0644`).
    #[serde(default)]
    pub mode: String,
    #[serde(default)]
    pub uid: u32,
    #[serde(default)]
    pub gid: u32,
    /// Names from the host's user and group databases, or the number when unknown.
    #[serde(default)]
    pub owner: String,
    #[serde(default)]
    pub group: String,
    #[serde(default)]
    pub size: u64,
    /// `sha256:` and hex, for regular files.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// The content, when asked for, UTF-8 and within the limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CommandOutput {
    /// The exit status; `None` when killed by a signal or the timeout.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    #[serde(default)]
    pub timed_out: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct HttpResponse {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

/// The operations of one resource instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyItem {
    pub id: u64,
    pub ops: Vec<Op>,
}

/// One change to a host.
// `Exec` is the large one; operations live in short lists, serialised at once,
// so boxing it would only make every provider's code noisier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Op {
    /// Write a temporary file beside `path`, set its mode and owner, fsync,
    /// and rename it over `path`.
    WriteFile {
        path: String,
        content: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// Create a directory (and missing parents, with default mode).
    Mkdir {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
    },
    /// Remove a file, a symlink, or a directory (its whole tree when `recursive`).
    Remove {
        path: String,
        #[serde(default)]
        recursive: bool,
    },
    Chmod {
        path: String,
        mode: String,
        #[serde(default)]
        recursive: bool,
    },
    Chown {
        path: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        owner: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        group: Option<String>,
        #[serde(default)]
        recursive: bool,
    },
    /// Run a command, unless a guard says it is not needed. The guards are
    /// checked on the host when the operation runs, not at plan time.
    Exec {
        command: Command,
        /// Skip when this path exists.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        creates: Option<String>,
        /// Skip when this command exits 0.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unless: Option<Command>,
        /// Run only when this command exits 0.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        onlyif: Option<Command>,
    },
}

/// What happened to one item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ItemOutcome {
    Probed {
        result: ProbeResult,
    },
    /// All operations ran (or were skipped by their guards).
    Applied {
        ops: Vec<OpOutcome>,
    },
    /// The item failed: `ops` holds the outcomes of the operations before the
    /// failing one, and `message` says what failed.
    Error {
        message: String,
        #[serde(default)]
        ops: Vec<OpOutcome>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct OpOutcome {
    /// False when a guard skipped the operation.
    pub ran: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<CommandOutput>,
}

impl Request {
    /// One line of the protocol, without its newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("protocol types always serialise")
    }
}

impl Response {
    /// One line of the protocol, without its newline.
    pub fn to_line(&self) -> String {
        serde_json::to_string(self).expect("protocol types always serialise")
    }
}

impl Command {
    pub fn new<I: IntoIterator<Item = S>, S: Into<String>>(argv: I) -> Command {
        Command {
            argv: argv.into_iter().map(Into::into).collect(),
            env: BTreeMap::new(),
            cwd: None,
            user: None,
            stdin: None,
            timeout_ms: None,
        }
    }
}

impl Op {
    /// The operation's name, as its `op` tag on the wire: `write_file`, `mkdir`, …
    pub fn kind(&self) -> &'static str {
        match self {
            Op::WriteFile { .. } => "write_file",
            Op::Mkdir { .. } => "mkdir",
            Op::Remove { .. } => "remove",
            Op::Chmod { .. } => "chmod",
            Op::Chown { .. } => "chown",
            Op::Exec { .. } => "exec",
        }
    }

    /// The path this operation changes, for capability checks (`None` for
    /// `exec`, whose `creates` guard is only read).
    pub fn path(&self) -> Option<&str> {
        match self {
            Op::WriteFile { path, .. }
            | Op::Mkdir { path, .. }
            | Op::Remove { path, .. }
            | Op::Chmod { path, .. }
            | Op::Chown { path, .. } => Some(path),
            Op::Exec { .. } => None,
        }
    }

    /// The commands this operation may run, guards included.
    pub fn commands(&self) -> Vec<&Command> {
        match self {
            Op::Exec { command, unless, onlyif, .. } => {
                std::iter::once(command).chain(unless.iter()).chain(onlyif.iter()).collect()
            }
            _ => Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_kind_is_the_wire_tag() {
        let command = Command::new(["/bin/true"]);
        let ops = [
            Op::WriteFile {
                path: "/x".into(),
                content: String::new(),
                mode: None,
                owner: None,
                group: None,
            },
            Op::Mkdir { path: "/x".into(), mode: None, owner: None, group: None },
            Op::Remove { path: "/x".into(), recursive: false },
            Op::Chmod { path: "/x".into(), mode: "0644".into(), recursive: false },
            Op::Chown { path: "/x".into(), owner: None, group: None, recursive: false },
            Op::Exec { command, creates: None, unless: None, onlyif: None },
        ];
        for op in ops {
            let json = serde_json::to_value(&op).unwrap_or_default();
            assert_eq!(json["op"], op.kind(), "{op:?}");
        }
    }
    use expect_test::expect;

    #[test]
    fn lines_are_tagged_json() {
        let req = Request::Apply {
            batch: 3,
            parallelism: 4,
            items: vec![ApplyItem {
                id: 7,
                ops: vec![Op::WriteFile {
                    path: "/tmp/x".into(),
                    content: "hi\n".into(),
                    mode: Some("0644".into()),
                    owner: None,
                    group: None,
                }],
            }],
        };
        expect![[r#"{"type":"apply","batch":3,"parallelism":4,"items":[{"id":7,"ops":[{"op":"write_file","path":"/tmp/x","content":"hi\n","mode":"0644"}]}]}"#]]
            .assert_eq(&req.to_line());
        let resp = Response::Item {
            batch: 3,
            id: 7,
            outcome: ItemOutcome::Error { message: "permission denied".into(), ops: vec![] },
        };
        let line = resp.to_line();
        expect![[r#"{"type":"item","batch":3,"id":7,"outcome":"error","message":"permission denied","ops":[]}"#]]
            .assert_eq(&line);
        assert_eq!(serde_json::from_str::<Response>(&line).unwrap(), resp);
    }
}
