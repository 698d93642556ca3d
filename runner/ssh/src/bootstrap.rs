//! Starting the runner on a host over **one exec channel**.
//!
//! The channel runs a short POSIX `sh` script (the same on every host, no
//! login-shell round trips, no separate `uname` or `test` commands):
//!
//! 1. if this build of the runner (named by its SHA-256) is in the login
//!    user's cache directory (`${XDG_CACHE_HOME:-$HOME/.cache}/froyo`), go
//!    to 3;
//! 2. otherwise say `froyo-bootstrap: upload ARCH` and, for a supported
//!    architecture, read exactly the runner's size from stdin into a
//!    temporary file (mode 0700), check its SHA-256, `fsync` it and rename it
//!    into place — a half-uploaded runner is never executed; an unsupported
//!    architecture ends the script with `froyo-bootstrap: arch ARCH`;
//! 3. say `froyo-bootstrap: ready` and `exec` the runner (through `sudo` when
//!    the host asks for `become`; the line then comes from the root shell
//!    sudo started, so it also proves that sudo let us in).
//!
//! After `ready`, the channel's stdio is the runner's and speaks the runner
//! protocol. The client sends nothing before a line of the script asks for
//! it, so no byte meant for the runner is read by the script.
//!
//! `become` with a password uses `sudo -S` with a prompt of ours on stderr:
//! the password is sent on the channel's stdin only when that prompt
//! appears, once; a second prompt means sudo refused it. It never appears
//! on a command line, in the environment, or in an error message.
//!
//! No terminal is requested, unless sudo says it needs one (`Defaults
//! requiretty`): then the script runs again on a second channel with a
//! pseudo-terminal in raw mode (no echo, no line editing, no signals, no
//! byte translated either way), where the script's lines and sudo's share
//! one stream and the runner's stderr is discarded so that nothing but the
//! protocol reaches the client.

use std::time::Duration;

use russh::ChannelMsg;
use russh::ChannelReadHalf;
use russh::ChannelWriteHalf;
use russh::client::Msg;

use crate::SshError;

/// The prefix of every line the script says.
const SAID: &str = "froyo-bootstrap: ";
/// The prompt `sudo -S` prints on stderr when it wants the password.
const PASSWORD_PROMPT: &str = "froyo-bootstrap-password:";
/// Longest bootstrap output kept before the runner starts.
const MAX_BOOTSTRAP_OUTPUT: usize = 64 * 1024;

/// How the runner is started on the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Become {
    /// As the login user.
    No,
    /// Through `sudo -n` (fails when sudo wants a password).
    Sudo,
    /// Through `sudo -S`, answering its prompt with a password.
    SudoWithPassword,
}

/// The runner build to start, and its bytes for an upload.
pub struct Runner<'a> {
    pub bytes: &'a [u8],
    pub sha256: &'a str,
}

/// Whether the exec channel has a pseudo-terminal (see the module's docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminal {
    No,
    Raw,
}

/// The terminal modes of a [`Terminal::Raw`] channel: every byte passes
/// unchanged both ways, nothing is echoed, no key is a signal.
pub const RAW_MODES: &[(russh::Pty, u32)] = &[
    (russh::Pty::ECHO, 0),
    (russh::Pty::ECHOE, 0),
    (russh::Pty::ECHOK, 0),
    (russh::Pty::ECHONL, 0),
    (russh::Pty::ICANON, 0),
    (russh::Pty::ISIG, 0),
    (russh::Pty::IEXTEN, 0),
    (russh::Pty::ISTRIP, 0),
    (russh::Pty::INLCR, 0),
    (russh::Pty::IGNCR, 0),
    (russh::Pty::ICRNL, 0),
    (russh::Pty::IXON, 0),
    (russh::Pty::IXOFF, 0),
    (russh::Pty::PARMRK, 0),
    (russh::Pty::INPCK, 0),
    (russh::Pty::OPOST, 0),
    (russh::Pty::ONLCR, 0),
    (russh::Pty::OCRNL, 0),
    (russh::Pty::CS8, 1),
];

/// The script the exec channel runs, as one command line.
pub fn command(runner: &Runner<'_>, become_root: Become, terminal: Terminal) -> String {
    let short = runner.sha256.get(..16).unwrap_or(runner.sha256);
    // On a terminal, the runner's stderr would mix into the protocol.
    let quiet = match terminal {
        Terminal::No => "",
        Terminal::Raw => " 2>/dev/null",
    };
    let start = match become_root {
        Become::No => format!("echo {SAID}ready; exec \"$r\"{quiet}"),
        Become::Sudo => format!(
            "exec sudo -n -- sh -c \"echo froyo-bootstrap: ready; exec \\\"\\$0\\\"{quiet}\" \"$r\""
        ),
        Become::SudoWithPassword => format!(
            "exec sudo -S -p {PASSWORD_PROMPT} -- sh -c \"echo froyo-bootstrap: ready; exec \\\"\\$0\\\"{quiet}\" \"$r\""
        ),
    };
    let raw = match terminal {
        Terminal::No => ":",
        // The modes were asked for with the terminal; stty makes sure.
        Terminal::Raw => "stty raw -echo 2>/dev/null",
    };
    // No single quote inside: the whole script is one single-quoted argument.
    let script = [
        raw.to_string(),
        "umask 077".to_string(),
        "d=\"${XDG_CACHE_HOME:-$HOME/.cache}/froyo\"".to_string(),
        format!("r=\"$d/runner-{short}\""),
        format!(
            "if [ -x \"$r\" ]; then :; else a=$(uname -m); echo {SAID}upload $a; \
             case \"$a\" in x86_64|amd64) ;; *) exit 97;; esac; \
             mkdir -p \"$d\" || exit 98; t=\"$d/.runner-{short}.$$\"; \
             head -c {size} > \"$t\" || {{ rm -f \"$t\"; exit 98; }}; \
             if command -v sha256sum >/dev/null 2>&1; then \
             s=$(sha256sum \"$t\"); case \"$s\" in {sha}*) ;; *) rm -f \"$t\"; echo {SAID}corrupt; exit 96;; esac; \
             else [ \"$(wc -c < \"$t\")\" -eq {size} ] || {{ rm -f \"$t\"; echo {SAID}corrupt; exit 96; }}; fi; \
             chmod 700 \"$t\" && {{ sync \"$t\" 2>/dev/null || sync; }} && mv -f \"$t\" \"$r\" || {{ rm -f \"$t\"; exit 98; }}; fi",
            size = runner.bytes.len(),
            sha = runner.sha256,
        ),
        start,
    ]
    .join("; ");
    format!("sh -c '{script}'")
}

/// Drives the script until the runner is started; returns what the channel
/// already said on stdout past `ready` (the runner's first bytes, if any).
///
/// On a [`Terminal::Raw`] channel, sudo's lines arrive on stdout with the
/// script's: those that are not the script's are kept as its stderr.
pub async fn run(
    reader: &mut ChannelReadHalf,
    writer: &ChannelWriteHalf<Msg>,
    runner: &Runner<'_>,
    user: &str,
    password: Option<&str>,
    terminal: Terminal,
    timeout: Duration,
) -> Result<Vec<u8>, SshError> {
    let mut stdout: Vec<u8> = Vec::new();
    let mut stderr: Vec<u8> = Vec::new();
    let mut prompts_answered = 0;
    let mut exited: Option<u32> = None;
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        // Every complete line of stdout is one of the script's.
        while let Some(end) = stdout.iter().position(|&byte| byte == b'\n') {
            let line = String::from_utf8_lossy(&stdout[..end]).into_owned();
            stdout.drain(..=end);
            let Some(said) = line.strip_prefix(SAID) else {
                if terminal == Terminal::Raw {
                    stderr.extend_from_slice(line.as_bytes());
                    stderr.push(b'\n');
                    continue;
                }
                return Err(deploy(
                    format!("unexpected output before the runner started: {line:.200}"),
                    &stderr,
                ));
            };
            match said.split_once(' ').unwrap_or((said, "")) {
                ("ready", _) => return Ok(stdout),
                ("upload", "x86_64" | "amd64") => {
                    writer.data_bytes(runner.bytes.to_vec()).await.map_err(|error| {
                        deploy(format!("uploading the runner failed: {error}"), &stderr)
                    })?;
                }
                ("upload", arch) => return Err(SshError::Architecture { arch: arch.to_string() }),
                ("corrupt", _) => {
                    return Err(deploy(
                        "the uploaded runner did not match its SHA-256; it was removed".to_string(),
                        &stderr,
                    ));
                }
                _ => {
                    return Err(deploy(format!("unexpected bootstrap line: {line:.200}"), &stderr));
                }
            }
        }
        // On a terminal the prompt is a line not yet ended on stdout.
        let prompts = String::from_utf8_lossy(&stderr).matches(PASSWORD_PROMPT).count()
            + match terminal {
                Terminal::No => 0,
                Terminal::Raw => String::from_utf8_lossy(&stdout).matches(PASSWORD_PROMPT).count(),
            };
        if prompts > prompts_answered {
            match password {
                Some(password) if prompts_answered == 0 => {
                    prompts_answered += 1;
                    let mut line = password.as_bytes().to_vec();
                    line.push(b'\n');
                    writer.data_bytes(line).await.map_err(|error| SshError::Become {
                        user: user.to_string(),
                        reason: format!("cannot send the password: {error}"),
                        needs_password: true,
                    })?;
                }
                Some(_) => {
                    return Err(SshError::Become {
                        user: user.to_string(),
                        reason: "sudo refused the `become_password`".to_string(),
                        needs_password: true,
                    });
                }
                None => {
                    return Err(SshError::Become {
                        user: user.to_string(),
                        reason: "sudo asks for a password".to_string(),
                        needs_password: true,
                    });
                }
            }
        }
        if stdout.len() + stderr.len() > MAX_BOOTSTRAP_OUTPUT {
            return Err(deploy(
                "the host said too much before the runner started".to_string(),
                &stderr,
            ));
        }
        let message = match tokio::time::timeout_at(deadline, reader.wait()).await {
            // Exited, but the channel was not closed in time: judge what came.
            Err(_) if exited.is_some() => return Err(ended(exited, user, &stderr)),
            Err(_) => {
                return Err(deploy(
                    format!("the runner did not start within {} s", timeout.as_secs()),
                    &stderr,
                ));
            }
            Ok(message) => message,
        };
        match message {
            Some(ChannelMsg::Data { data }) => stdout.extend_from_slice(&data),
            Some(ChannelMsg::ExtendedData { data, .. }) => stderr.extend_from_slice(&data),
            // The server may send the exit status before the last of the
            // script's stderr (sudo's reason, say): keep reading until the
            // channel closes, then judge everything it said.
            Some(ChannelMsg::ExitStatus { exit_status }) => exited = Some(exit_status),
            // Its output ended; the exit status (and the last stderr) may still come.
            Some(ChannelMsg::Eof) => {}
            Some(ChannelMsg::Close) | None => return Err(ended(exited, user, &stderr)),
            Some(_) => {}
        }
    }
}

/// The error for a script that exited (with `status`, when the server
/// said) before `ready`.
fn ended(status: Option<u32>, user: &str, stderr: &[u8]) -> SshError {
    let text = String::from_utf8_lossy(stderr);
    if text.contains("a password is required") || text.contains("a terminal is required") {
        return SshError::Become {
            user: user.to_string(),
            reason: "sudo asks for a password (`sudo -n` cannot give one)".to_string(),
            needs_password: true,
        };
    }
    if needs_terminal(&text) {
        return SshError::Become {
            user: user.to_string(),
            reason: REQUIRES_TTY.to_string(),
            needs_password: false,
        };
    }
    if text.contains("sudo: not found") || text.contains("sudo: command not found") {
        return SshError::Become {
            user: user.to_string(),
            reason: "sudo is not installed on the host".to_string(),
            needs_password: false,
        };
    }
    if text.contains("is not in the sudoers file") || text.contains("not allowed to execute") {
        return SshError::Become {
            user: user.to_string(),
            reason: "the user may not use sudo".to_string(),
            needs_password: false,
        };
    }
    match status {
        Some(97) => SshError::Deploy {
            reason: "unsupported architecture".to_string(),
            stderr: lines(stderr),
        },
        Some(98) => deploy(
            "cannot write the runner into the login user's cache directory".to_string(),
            stderr,
        ),
        Some(status) => deploy(format!("the bootstrap script exited with status {status}"), stderr),
        None => deploy("the channel closed before the runner started".to_string(), stderr),
    }
}

/// The reason of the error for a sudo that insists on a terminal.
const REQUIRES_TTY: &str = "sudo requires a terminal (`Defaults requiretty` in sudoers)";

/// Whether sudo's words say it wants a terminal (`requiretty`).
fn needs_terminal(stderr: &str) -> bool {
    stderr.contains("must have a tty") || stderr.contains("sorry, you must have a tty")
}

/// Whether `error` is sudo refusing to run without a terminal: worth one
/// more try on a channel with a raw pseudo-terminal.
pub fn wants_terminal(error: &SshError) -> bool {
    matches!(error, SshError::Become { reason, .. } if reason == REQUIRES_TTY)
}

fn deploy(reason: String, stderr: &[u8]) -> SshError {
    SshError::Deploy { reason, stderr: lines(stderr) }
}

fn lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|line| !line.contains(PASSWORD_PROMPT))
        .map(|line| line.chars().take(300).collect())
        .take(20)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_is_one_single_quoted_word_and_names_the_build() {
        let runner = Runner { bytes: &[1, 2, 3], sha256: "0123456789abcdef0123456789abcdef" };
        for become_root in [Become::No, Become::Sudo, Become::SudoWithPassword] {
            for terminal in [Terminal::No, Terminal::Raw] {
                let command = command(&runner, become_root, terminal);
                assert!(command.starts_with("sh -c '") && command.ends_with('\''));
                assert_eq!(command.matches('\'').count(), 2, "{command}");
                assert!(command.contains("runner-0123456789abcdef\""));
                assert!(command.contains("head -c 3 "));
                assert_eq!(
                    command.contains("2>/dev/null\"") || command.ends_with("2>/dev/null'"),
                    terminal == Terminal::Raw,
                    "{command}"
                );
            }
        }
    }
}
