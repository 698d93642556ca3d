//! Helpers shared by the state store's integration tests: a temporary
//! workspace, record builders, and child processes (this test binary run
//! again with a role in an environment variable) that hold the lock or write
//! in a loop until they are killed with SIGKILL.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use froyo_state::{InstanceKey, InstanceRecord, RunId, RunKind, State, StateLocation};

#[path = "../../../tests/support/postgres.rs"]
pub mod postgres_cluster;

/// The environment variable that turns a test binary into a child.
pub const CHILD_ROLE: &str = "FROYO_STATE_TEST_CHILD";
/// The state location the child opens (a file, or a PostgreSQL URL).
pub const CHILD_DATABASE: &str = "FROYO_STATE_TEST_DATABASE";

/// Which backend a workspace's state is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL cluster this test process shares (started on first use;
/// its watchdog stops it when the process ends); `None` when PostgreSQL
/// cannot run here and the tests are skipped.
pub fn cluster() -> Option<&'static postgres_cluster::Cluster> {
    static CLUSTER: std::sync::OnceLock<Option<postgres_cluster::Cluster>> =
        std::sync::OnceLock::new();
    CLUSTER.get_or_init(postgres_cluster::Cluster::start_or_skip).as_ref()
}

/// A temporary workspace: `.froyo/state.db` inside its directory, or its
/// own database on the shared PostgreSQL cluster (workspace id `test`) with
/// a team key file in its directory.
pub struct Workspace {
    pub directory: tempfile::TempDir,
    pub backend: Backend,
    /// The PostgreSQL database, for a PostgreSQL workspace.
    pub database_name: Option<String>,
}

impl Workspace {
    /// A SQLite workspace.
    pub fn new() -> Workspace {
        Workspace {
            directory: tempfile::tempdir().expect("create a temporary directory"),
            backend: Backend::Sqlite,
            database_name: None,
        }
    }

    /// A workspace on `backend`; `None` when PostgreSQL cannot run here.
    pub fn on(backend: Backend) -> Option<Workspace> {
        match backend {
            Backend::Sqlite => Some(Workspace::new()),
            Backend::Postgres => {
                let cluster = cluster()?;
                let workspace = Workspace {
                    directory: tempfile::tempdir().expect("create a temporary directory"),
                    backend,
                    database_name: Some(cluster.database()),
                };
                write_key(&workspace.key_file(), &"5a".repeat(32));
                Some(workspace)
            }
        }
    }

    /// Where the state is, as `--state` would name it.
    pub fn location(&self) -> String {
        match (&self.database_name, cluster()) {
            (Some(database), Some(cluster)) if self.backend == Backend::Postgres => {
                cluster.url(database, "test")
            }
            _ => self.database().display().to_string(),
        }
    }

    /// The team key file of a PostgreSQL workspace.
    pub fn key_file(&self) -> PathBuf {
        self.directory.path().join("team.key")
    }

    /// Opens the state (creating it), on its backend.
    pub fn open_location(&self) -> State {
        State::open_location(&self.state_location(), true).expect("open the state")
    }

    pub fn state_location(&self) -> StateLocation {
        match StateLocation::parse(&self.location()).expect("a valid location") {
            StateLocation::Postgres(target) => {
                StateLocation::Postgres(target.with_key_file(self.key_file()))
            }
            file => file,
        }
    }

    /// Runs `sqlite` on a SQLite workspace's file, or `postgres` in a
    /// PostgreSQL workspace's database, as the superuser: what tests do
    /// behind the store's back.
    pub fn sql(&self, sqlite: &str, postgres: &str) {
        match self.backend {
            Backend::Sqlite => {
                rusqlite::Connection::open(self.database())
                    .and_then(|connection| connection.execute_batch(sqlite))
                    .expect("run SQL on the state file");
            }
            Backend::Postgres => {
                let cluster = cluster().expect("a PostgreSQL workspace has a cluster");
                cluster.sql(self.database_name.as_deref().unwrap_or_default(), postgres);
            }
        }
    }

    /// `text` with the state's location replaced by `<state>`.
    pub fn redact_location(&self, text: &str) -> String {
        text.replace(&self.location(), "<state>")
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
        ChildProcess::start_at(role, database.as_os_str(), None)
    }

    /// As [`ChildProcess::start`], for the state of `workspace` on its backend
    /// (the child reads a PostgreSQL workspace's team key from
    /// `FROYO_STATE_KEY_FILE`, as the CLI does).
    pub fn start_in(role: &str, workspace: &Workspace) -> ChildProcess {
        let key = (workspace.backend == Backend::Postgres).then(|| workspace.key_file());
        ChildProcess::start_at(role, std::ffi::OsStr::new(&workspace.location()), key.as_deref())
    }

    fn start_at(role: &str, location: &std::ffi::OsStr, key: Option<&Path>) -> ChildProcess {
        let executable = std::env::current_exe().expect("find the test binary");
        let mut command = Command::new(executable);
        if let Some(key) = key {
            command.env("FROYO_STATE_KEY_FILE", key);
        }
        let mut child = command
            .args(["--exact", "child_entry", "--nocapture", "--test-threads=1"])
            .env(CHILD_ROLE, role)
            .env(CHILD_DATABASE, location)
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
    let location = std::env::var(CHILD_DATABASE).expect("the child's state location");
    let location = StateLocation::parse(&location).expect("the child's state location");
    let state = State::open_location(&location, true).expect("the child opens the state");
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

/// Writes a team key file (mode 0600).
pub fn write_key(path: &Path, hex: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .expect("write the team key");
    writeln!(file, "{hex}").expect("write the team key");
}
