//! Helpers shared by the state store's integration tests: a temporary
//! workspace, record builders, and child processes (this test binary run
//! again with a role in an environment variable) that hold the lock or write
//! in a loop until they are killed with SIGKILL.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use froyo_state::{InstanceKey, InstanceRecord, RunId, RunKind, State};

/// The environment variable that turns a test binary into a child.
pub const CHILD_ROLE: &str = "FROYO_STATE_TEST_CHILD";
/// The database the child opens.
pub const CHILD_DATABASE: &str = "FROYO_STATE_TEST_DATABASE";

/// A temporary workspace with `.froyo/state.db` inside.
pub struct Workspace {
    pub directory: tempfile::TempDir,
}

impl Workspace {
    pub fn new() -> Workspace {
        Workspace { directory: tempfile::tempdir().expect("create a temporary directory") }
    }

    pub fn database(&self) -> PathBuf {
        self.directory.path().join(".froyo").join("state.db")
    }

    pub fn open(&self) -> State {
        State::open(&self.database()).expect("open the state")
    }

    /// `text` with this workspace's directory replaced by `<workspace>`.
    pub fn redact(&self, text: &str) -> String {
        text.replace(&self.directory.path().display().to_string(), "<workspace>")
    }
}

pub fn key(host: &str, resource: &str) -> InstanceKey {
    InstanceKey { host: host.to_string(), resource: resource.to_string() }
}

pub fn record(host: &str, resource: &str, desired_hash: &str) -> InstanceRecord {
    let mut observed = serde_json::Map::new();
    observed.insert("path".into(), serde_json::json!(format!("/etc/{resource}")));
    observed.insert("mode".into(), serde_json::json!("0644"));
    InstanceRecord {
        key: key(host, resource),
        resource_type: "linux.file".to_string(),
        desired_hash: desired_hash.to_string(),
        observed_hash: format!("observed-{desired_hash}"),
        observed: Some(observed),
        last_run: None,
        updated_at: froyo_state::now_rfc3339(),
    }
}

/// `count` records on two hosts, all with `desired_hash`.
pub fn records(count: usize, desired_hash: &str) -> Vec<InstanceRecord> {
    (0..count)
        .map(|index| {
            record(&format!("host-{}", index % 2), &format!("file-{index:05}"), desired_hash)
        })
        .collect()
}

/// Every byte of every file in `directory` (the database, its WAL and shared memory).
pub fn database_bytes(directory: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<(PathBuf, Vec<u8>)> = std::fs::read_dir(directory)
        .expect("list the state directory")
        .map(|entry| entry.expect("read a directory entry").path())
        .filter(|path| path.file_name().is_some_and(|name| name != "state.key"))
        .map(|path| {
            let bytes = std::fs::read(&path).expect("read a state file");
            (path, bytes)
        })
        .collect();
    files.sort();
    files
}

pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|window| window == needle)
}

/// A child process running `role` against `database`, started and ready.
pub struct ChildProcess {
    pub child: Child,
    pub stdout: BufReader<ChildStdout>,
    /// What the child printed after `READY`.
    pub ready: String,
}

impl ChildProcess {
    /// Runs this test binary's `child_entry` test with `role`, and waits for
    /// it to print `READY ...`.
    pub fn start(role: &str, database: &Path) -> ChildProcess {
        let executable = std::env::current_exe().expect("find the test binary");
        let mut child = Command::new(executable)
            .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
            .env(CHILD_ROLE, role)
            .env(CHILD_DATABASE, database)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start the child process");
        let stdout = child.stdout.take().map(BufReader::new);
        let mut process = ChildProcess {
            child,
            stdout: stdout.expect("the child's stdout is piped"),
            ready: String::new(),
        };
        let mut line = String::new();
        loop {
            line.clear();
            let read = process.stdout.read_line(&mut line).expect("read the child's stdout");
            assert!(read > 0, "the child ({role}) exited before it was ready");
            // The test harness may have printed `test child_entry ... ` on the same line.
            if let Some((_, rest)) = line.trim_end().split_once("READY") {
                process.ready = rest.trim().to_string();
                return process;
            }
        }
    }

    /// SIGKILL, then reap it (a zombie would still look alive).
    pub fn kill(mut self) -> u32 {
        let pid = self.child.id();
        self.child.kill().expect("kill the child");
        let status = self.child.wait().expect("reap the child");
        assert!(!status.success());
        pid
    }
}

impl Drop for ChildProcess {
    /// A test that fails before killing its child does not leave it running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a child does, when this binary was started as one; never returns.
pub fn child_main(role: &str) -> ! {
    use std::io::Write;
    // If the parent test dies without killing us, do not run forever.
    std::thread::spawn(|| {
        std::thread::sleep(std::time::Duration::from_secs(120));
        std::process::exit(3);
    });
    let database = PathBuf::from(std::env::var_os(CHILD_DATABASE).expect("the child's database"));
    let state = State::open(&database).expect("the child opens the state");
    match role {
        "hold-lock" => {
            let _guard = state.lock("apply").expect("the child takes the lock");
            let run = state.begin_run(RunKind::Apply, "ir-child").expect("begin a run");
            state.event(run, None, "started", &serde_json::json!({})).expect("record an event");
            println!("READY {}", run.0);
            std::io::stdout().flush().expect("flush");
            loop {
                std::thread::sleep(std::time::Duration::from_secs(3600));
            }
        }
        "write-loop" => {
            // Generation N writes every record with desired hash `gen-N` in one
            // transaction, so the serial equals N after it commits.
            let run = state.begin_run(RunKind::Apply, "ir-writer").expect("begin a run");
            let mut generation = state.serial().expect("read the serial") + 1;
            let mut announced = false;
            loop {
                let batch = records(CRASH_RECORDS, &format!("gen-{generation}"));
                state.put_instances(run, &batch).expect("write instances");
                // Only once: a pipe nobody reads would block a child that kept printing.
                if !announced {
                    println!("READY {generation}");
                    std::io::stdout().flush().expect("flush");
                    announced = true;
                }
                generation += 1;
            }
        }
        other => panic!("unknown child role {other}"),
    }
}

/// How many instances the crash test's writer rewrites per transaction.
pub const CRASH_RECORDS: usize = 400;

/// A run id, for tests that need one that exists.
pub fn apply_run(state: &State) -> RunId {
    state.begin_run(RunKind::Apply, "ir-test").expect("begin a run")
}
