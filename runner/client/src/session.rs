//! [`Session`]: one running runner and the protocol spoken with it.
//!
//! Blocking and synchronous: each call writes one request line and reads
//! response lines until the batch is done (the engine calls it from a
//! blocking thread). The runner's stderr is drained by a thread that keeps
//! its last lines for error messages.
//!
//! Invariants: a batch's result holds every item id exactly once, sorted by
//! id, or the call fails; after a session-level error (not an item error)
//! every later call fails with [`ClientError::Broken`]; an empty batch costs
//! no round trip; the child process is always reaped (by [`Session::close`] or
//! on drop).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::io::{BufRead, BufReader, BufWriter, Read, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use froyo_runner_protocol::{
    ApplyItem, Facts, ItemOutcome, PROTOCOL_VERSION, ProbeItem, Request, Response,
};

use crate::{ClientError, install_runner};

/// How a runner's process (or remote command) ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exit {
    pub success: bool,
    /// `exit status: 2`, `signal: 9 (SIGKILL)`, …
    pub description: String,
}

/// The process behind a session's streams: a local child, or a command on
/// the other end of an SSH channel.
pub trait Process: Send {
    /// How it ended, without blocking; `None` while it runs.
    fn try_wait(&mut self) -> std::io::Result<Option<Exit>>;
    /// Ends it (kill the child, close the channel) and reaps it.
    fn kill(&mut self);
}

impl Process for Child {
    fn try_wait(&mut self) -> std::io::Result<Option<Exit>> {
        Ok(Child::try_wait(self)?
            .map(|status| Exit { success: status.success(), description: status.to_string() }))
    }

    fn kill(&mut self) {
        let _ = Child::kill(self);
        let _ = self.wait();
    }
}

/// The byte streams of a runner and the process behind them.
pub struct Streams {
    pub stdin: Box<dyn Write + Send>,
    pub stdout: Box<dyn Read + Send>,
    pub stderr: Box<dyn Read + Send>,
    pub process: Box<dyn Process>,
}

/// What the runner said about itself at the handshake.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Hello {
    /// The runner's version.
    pub runner: String,
    /// The host's architecture (`x86_64`, `aarch64`, …).
    pub arch: String,
    pub facts: Facts,
}

/// How many of the runner's last stderr lines are kept for error messages.
const STDERR_LINES: usize = 20;
/// Longest stderr line kept (longer ones are cut).
const STDERR_LINE_CHARS: usize = 500;
/// How long `close` waits for the runner to exit after `bye`.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long to wait for a runner that closed its stdout to finish exiting.
const EXIT_TIMEOUT: Duration = Duration::from_secs(2);

/// A running runner, after a successful handshake.
pub struct Session {
    process: Box<dyn Process>,
    stdin: Option<BufWriter<Box<dyn Write + Send>>>,
    stdout: BufReader<Box<dyn Read + Send>>,
    stderr: StderrTail,
    hello: Hello,
    next_batch: u64,
    round_trips: u64,
    broken: Option<String>,
    /// The child has been reaped.
    finished: bool,
}

impl Session {
    /// Installs the embedded runner (see [`install_runner`]) and starts it as a
    /// child process of this one.
    pub fn start_local() -> Result<Session, ClientError> {
        let path = install_runner()?;
        Session::spawn(std::process::Command::new(path))
    }

    /// Starts a runner with `command` (its stdio is replaced by pipes) and
    /// does the handshake. Anything that ends in a runner's stdio works: a
    /// local binary, `ssh host runner`, `sudo -n runner`.
    pub fn spawn(mut command: std::process::Command) -> Result<Session, ClientError> {
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|error| ClientError::io(format!("start the runner `{program}`"), error))?;
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ClientError::protocol("the runner's stdio pipes are missing"));
        };
        Session::over(Streams {
            stdin: Box::new(stdin),
            stdout: Box::new(stdout),
            stderr: Box::new(stderr),
            process: Box::new(child),
        })
    }

    /// Does the handshake with a runner already started behind `streams`
    /// (an SSH channel's, say) and returns the session.
    pub fn over(streams: Streams) -> Result<Session, ClientError> {
        let mut session = Session {
            process: streams.process,
            stdin: Some(BufWriter::new(streams.stdin)),
            stdout: BufReader::new(streams.stdout),
            stderr: StderrTail::start(streams.stderr),
            hello: Hello::default(),
            next_batch: 1,
            round_trips: 0,
            broken: None,
            finished: false,
        };
        // On failure `session` drops here, which ends and reaps the process.
        session.handshake()?;
        Ok(session)
    }

    /// Whether an earlier error left this session unusable.
    pub fn is_broken(&self) -> bool {
        self.broken.is_some()
    }

    /// The runner's version, architecture and the host's facts.
    pub fn hello(&self) -> &Hello {
        &self.hello
    }

    /// Requests sent so far that waited for an answer (the handshake included).
    pub fn round_trips(&self) -> u64 {
        self.round_trips
    }

    /// Runs a batch of probes in one round trip; results sorted by id.
    pub fn probe(&mut self, items: Vec<ProbeItem>) -> Result<Vec<(u64, ItemOutcome)>, ClientError> {
        let ids = unique_ids(items.iter().map(|item| item.id))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let batch = self.take_batch_number();
        self.run_batch(&Request::Probe { batch, items }, batch, &ids, &mut |_, _| {})
    }

    /// Runs a batch of operations, up to `parallelism` items at once, in one
    /// round trip. `on_item` sees each result as it arrives (in completion
    /// order); the returned results are sorted by id.
    pub fn apply(
        &mut self,
        parallelism: u32,
        items: Vec<ApplyItem>,
        on_item: &mut dyn FnMut(u64, &ItemOutcome),
    ) -> Result<Vec<(u64, ItemOutcome)>, ClientError> {
        let ids = unique_ids(items.iter().map(|item| item.id))?;
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let batch = self.take_batch_number();
        self.run_batch(&Request::Apply { batch, parallelism, items }, batch, &ids, on_item)
    }

    /// Says `bye`, waits (a few seconds at most) for the runner to exit, and
    /// kills it if it does not. An error says how it ended if not cleanly.
    pub fn close(mut self) -> Result<(), ClientError> {
        if let Some(mut stdin) = self.stdin.take() {
            // A runner that is already gone shows up in its exit status below.
            let _ = stdin
                .write_all(format!("{}\n", Request::Bye.to_line()).as_bytes())
                .and_then(|()| stdin.flush());
        }
        let status = self.wait_for_exit(CLOSE_TIMEOUT);
        match status {
            Some(status) if status.success => Ok(()),
            Some(status) => Err(ClientError::RunnerExited {
                status: Some(status.description),
                stderr: self.stderr.lines(),
            }),
            None => {
                self.kill();
                Err(ClientError::RunnerExited {
                    status: Some(format!(
                        "did not exit within {} s of bye; killed",
                        CLOSE_TIMEOUT.as_secs()
                    )),
                    stderr: self.stderr.lines(),
                })
            }
        }
    }

    fn handshake(&mut self) -> Result<(), ClientError> {
        self.send(&Request::Hello { protocol: PROTOCOL_VERSION })?;
        match self.receive()? {
            Response::Hello { protocol, runner, arch, facts } => {
                if protocol != PROTOCOL_VERSION {
                    return Err(ClientError::VersionMismatch {
                        ours: PROTOCOL_VERSION,
                        theirs: protocol,
                        runner,
                    });
                }
                self.hello = Hello { runner, arch, facts };
                Ok(())
            }
            other => Err(ClientError::protocol(format!("expected hello, got {}", kind_of(&other)))),
        }
    }

    fn take_batch_number(&mut self) -> u64 {
        let batch = self.next_batch;
        self.next_batch += 1;
        batch
    }

    fn run_batch(
        &mut self,
        request: &Request,
        batch: u64,
        ids: &HashSet<u64>,
        on_item: &mut dyn FnMut(u64, &ItemOutcome),
    ) -> Result<Vec<(u64, ItemOutcome)>, ClientError> {
        let result = self.exchange(request, batch, ids, on_item);
        if let Err(error) = &result {
            self.broken.get_or_insert_with(|| error.to_string());
        }
        result
    }

    fn exchange(
        &mut self,
        request: &Request,
        batch: u64,
        ids: &HashSet<u64>,
        on_item: &mut dyn FnMut(u64, &ItemOutcome),
    ) -> Result<Vec<(u64, ItemOutcome)>, ClientError> {
        if let Some(first_error) = &self.broken {
            return Err(ClientError::Broken { first_error: first_error.clone() });
        }
        self.send(request)?;
        let mut results = BTreeMap::new();
        loop {
            match self.receive()? {
                Response::Item { batch: answered, id, outcome } => {
                    if answered != batch {
                        return Err(ClientError::protocol(format!(
                            "an item of batch {answered} arrived during batch {batch}"
                        )));
                    }
                    if !ids.contains(&id) {
                        return Err(ClientError::protocol(format!(
                            "batch {batch} answered unknown item {id}"
                        )));
                    }
                    if results.contains_key(&id) {
                        return Err(ClientError::protocol(format!(
                            "batch {batch} answered item {id} twice"
                        )));
                    }
                    on_item(id, &outcome);
                    results.insert(id, outcome);
                }
                Response::Done { batch: done } if done == batch => {
                    if results.len() != ids.len() {
                        let mut missing: Vec<u64> =
                            ids.iter().filter(|id| !results.contains_key(id)).copied().collect();
                        missing.sort_unstable();
                        let shown: Vec<String> =
                            missing.iter().take(10).map(u64::to_string).collect();
                        return Err(ClientError::protocol(format!(
                            "batch {batch} finished without answering {} item(s): {}{}",
                            missing.len(),
                            shown.join(", "),
                            if missing.len() > shown.len() { ", …" } else { "" }
                        )));
                    }
                    return Ok(results.into_iter().collect());
                }
                other => {
                    return Err(ClientError::protocol(format!(
                        "expected the results of batch {batch}, got {}",
                        kind_of(&other)
                    )));
                }
            }
        }
    }

    fn send(&mut self, request: &Request) -> Result<(), ClientError> {
        let Some(stdin) = self.stdin.as_mut() else {
            return Err(ClientError::protocol("the session is closed"));
        };
        let mut line = request.to_line();
        line.push('\n');
        let written = stdin.write_all(line.as_bytes()).and_then(|()| stdin.flush());
        self.round_trips += 1;
        match written {
            Ok(()) => Ok(()),
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Err(self.exited()),
            Err(error) => Err(ClientError::io("send a request to the runner", error)),
        }
    }

    /// The next response; a `fatal` becomes [`ClientError::Fatal`].
    fn receive(&mut self) -> Result<Response, ClientError> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => return Err(self.exited()),
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::InvalidData => {
                return Err(ClientError::protocol("the runner sent a line that is not UTF-8"));
            }
            Err(error) => return Err(ClientError::io("read from the runner", error)),
        }
        let response: Response = serde_json::from_str(&line).map_err(|error| {
            let shown: String = line.trim_end().chars().take(200).collect();
            ClientError::protocol(format!(
                "the runner sent a line that is not a response ({error}): {shown}"
            ))
        })?;
        if let Response::Fatal { message } = response {
            self.wait_for_exit(EXIT_TIMEOUT);
            return Err(ClientError::Fatal { message, stderr: self.stderr.lines() });
        }
        Ok(response)
    }

    /// The error for a runner whose stdout closed: how it exited and what it said.
    fn exited(&mut self) -> ClientError {
        let status = self.wait_for_exit(EXIT_TIMEOUT);
        if status.is_none() {
            self.kill();
        }
        ClientError::RunnerExited {
            status: status.map(|status| status.description),
            stderr: self.stderr.lines(),
        }
    }

    /// Waits up to `timeout` for the child to exit; its status, when it did.
    fn wait_for_exit(&mut self, timeout: Duration) -> Option<Exit> {
        let deadline = Instant::now() + timeout;
        let mut pause = Duration::from_millis(1);
        loop {
            match self.process.try_wait() {
                Ok(Some(status)) => {
                    self.finished = true;
                    // Let the stderr thread read the last words.
                    self.stderr.wait_for_end(Duration::from_millis(500));
                    return Some(status);
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(50));
                }
                _ => return None,
            }
        }
    }

    fn kill(&mut self) {
        if !self.finished {
            self.process.kill();
            self.finished = true;
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.stdin = None;
        self.kill();
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("Session")
            .field("hello", &self.hello)
            .field("round_trips", &self.round_trips)
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

fn unique_ids(ids: impl Iterator<Item = u64>) -> Result<HashSet<u64>, ClientError> {
    let mut seen = HashSet::new();
    for id in ids {
        if !seen.insert(id) {
            return Err(ClientError::InvalidBatch {
                message: format!("item id {id} appears twice"),
            });
        }
    }
    Ok(seen)
}

fn kind_of(response: &Response) -> &'static str {
    match response {
        Response::Hello { .. } => "hello",
        Response::Item { .. } => "an item",
        Response::Done { .. } => "done of another batch",
        Response::Fatal { .. } => "fatal",
    }
}

/// The runner's stderr, drained by a thread that keeps the last lines.
struct StderrTail {
    lines: Arc<Mutex<VecDeque<String>>>,
    reader: Option<JoinHandle<()>>,
}

impl StderrTail {
    fn start(stderr: impl Read + Send + 'static) -> StderrTail {
        let lines = Arc::new(Mutex::new(VecDeque::new()));
        let kept = Arc::clone(&lines);
        let reader = std::thread::Builder::new()
            .name("runner-stderr".to_owned())
            .spawn(move || {
                let mut reader = BufReader::new(stderr);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match reader.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            let text: String = String::from_utf8_lossy(&line)
                                .trim_end()
                                .chars()
                                .take(STDERR_LINE_CHARS)
                                .collect();
                            let mut kept =
                                kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                            if kept.len() == STDERR_LINES {
                                kept.pop_front();
                            }
                            kept.push_back(text);
                        }
                    }
                }
            })
            .ok();
        StderrTail { lines, reader }
    }

    fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter().cloned().collect()
    }

    fn wait_for_end(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while let Some(reader) = &self.reader {
            if reader.is_finished() {
                if let Some(reader) = self.reader.take() {
                    let _ = reader.join();
                }
                return;
            }
            if Instant::now() >= deadline {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}
