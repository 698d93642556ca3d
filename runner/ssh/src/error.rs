//! [`SshError`]: why a host could not be reached or its runner not started.
//!
//! Every error has a stable code (`E11xx`, listed in `docs/runtime-errors.md`
//! through the engine's registry), says what was tried, and offers a next
//! step ([`SshError::help`]). The message never holds a secret: passwords
//! and passphrases are never formatted, key files are named by path only.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SshError {
    /// The configuration (inventory or `~/.ssh/config`) cannot be used.
    Config { message: String },
    /// No TCP connection: refused, unreachable, name not resolved, or timed out.
    Unreachable { address: String, port: u16, reason: String },
    /// The host's key is in no known_hosts file.
    HostKeyUnknown { address: String, port: u16, fingerprint: String, trust: String },
    /// The host's key differs from the recorded one.
    HostKeyChanged {
        address: String,
        port: u16,
        fingerprint: String,
        expected: String,
        file: PathBuf,
        line: usize,
    },
    /// The host's key (or its certificate authority) is marked `@revoked`.
    HostKeyRevoked { address: String, port: u16, fingerprint: String, file: PathBuf, line: usize },
    /// The server accepted none of the identities offered.
    Authentication { user: String, address: String, tried: Vec<String>, methods: String },
    /// The SSH session failed after it was established.
    Session { address: String, reason: String },
    /// A jump host could not carry the connection.
    Jump { jump: String, reason: String },
    /// `become` failed: sudo wants a password, refused it, or is missing.
    Become { user: String, reason: String, needs_password: bool },
    /// The runner could not be uploaded or started.
    Deploy { reason: String, stderr: Vec<String> },
    /// The host's architecture has no runner build.
    Architecture { arch: String },
}

impl SshError {
    /// The stable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            SshError::Unreachable { .. } => "E1101",
            SshError::HostKeyUnknown { .. } => "E1102",
            SshError::HostKeyChanged { .. } => "E1103",
            SshError::HostKeyRevoked { .. } => "E1104",
            SshError::Authentication { .. } => "E1105",
            SshError::Become { .. } => "E1106",
            SshError::Deploy { .. } => "E1107",
            SshError::Architecture { .. } => "E1108",
            SshError::Session { .. } => "E1109",
            SshError::Jump { .. } => "E1110",
            SshError::Config { .. } => "E1111",
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> String {
        match self {
            SshError::Config { .. } => {
                "fix the host's entry in the inventory or in ~/.ssh/config".to_string()
            }
            SshError::Unreachable { address, port, .. } => format!(
                "check that {address} is up and sshd listens on port {port} (`ssh -p {port} {address} true` tries the same)"
            ),
            SshError::HostKeyUnknown { trust, .. } => format!(
                "if the fingerprint is the host's own, trust it:\n{trust}\nor run again with --accept-new-host-keys to trust keys seen for the first time"
            ),
            SshError::HostKeyChanged { file, line, address, .. } => format!(
                "someone may be intercepting the connection, or the host was reinstalled; if you know why the key changed, remove the old entry (`ssh-keygen -R {address}`, recorded at {}:{line}) and trust the new key",
                file.display()
            ),
            SshError::HostKeyRevoked { file, line, .. } => format!(
                "this key was revoked on purpose ({}:{line}); the host must get a new key",
                file.display()
            ),
            SshError::Authentication { user, .. } => format!(
                "give the host an `identity_file`, load a key into ssh-agent (`ssh-add`), or add the public key to ~{user}/.ssh/authorized_keys on the host"
            ),
            SshError::Session { .. } => {
                "run again; if it keeps failing, check the host's sshd log".to_string()
            }
            SshError::Jump { jump, .. } => {
                format!("check that the jump host {jump} is reachable and lets you forward (AllowTcpForwarding)")
            }
            SshError::Become { user, needs_password: true, .. } => format!(
                "let {user} run sudo without a password (a NOPASSWD rule in /etc/sudoers.d), or give the host a `become_password`"
            ),
            SshError::Become { user, .. } => {
                format!("check that sudo is installed on the host and that {user} may use it")
            }
            SshError::Deploy { .. } => {
                "check that the login user's home directory is writable and has room (the runner is about 1 MB)".to_string()
            }
            SshError::Architecture { .. } => {
                "froyo's runner is built for x86_64 Linux only; manage this host from a froyo built for its architecture".to_string()
            }
        }
    }
}

impl fmt::Display for SshError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SshError::Config { message } => {
                write!(formatter, "invalid SSH configuration: {message}")
            }
            SshError::Unreachable { address, port, reason } => {
                write!(formatter, "cannot connect to {address} port {port}: {reason}")
            }
            SshError::HostKeyUnknown { address, port, fingerprint, .. } => write!(
                formatter,
                "the host key of {address} (port {port}) is not known: {fingerprint}; refusing to connect"
            ),
            SshError::HostKeyChanged { address, port, fingerprint, expected, .. } => write!(
                formatter,
                "the host key of {address} (port {port}) has CHANGED: it is now {fingerprint}, known_hosts says {expected}; refusing to connect"
            ),
            SshError::HostKeyRevoked { address, port, fingerprint, .. } => write!(
                formatter,
                "the host key of {address} (port {port}) is revoked: {fingerprint}; refusing to connect"
            ),
            SshError::Authentication { user, address, tried, methods } => {
                write!(formatter, "{user}@{address} accepted none of the identities tried")?;
                if tried.is_empty() {
                    write!(formatter, " (no identity found to try)")?;
                } else {
                    write!(formatter, " ({})", tried.join(", "))?;
                }
                if !methods.is_empty() {
                    write!(formatter, "; the server allows: {methods}")?;
                }
                Ok(())
            }
            SshError::Session { address, reason } => {
                write!(formatter, "the SSH session with {address} failed: {reason}")
            }
            SshError::Jump { jump, reason } => {
                write!(formatter, "cannot connect through the jump host {jump}: {reason}")
            }
            SshError::Become { user, reason, .. } => {
                write!(formatter, "`become` failed for {user}: {reason}")
            }
            SshError::Deploy { reason, stderr } => {
                write!(formatter, "cannot start the runner: {reason}")?;
                for line in stderr.iter().take(10) {
                    write!(formatter, "\n  {line}")?;
                }
                Ok(())
            }
            SshError::Architecture { arch } => {
                write!(formatter, "the host's architecture `{arch}` has no froyo runner build")
            }
        }
    }
}

impl std::error::Error for SshError {}
