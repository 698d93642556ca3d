//! Runs one [`Command`]: an argument vector, no shell, a clean environment,
//! an optional user, a timeout, and bounded capture of its output.
//!
//! The child gets exactly `PATH` ([`DEFAULT_PATH`]), `LANG=C.UTF-8`, `HOME`
//! (the target user's home, else the runner's), then the command's own `env`
//! on top. It runs in a process group of its own, so the timeout kills it and
//! everything it started. Its stdout and stderr are read by two threads that
//! keep only the last [`OUTPUT_TAIL_BYTES`] of each; a third thread writes
//! `stdin` when given (else stdin is `/dev/null`); a fourth waits for the exit.
//!
//! When the command exits but something it left behind (a daemon) keeps its
//! pipes open, the output is taken [`PIPE_GRACE`] after the exit and the
//! stragglers are left alone: only a timeout kills.
//!
//! Invariant: errors name the command (its argv, shortened) and say what failed;
//! `env` values never appear in them (they may be secrets).

use std::io::{self, Read, Write};
use std::process::{ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use froyo_runner_protocol::{Command, CommandOutput};

use crate::{accounts, sys};

/// The `PATH` every command gets.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// How much of stdout and of stderr is kept (the end of each).
pub const OUTPUT_TAIL_BYTES: usize = 64 * 1024;
/// The timeout when the command gives none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);
/// How long output is still collected after the command exited.
pub const PIPE_GRACE: Duration = Duration::from_secs(2);

/// Runs the command to completion (or to its timeout). `Err` means it could not
/// be started at all, and says why without naming the command (callers do, in
/// their own words); a non-zero exit or a timeout is an `Ok` output.
pub fn run(command: &Command) -> Result<CommandOutput, String> {
    start_and_wait(command)
}

/// A command line for messages: argv joined, arguments with spaces quoted,
/// shortened to a readable length.
pub fn describe(argv: &[String]) -> String {
    const LIMIT: usize = 160;
    let mut text = String::new();
    for (index, argument) in argv.iter().enumerate() {
        if index > 0 {
            text.push(' ');
        }
        let plain = !argument.is_empty()
            && argument.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c));
        if plain {
            text.push_str(argument);
        } else {
            text.push('\'');
            text.push_str(&argument.replace('\'', "'\\''"));
            text.push('\'');
        }
    }
    if text.chars().count() > LIMIT {
        text = text.chars().take(LIMIT).collect::<String>() + "…";
    }
    format!("`{text}`")
}

fn start_and_wait(command: &Command) -> Result<CommandOutput, String> {
    let Some((program, arguments)) = command.argv.split_first() else {
        return Err("the command is empty (no argv)".to_owned());
    };
    let mut process = std::process::Command::new(program);
    process.args(arguments).env_clear().env("PATH", DEFAULT_PATH).env("LANG", "C.UTF-8");
    match &command.user {
        Some(user) => {
            let entry = switch_user(&mut process, user)?;
            process.env("HOME", &entry.home).env("USER", &entry.name).env("LOGNAME", &entry.name);
        }
        None => {
            process.env("HOME", runner_home());
        }
    }
    process.envs(&command.env);
    if let Some(cwd) = &command.cwd {
        process.current_dir(cwd);
    }
    std::os::unix::process::CommandExt::process_group(&mut process, 0);
    process
        .stdin(if command.stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());

    let timeout = command.timeout_ms.map_or(DEFAULT_TIMEOUT, Duration::from_millis);
    let started = Instant::now();
    let mut child = process.spawn().map_err(|error| match (&command.cwd, error.kind()) {
        (Some(cwd), io::ErrorKind::NotFound) if !std::path::Path::new(cwd).is_dir() => {
            format!("working directory {cwd} does not exist")
        }
        (_, io::ErrorKind::NotFound) => {
            format!("program `{program}` not found (PATH is {DEFAULT_PATH}): {error}")
        }
        _ => error.to_string(),
    })?;
    let pid = child.id();

    let (events, receiver) = mpsc::channel::<Event>();
    let stdout_tail = Arc::new(Mutex::new(Tail::default()));
    let stderr_tail = Arc::new(Mutex::new(Tail::default()));
    let mut open_pipes: u32 = 0;
    let mut setup_error = None;
    if let Some(stdout) = child.stdout.take() {
        match spawn_reader(stdout, Arc::clone(&stdout_tail), events.clone()) {
            Ok(()) => open_pipes += 1,
            Err(error) => setup_error = Some(error),
        }
    }
    if let Some(stderr) = child.stderr.take() {
        match spawn_reader(stderr, Arc::clone(&stderr_tail), events.clone()) {
            Ok(()) => open_pipes += 1,
            Err(error) => setup_error = Some(error),
        }
    }
    if let (Some(mut stdin), Some(text)) = (child.stdin.take(), command.stdin.clone()) {
        let writer = helper_thread("stdin").spawn(move || {
            // A command that exits without reading its input gives EPIPE: not our error.
            let _ = stdin.write_all(text.as_bytes());
        });
        if let Err(error) = writer {
            setup_error = Some(error);
        }
    }
    if let Some(error) = setup_error {
        let _ = sys::kill_process_group(pid);
        let _ = child.wait();
        return Err(format!("cannot start a helper thread: {error}"));
    }
    let waiter_events = events.clone();
    let waiter = helper_thread("wait").spawn(move || {
        let _ = waiter_events.send(Event::Exited(child.wait()));
    });
    if let Err(error) = waiter {
        let _ = sys::kill_process_group(pid);
        return Err(format!("cannot start a helper thread: {error}"));
    }
    drop(events);

    let deadline = started + timeout;
    let mut exit: Option<io::Result<ExitStatus>> = None;
    let mut exited_at = None;
    let mut killed_at = None;
    loop {
        if exit.is_some() && open_pipes == 0 {
            break;
        }
        let wait_until = match (exited_at, killed_at) {
            // Exited: the pipes get a grace period, then stragglers are left alone.
            (Some(exited), _) => exited + PIPE_GRACE,
            // Killed: the exit comes at once, unless the kill was refused.
            (None, Some(killed)) => killed + PIPE_GRACE,
            (None, None) => deadline,
        };
        match receiver.recv_timeout(wait_until.saturating_duration_since(Instant::now())) {
            Ok(Event::Exited(status)) => {
                exit = Some(status);
                exited_at = Some(Instant::now());
            }
            Ok(Event::PipeClosed) => open_pipes = open_pipes.saturating_sub(1),
            Err(mpsc::RecvTimeoutError::Timeout) if exit.is_none() && killed_at.is_none() => {
                let _ = sys::kill_process_group(pid);
                killed_at = Some(Instant::now());
            }
            // The grace period is over, or every helper thread is gone.
            Err(_) => break,
        }
    }
    let timed_out = killed_at.is_some();
    let status = match exit {
        Some(Ok(status)) => status.code(),
        Some(Err(error)) => return Err(format!("waiting for it failed: {error}")),
        // Killed but not reaped yet (the kill may have been refused): report the timeout.
        None if timed_out => None,
        None => return Err("lost track of the process".to_owned()),
    };
    Ok(CommandOutput {
        status: if timed_out { None } else { status },
        stdout: take_text(&stdout_tail),
        stderr: take_text(&stderr_tail),
        timed_out,
    })
}

enum Event {
    Exited(io::Result<ExitStatus>),
    PipeClosed,
}

fn helper_thread(role: &str) -> std::thread::Builder {
    std::thread::Builder::new().name(format!("command-{role}")).stack_size(64 * 1024)
}

fn spawn_reader(
    mut pipe: impl Read + Send + 'static,
    tail: Arc<Mutex<Tail>>,
    events: mpsc::Sender<Event>,
) -> io::Result<()> {
    helper_thread("output").spawn(move || {
        let mut buffer = [0u8; 8192];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) => break,
                Ok(read) => tail.lock().unwrap_or_else(|p| p.into_inner()).push(&buffer[..read]),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = events.send(Event::PipeClosed);
    })?;
    Ok(())
}

fn take_text(tail: &Mutex<Tail>) -> String {
    tail.lock().unwrap_or_else(|p| p.into_inner()).text()
}

/// The last [`OUTPUT_TAIL_BYTES`] of a stream.
#[derive(Debug, Default)]
pub struct Tail {
    bytes: Vec<u8>,
    dropped: bool,
}

impl Tail {
    pub fn push(&mut self, chunk: &[u8]) {
        self.bytes.extend_from_slice(chunk);
        // Trim in steps so a chatty command does not cost a memmove per read.
        if self.bytes.len() > 2 * OUTPUT_TAIL_BYTES {
            let excess = self.bytes.len() - OUTPUT_TAIL_BYTES;
            self.bytes.drain(..excess);
            self.dropped = true;
        }
    }

    /// The kept bytes as text; when the start was dropped, the text starts at
    /// the next whole UTF-8 character. Invalid UTF-8 becomes U+FFFD.
    pub fn text(&self) -> String {
        let mut start = self.bytes.len().saturating_sub(OUTPUT_TAIL_BYTES);
        if self.dropped || start > 0 {
            while self.bytes.get(start).is_some_and(|byte| byte & 0b1100_0000 == 0b1000_0000) {
                start += 1;
            }
        }
        String::from_utf8_lossy(&self.bytes[start..]).into_owned()
    }
}

fn switch_user(process: &mut std::process::Command, user: &str) -> Result<accounts::User, String> {
    let Some(entry) = accounts::user_by_name(user) else {
        return Err(format!("unknown user `{user}`"));
    };
    let current = sys::effective_uid();
    if current == entry.uid {
        // Already that user: nothing to switch.
        return Ok(entry);
    }
    if current != 0 {
        return Err(format!(
            "cannot run as user `{user}`: the runner runs as uid {current}, not root (use become)"
        ));
    }
    sys::switch_user_in_child(process, entry.uid, entry.gid, accounts::groups_of(&entry));
    Ok(entry)
}

fn runner_home() -> String {
    std::env::var("HOME")
        .ok()
        .filter(|home| !home.is_empty())
        .or_else(|| accounts::user_by_uid(sys::effective_uid()).map(|user| user.home))
        .unwrap_or_else(|| "/".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_end_on_a_character_boundary() {
        let mut tail = Tail::default();
        tail.push("é".repeat(OUTPUT_TAIL_BYTES).as_bytes());
        tail.push(b"end");
        let text = tail.text();
        assert!(text.ends_with("end"));
        assert!(!text.contains('\u{fffd}'));
        assert!(text.len() <= OUTPUT_TAIL_BYTES);
        assert!(text.len() >= OUTPUT_TAIL_BYTES - 4);
    }

    #[test]
    fn describe_quotes_and_shortens() {
        let argv = ["sh", "-c", "echo 'hi' there"].map(String::from);
        assert_eq!(describe(&argv), r#"`sh -c 'echo '\''hi'\'' there'`"#);
        let long = vec!["x".repeat(500)];
        assert_eq!(describe(&long).chars().count(), 160 + 3);
    }

    #[test]
    fn runs_with_a_clean_environment() {
        let mut command = Command::new(["/usr/bin/env"]);
        command.env.insert("FROYO_TEST".into(), "1".into());
        let output = run(&command).unwrap();
        let mut names: Vec<&str> =
            output.stdout.lines().filter_map(|line| line.split('=').next()).collect();
        names.sort();
        assert_eq!(names, ["FROYO_TEST", "HOME", "LANG", "PATH"]);
    }
}
