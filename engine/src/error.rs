//! The engine's errors as values: [`Error`] ends a whole run, [`HostError`]
//! ends one host's part of it (its instances fail, every other host goes on).
//!
//! Both carry a stable code and render with miette: the code, what
//! happened, the host, and a `help:` line that says what to do. The codes
//! are listed with their meaning in [`CODES`] (and `docs/runtime-errors.md`,
//! generated from it and checked by a test).

use std::fmt;

use serde::{Deserialize, Serialize};

/// A runtime error code: its code, name and what to do about it.
pub struct Code {
    pub code: &'static str,
    pub name: &'static str,
    pub meaning: &'static str,
}

/// Every runtime error code (the `E11xx` of host access, the `E12xx` of runs).
pub const CODES: &[Code] = &[
    Code {
        code: "E1101",
        name: "host-unreachable",
        meaning: "No TCP connection or SSH handshake with the host: it is down, the address or port is wrong, a firewall drops the connection, or the name does not resolve.",
    },
    Code {
        code: "E1102",
        name: "host-key-unknown",
        meaning: "The host's key is in no known_hosts file (the workspace's `known_hosts`, the user's, the system's). froyo refuses unknown hosts: trust the key after comparing its fingerprint, or pass `--accept-new-host-keys`.",
    },
    Code {
        code: "E1103",
        name: "host-key-changed",
        meaning: "The host presented a different key than the one recorded for it. This is what an attacker in the middle looks like; froyo never connects, whatever the settings.",
    },
    Code {
        code: "E1104",
        name: "host-key-revoked",
        meaning: "The host's key, or the authority that signed its certificate, is marked `@revoked` in a known_hosts file.",
    },
    Code {
        code: "E1105",
        name: "authentication-failed",
        meaning: "The host accepted none of the identities tried: the host's `identity_file`, ssh_config's `IdentityFile`s, the ssh-agent's keys, then `~/.ssh/id_ed25519`, `id_ecdsa`, `id_rsa`.",
    },
    Code {
        code: "E1106",
        name: "become-failed",
        meaning: "`become: true` could not get root through sudo: sudo wants a password and none was given, refused the `become_password`, is missing, or does not allow the user.",
    },
    Code {
        code: "E1107",
        name: "runner-start-failed",
        meaning: "The runner could not be uploaded to, or started on, the host.",
    },
    Code {
        code: "E1108",
        name: "unsupported-architecture",
        meaning: "The host's processor architecture has no build of froyo's runner.",
    },
    Code {
        code: "E1109",
        name: "session-failed",
        meaning: "The SSH connection or the runner failed after it was established (the host went away, sshd was stopped, the runner crashed).",
    },
    Code {
        code: "E1110",
        name: "jump-host-failed",
        meaning: "A jump host (`jump_host`, or ssh_config's `ProxyJump`) could not be reached or would not forward the connection.",
    },
    Code {
        code: "E1111",
        name: "ssh-config-invalid",
        meaning: "The inventory's SSH settings or ~/.ssh/config cannot be used as written.",
    },
    Code {
        code: "E1112",
        name: "runner-failed",
        meaning: "The local runner could not be started, or broke the protocol.",
    },
];

/// Why one host could not be worked on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HostError {
    pub host: String,
    pub code: String,
    pub message: String,
    pub help: String,
}

impl HostError {
    pub fn ssh(host: &str, error: &froyo_ssh::SshError) -> HostError {
        HostError {
            host: host.to_string(),
            code: error.code().to_string(),
            message: error.to_string(),
            help: error.help(),
        }
    }

    pub fn runner(host: &str, message: String) -> HostError {
        HostError {
            host: host.to_string(),
            code: "E1112".to_string(),
            message,
            help: "run `froyo apply` again; if the runner keeps failing, please report it with the lines above".to_string(),
        }
    }

    /// A session that broke in the middle of the run.
    pub fn lost(host: &str, message: String) -> HostError {
        HostError {
            host: host.to_string(),
            code: "E1109".to_string(),
            message,
            help: "check that the host is up; the next apply converges from what it really is"
                .to_string(),
        }
    }

    /// One line for each instance of the host: the full error is reported once, by host.
    pub fn short(&self) -> String {
        format!("host `{}` could not be worked on ({})", self.host, self.code)
    }
}

impl fmt::Display for HostError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "host `{}`: {}", self.host, self.message)
    }
}

impl std::error::Error for HostError {}

impl miette::Diagnostic for HostError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.code))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(&self.help))
    }
}

/// A failure of the whole run (per-instance failures are in the reports).
#[derive(Debug)]
pub enum Error {
    State(String),
    Graph(String),
    Runtime(String),
    /// Denying plan-time policies found fault with the plan (one line per
    /// finding), or could not be evaluated.
    PolicyDenied(Vec<String>),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::State(message) => write!(f, "state: {message}"),
            Error::Graph(message) => write!(f, "{message}"),
            Error::Runtime(message) => write!(f, "{message}"),
            Error::PolicyDenied(lines) => {
                write!(f, "policies deny this plan, so it is not applied")?;
                for line in lines {
                    write!(f, "\n  - {line}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for Error {}

impl miette::Diagnostic for Error {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            Error::State(_) => "E1201",
            Error::Graph(_) => "E1202",
            Error::Runtime(_) => "E1203",
            Error::PolicyDenied(_) => "E1215",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(match self {
            Error::State(_) => {
                "check the state: `--state` or FROYO_STATE (default .froyo/state.db); see docs/state.md"
            }
            Error::Graph(_) => "`froyo check` shows the dependency problem with its source",
            Error::Runtime(_) => "run again; if it persists, please report it",
            Error::PolicyDenied(_) => {
                "change the configuration, or allow a policy for this run with `--allow-policy NAME --reason TEXT` (recorded in the audit log); deletions need `--allow-destroy`"
            }
        }))
    }
}

/// The message of an operation or probe the engine refused to send to a
/// host because it lies outside its provider's capabilities (`E1213`).
pub(crate) fn refused(why: &str) -> String {
    format!(
        "E1213 refused before it reached the host: {why}. Nothing of this instance ran; \
         if it came from a plan file, make a new plan with `froyo plan -o FILE`"
    )
}

/// `docs/runtime-errors.md`, generated from [`CODES`].
pub fn reference() -> String {
    let mut text = String::from(
        "# Runtime errors\n\n\
         <!-- Generated from engine/src/error.rs by `FROYO_UPDATE_DOCS=1 cargo test -p froyo-engine runtime_error_reference`; do not edit. -->\n\n\
         Errors that are not about source code: reaching hosts, starting the runner, state.\n\
         Each is printed with its code, the host, what happened and a `help:` line; an unreachable host fails its own instances and every other host goes on.\n\n\
         | code | name | what it means |\n|---|---|---|\n",
    );
    for code in CODES {
        text.push_str(&format!("| {} | {} | {} |\n", code.code, code.name, code.meaning));
    }
    text.push_str(
        "| E1202 | graph-invalid | The dependency graph cannot be built (a cycle, an unknown dependency). |\n\
         | E1203 | runtime-failed | The engine could not start its scheduler. |\n\
         | E1211 | plan-unreadable | A plan file is not JSON, is from another format or version of froyo, or is malformed. Nothing was applied; make a new plan with `froyo plan -o FILE`. |\n\
         | E1212 | plan-not-authentic | A plan file's `mac` is missing, garbled, or does not match its content and the workspace state's key: the file was changed after `froyo plan -o` wrote it, or it was made with another state. froyo applies nothing of it; make a new plan with `froyo plan -o FILE` and review it. |\n\
         | E1213 | operation-refused | An operation or probe lies outside the capabilities its provider declared (a command it may not run, a path or URL that is not the resource's). The engine checks every one right before sending it to a host, and refuses it there: the instance fails, what depends on it is skipped. A plan file changed by hand, or a provider bug. |\n\
         | E1214 | plan-outdated | A plan file is authentic but no longer current: an apply of something else (another plan, or the workspace) ran after it was made, or the state has no record of it. Applying it would undo or race what was applied since. Runs of the same plan do not count: an interrupted plan can be applied again. Make a new plan with `froyo plan -o FILE` and review it. |\n\
         | E1215 | policy-denied | A denying plan-time policy (built-in or in `policies/`) found fault with the plan, or a policy could not be evaluated: `froyo apply` refuses before anything runs, saved plans too. Change the configuration, pass `--allow-destroy` for deletions, or allow the policy for one run with `--allow-policy NAME --reason TEXT`, which the audit log records with the user; see `docs/policy.md`. |\n\
         | E1221 | metrics-unavailable | The Prometheus metrics could not be served on `--metrics-addr` (the address is in use, or not one of this machine's) or written to `--metrics-file` (its directory is missing or not writable). `drift --watch` does not start without its endpoint; a file that cannot be written is reported and the run's outcome stands. |\n",
    );
    for (code, name, meaning) in froyo_state::STATE_CODES {
        text.push_str(&format!("| {code} | {name} | {meaning} |\n"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_error_reference() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/runtime-errors.md");
        let expected = reference();
        if std::env::var_os("FROYO_UPDATE_DOCS").is_some() {
            std::fs::write(&path, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "docs/runtime-errors.md is out of date: FROYO_UPDATE_DOCS=1 cargo test -p froyo-engine runtime_error_reference"
        );
    }

    #[test]
    fn every_ssh_error_code_is_listed() {
        use froyo_ssh::SshError;
        let samples = [
            SshError::Config { message: String::new() },
            SshError::Unreachable { address: String::new(), port: 22, reason: String::new() },
            SshError::HostKeyUnknown {
                address: String::new(),
                port: 22,
                fingerprint: String::new(),
                trust: String::new(),
            },
            SshError::Authentication {
                user: String::new(),
                address: String::new(),
                tried: Vec::new(),
                methods: String::new(),
            },
            SshError::Session { address: String::new(), reason: String::new() },
            SshError::Jump { jump: String::new(), reason: String::new() },
            SshError::Become { user: String::new(), reason: String::new(), needs_password: true },
            SshError::Deploy { reason: String::new(), stderr: Vec::new() },
            SshError::Architecture { arch: String::new() },
        ];
        for sample in samples {
            assert!(
                CODES.iter().any(|code| code.code == sample.code()),
                "{} is not in CODES",
                sample.code()
            );
        }
    }
}
