//! The engine: plan, apply and drift over runner sessions, providers and state.
//!
//! Round trips are the speed limit, so each host gets, per run: one handshake,
//! one batch of every probe its instances need (identical probes asked once),
//! then per dependency wave one batch of operations and one batch of
//! re-probes (to record what the host looks like after the change). The
//! number of round trips depends on the depth of the graph, never on the
//! number of resources.
//!
//! Hosts are worked on concurrently (tokio tasks), and provider calls run on
//! tokio's blocking pool in `parallelism` chunks; a runner runs up to
//! `parallelism` items of a batch at once.
//!
//! Failure isolation: an instance whose planning or operations fail skips
//! everything that waits on it (requires and notifies, transitively); the
//! rest of the wave and independent work go on.
//!
//! Boundary: state is only touched from the caller's thread (rusqlite
//! connections are not shared); the caller holds the apply lock.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use froyo_provider_api::{Action, Facts, Probe, ProbeOutcome};
use froyo_runner_protocol::ProbeItem;
use serde_json::{Map, Value as Json};

use crate::canonical;
pub use crate::error::{Error, HostError};
use crate::instance::Key;
use crate::plan::PlannedInstance;
use crate::report::{Phase, Reporter};
use crate::scrub::{Providers, ScrubbedSession, Secrets};
use crate::transport::{RunnerSession, Transport};

/// How the engine runs.
#[derive(Clone)]
pub struct Options {
    /// The directory `source` paths are relative to.
    pub workspace_root: PathBuf,
    /// Items a runner applies at once, and provider calls in flight.
    pub parallelism: usize,
    /// Hosts worked on at once (SSH work waits on the network, not the CPU).
    pub forks: usize,
    pub reporter: Arc<dyn Reporter>,
    /// How hosts are reached.
    pub transport: Arc<dyn Transport>,
    /// The scheduler the engine runs on; none: one of its own (see
    /// [`scheduler`]). A long-running process that makes an engine per run
    /// shares one, so that each run does not start threads anew.
    pub scheduler: Option<Arc<tokio::runtime::Runtime>>,
}

pub(crate) fn state_error(error: impl std::fmt::Display) -> Error {
    Error::State(error.to_string())
}

/// How many operations an instance had and how many ran, or why it failed.
pub(crate) type OperationsResult = Result<(usize, usize), String>;

/// What an instance looks like on its host (none: absent) and the hash of its
/// probe results, or why it could not be probed.
pub(crate) type Observation = Result<(Option<Map<String, Json>>, String), String>;

/// Probes to run for an instance (`index` is what their results are
/// returned under): the instance gives the host and the capabilities the
/// probes must stay within.
pub(crate) struct Wanted<'a> {
    pub index: usize,
    pub instance: &'a PlannedInstance,
    pub probes: Vec<Probe>,
}

/// A host's probe batch (its session, the unique probes, and which of them
/// each instance asked for), or the instances it fails with why.
pub(crate) type ProbeJob =
    Result<(String, Shared, Vec<ProbeItem>, Vec<(usize, Vec<u64>)>), (Vec<usize>, String)>;

/// A runner session, used by one thread at a time.
pub(crate) type Shared = Arc<Mutex<Box<dyn RunnerSession>>>;

/// One open runner session per host, or why the host cannot be reached.
pub(crate) type Connection = Result<Shared, HostError>;

pub struct Engine {
    /// The providers, their answers scrubbed of the run's secrets.
    pub(crate) providers: Providers,
    /// The sensitive values of the run, scrubbed from what hosts and
    /// providers say (every session is a [`ScrubbedSession`]).
    pub(crate) secrets: Arc<Secrets>,
    pub(crate) options: Options,
    pub(crate) runtime: Arc<tokio::runtime::Runtime>,
    pub(crate) connections: BTreeMap<String, Connection>,
    /// Hosts whose session broke during the run, and why.
    pub(crate) lost: Lost,
    /// Where phase durations and run results are recorded, if anywhere.
    pub(crate) metrics: Option<Arc<crate::metrics::Metrics>>,
    /// What the phases being run belong to (`plan` serves apply and drift).
    pub(crate) kind: crate::metrics::RunKind,
}

/// Hosts whose session broke during the run, shared with the batch threads.
pub(crate) type Lost = Arc<Mutex<BTreeMap<String, HostError>>>;

/// Records that the session to `host` broke (`message` says how); returns
/// the message for its instances (the full error is reported once, by host).
pub(crate) fn lose(lost: &Lost, host: &str, message: String) -> String {
    let error = HostError::lost(host, message);
    let short = error.short();
    lost.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .entry(host.to_string())
        .or_insert(error);
    short
}

/// A scheduler for engines with `parallelism` and `forks` (as in
/// [`Options`]): two worker threads, and a blocking thread per host worked
/// on and per item in flight.
pub fn scheduler(parallelism: usize, forks: usize) -> Result<Arc<tokio::runtime::Runtime>, Error> {
    let threads = parallelism.clamp(1, 64);
    let forks = forks.clamp(1, 1024);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(threads.max(forks) + 8)
        .thread_name("froyo-engine")
        .enable_time()
        .build()
        .map(Arc::new)
        .map_err(|error| Error::Runtime(format!("cannot start the scheduler: {error}")))
}

/// The threads engines run on, started once by a process that makes an
/// engine per run (`froyo drift --watch`), so that runs do not each start
/// and end threads of their own: the scheduler and the SSH connections' runtime.
#[derive(Clone)]
pub struct Runtimes {
    scheduler: Arc<tokio::runtime::Runtime>,
    ssh: Arc<tokio::runtime::Runtime>,
}

impl Runtimes {
    /// The runtimes for engines with `parallelism` and `forks`.
    pub fn start(parallelism: usize, forks: usize) -> Result<Runtimes, Error> {
        Ok(Runtimes {
            scheduler: scheduler(parallelism, forks)?,
            ssh: froyo_ssh::runtime().map_err(|error| Error::Runtime(error.to_string()))?,
        })
    }

    /// For [`Options::scheduler`].
    pub fn scheduler(&self) -> Arc<tokio::runtime::Runtime> {
        self.scheduler.clone()
    }

    /// For [`crate::HostsOptions::ssh_runtime`].
    pub fn ssh(&self) -> Arc<tokio::runtime::Runtime> {
        self.ssh.clone()
    }

    /// Tasks alive on the runtimes: none between runs, once every engine
    /// made on them is dropped.
    pub fn alive_tasks(&self) -> usize {
        self.scheduler.metrics().num_alive_tasks() + self.ssh.metrics().num_alive_tasks()
    }

    /// Waits up to `limit` for the tasks of finished runs to end, and says
    /// how many are still alive then. A run's engine is gone when it
    /// returns, but the tasks of a connection it dropped (a host that went
    /// away) may take a moment to wind down; one that is still alive after
    /// `limit` is a leak.
    pub fn settle(&self, limit: std::time::Duration) -> usize {
        let until = std::time::Instant::now() + limit;
        loop {
            let alive = self.alive_tasks();
            if alive == 0 || std::time::Instant::now() >= until {
                return alive;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }
}

impl Engine {
    pub fn new(providers: Arc<froyo_providers::Host>, options: Options) -> Result<Engine, Error> {
        let threads = options.parallelism.clamp(1, 64);
        let forks = options.forks.clamp(1, 1024);
        let runtime = match &options.scheduler {
            Some(runtime) => runtime.clone(),
            None => scheduler(threads, forks)?,
        };
        let secrets = Arc::new(Secrets::default());
        Ok(Engine {
            providers: Providers::new(providers, secrets.clone()),
            secrets,
            options: Options { parallelism: threads, forks, ..options },
            runtime,
            connections: BTreeMap::new(),
            lost: Arc::new(Mutex::new(BTreeMap::new())),
            metrics: None,
            kind: crate::metrics::RunKind::Apply,
        })
    }

    /// Records phase durations and the results of runs in `metrics` from now on.
    pub fn set_metrics(&mut self, metrics: Arc<crate::metrics::Metrics>) {
        self.metrics = Some(metrics);
    }

    /// Records that `phase` of a `kind` run took since `started` (when
    /// metrics are kept).
    pub(crate) fn phase_took(
        &self,
        kind: crate::metrics::RunKind,
        phase: &'static str,
        started: std::time::Instant,
    ) {
        if let Some(metrics) = &self.metrics {
            metrics.observe_phase(kind, phase, started.elapsed());
        }
    }

    /// Batches sent to runners so far (handshakes included).
    pub fn round_trips(&self) -> u64 {
        self.connections
            .values()
            .filter_map(|connection| connection.as_ref().ok())
            .map(|session| session.lock().map_or(0, |session| session.round_trips()))
            .sum()
    }

    /// Closes every session (the runners exit).
    pub fn close(&mut self) {
        for (_, connection) in std::mem::take(&mut self.connections) {
            if let Ok(session) = connection
                && let Ok(mutex) = Arc::try_unwrap(session)
                && let Ok(session) = mutex.into_inner()
            {
                session.close();
            }
        }
    }

    /// Opens sessions to `hosts` not yet connected, concurrently;
    /// `inventory` is every host of the run (jump hosts may be among them).
    pub(crate) fn connect(&mut self, hosts: &[froyo_ir::Host], inventory: &[froyo_ir::Host]) {
        let pending: Vec<froyo_ir::Host> = hosts
            .iter()
            .filter(|host| !self.connections.contains_key(&host.name))
            .cloned()
            .collect();
        if pending.is_empty() {
            return;
        }
        let _span = tracing::info_span!("connect", hosts = pending.len()).entered();
        let reporter = self.options.reporter.clone();
        reporter.begin(Phase::Connect, pending.len());
        let transport = self.options.transport.clone();
        let secrets = self.secrets.clone();
        let inventory: Arc<Vec<froyo_ir::Host>> = Arc::new(inventory.to_vec());
        let mut results = Vec::with_capacity(pending.len());
        // At most `forks` hosts connect at once.
        let mut pending = pending.into_iter().peekable();
        while pending.peek().is_some() {
            let wave: Vec<froyo_ir::Host> = pending.by_ref().take(self.options.forks).collect();
            let transport = transport.clone();
            let reporter = reporter.clone();
            let inventory = inventory.clone();
            let secrets = secrets.clone();
            results.extend(self.on_blocking_pool(wave, move |host| {
                let span = tracing::info_span!(
                    "connect_host",
                    host = %host.name,
                    transport = ?host.transport,
                    outcome = tracing::field::Empty,
                    error.code = tracing::field::Empty,
                );
                let _entered = span.enter();
                // What the host says reaches the engine scrubbed.
                let connection = transport
                    .connect(&host, &inventory)
                    .map(|session| {
                        let session: Box<dyn RunnerSession> =
                            Box::new(ScrubbedSession::new(session, secrets.clone()));
                        Arc::new(Mutex::new(session))
                    })
                    .map_err(|error| secrets.scrub_host_error(error));
                let key = Key { host: host.name.clone(), resource: String::new() };
                let message = match &connection {
                    Ok(_) => {
                        span.record("outcome", "connected");
                        "connected".to_string()
                    }
                    Err(error) => {
                        span.record("outcome", "unreachable");
                        span.record("error.code", error.code.as_str());
                        tracing::warn!(host = %host.name, code = %error.code, error = %error.message, "host not reached");
                        format!("{} {}", error.code, error.message)
                    }
                };
                reporter.step(Phase::Connect, &key, &host.name, &message, connection.is_err());
                (host.name, connection)
            }));
        }
        for (name, connection) in results {
            self.connections.insert(name, connection);
        }
        reporter.end(Phase::Connect);
    }

    /// Why each host that could not be worked on failed: not reached, or
    /// lost during the run. One entry per host.
    pub fn host_errors(&self) -> Vec<HostError> {
        let mut errors: BTreeMap<String, HostError> = self
            .connections
            .iter()
            .filter_map(|(host, connection)| {
                Some((host.clone(), connection.as_ref().err()?.clone()))
            })
            .collect();
        for (host, error) in
            self.lost.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).iter()
        {
            errors.entry(host.clone()).or_insert_with(|| error.clone());
        }
        errors.into_values().collect()
    }

    /// The open session to `host`, or why there is none.
    pub(crate) fn session(&self, host: &str) -> Result<Shared, String> {
        if let Some(error) =
            self.lost.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).get(host)
        {
            return Err(error.short());
        }
        match self.connections.get(host) {
            Some(Ok(session)) => Ok(session.clone()),
            Some(Err(error)) => Err(error.short()),
            None => Err(format!("host `{host}` is not connected")),
        }
    }

    /// The facts of every connected host, read once per run rather than
    /// once per instance.
    pub(crate) fn facts(&self) -> BTreeMap<String, Facts> {
        self.connections
            .iter()
            .filter_map(|(host, connection)| {
                let session = connection.as_ref().ok()?.lock().ok()?;
                Some((host.clone(), session.hello().facts.clone()))
            })
            .collect()
    }

    /// Runs `f` over `items` on the blocking pool, in at most `parallelism` chunks.
    pub(crate) fn parallel<T, R, F>(&self, items: Vec<T>, f: F) -> Vec<R>
    where
        T: Send + 'static,
        R: Send + 'static,
        F: Fn(T) -> R + Send + Sync + 'static,
    {
        if items.is_empty() {
            return Vec::new();
        }
        if items.len() < 8 || self.options.parallelism == 1 {
            return items.into_iter().map(f).collect();
        }
        let chunks = self.options.parallelism.min(items.len());
        let size = items.len().div_ceil(chunks);
        let mut batches: Vec<Vec<T>> = Vec::new();
        let mut iter = items.into_iter();
        loop {
            let batch: Vec<T> = iter.by_ref().take(size).collect();
            if batch.is_empty() {
                break;
            }
            batches.push(batch);
        }
        self.on_blocking_pool(batches, move |batch| batch.into_iter().map(&f).collect::<Vec<R>>())
            .into_iter()
            .flatten()
            .collect()
    }

    /// Runs `job` on each of `jobs` at once on tokio's blocking pool and
    /// returns their results in order (a job that panicked gives none).
    pub(crate) fn on_blocking_pool<J, R>(
        &self,
        jobs: Vec<J>,
        job: impl Fn(J) -> R + Send + Sync + 'static,
    ) -> Vec<R>
    where
        J: Send + 'static,
        R: Send + 'static,
    {
        let job = Arc::new(job);
        // Spans opened by the jobs are children of the caller's.
        let parent = tracing::Span::current();
        self.runtime.block_on(async move {
            let tasks: Vec<_> = jobs
                .into_iter()
                .map(|item| {
                    let job = job.clone();
                    let parent = parent.clone();
                    tokio::task::spawn_blocking(move || parent.in_scope(|| job(item)))
                })
                .collect();
            let mut out = Vec::with_capacity(tasks.len());
            for task in tasks {
                if let Ok(result) = task.await {
                    out.push(result);
                }
            }
            out
        })
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.close();
    }
}

/// The probes of the instances `select` picks.
pub(crate) fn wanted(
    instances: &[PlannedInstance],
    select: impl Fn(&PlannedInstance) -> bool,
) -> Vec<Wanted<'_>> {
    instances
        .iter()
        .enumerate()
        .filter(|(_, instance)| select(instance))
        .map(|(index, instance)| Wanted { index, instance, probes: instance.probes.clone() })
        .collect()
}

impl Engine {
    /// Whether `probes` and `ops` stay within the capabilities `instance`'s
    /// provider declared, for `instance`'s properties: checked right before
    /// anything is sent to a runner, whatever produced it (a provider just
    /// now, or a plan file), so nothing outside them ever reaches a host.
    pub(crate) fn permitted(
        &self,
        instance: &PlannedInstance,
        probes: &[Probe],
        ops: &[froyo_provider_api::Op],
    ) -> Result<(), String> {
        let Some(descriptor) = self.providers.descriptor(&instance.resource_type) else {
            return Err(crate::error::refused(&format!(
                "no provider for resource type {} is loaded, so nothing of it may run",
                instance.resource_type
            )));
        };
        froyo_providers::check_capabilities(descriptor, &instance.properties, probes, ops).map_err(
            |violation| {
                self.secrets.scrub(&crate::error::refused(&violation.to_string())).into_owned()
            },
        )
    }
}

/// Whether an action runs operations on the host.
pub(crate) fn changes_host(action: Action) -> bool {
    matches!(action, Action::Create | Action::Update | Action::Delete | Action::Refresh)
}

/// The hash of what probing found: what a saved plan must still match.
pub(crate) fn observed_hash(outcomes: &[ProbeOutcome]) -> String {
    canonical::hash(&serde_json::to_value(outcomes).unwrap_or(Json::Null))
}
