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

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use froyo_ir::{Ir, Transport};
use froyo_provider_api::{
    Action, Facts, PlanRequest, PlanResponse, Probe, ProbeOutcome, ProbeRequest, VerifyRequest,
};
use froyo_providers::Host as Providers;
use froyo_runner_client::Session;
use froyo_runner_protocol::{ApplyItem, ItemOutcome, ProbeItem};
use froyo_state::{InstanceKey, InstanceRecord, RunKind, RunStatus, State};
use serde_json::{Map, Value as Json, json};

use crate::canonical;
use crate::graph::{Graph, Node};
use crate::instance::{self, Key};
use crate::plan::{Orphan, Plan, PlannedInstance};
use crate::report::{
    ApplyReport, Difference, DriftItem, DriftReport, InstanceReport, Outcome, Phase, Reporter,
};

/// How the engine runs.
#[derive(Clone)]
pub struct Options {
    /// The directory `source` paths are relative to.
    pub workspace_root: PathBuf,
    /// Items a runner applies at once, and provider calls in flight.
    pub parallelism: usize,
    pub reporter: Arc<dyn Reporter>,
}

/// A failure of the whole run (per-instance failures are in the reports).
#[derive(Debug)]
pub enum Error {
    State(String),
    Graph(String),
    Runtime(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::State(message) => write!(f, "state: {message}"),
            Error::Graph(message) => write!(f, "{message}"),
            Error::Runtime(message) => write!(f, "{message}"),
        }
    }
}

impl std::error::Error for Error {}

fn state_error(error: impl std::fmt::Display) -> Error {
    Error::State(error.to_string())
}

/// How many operations an instance had and how many ran, or why it failed.
type OperationsResult = Result<(usize, usize), String>;

/// What an instance looks like on its host (none: absent) and the hash of its
/// probe results, or why it could not be probed.
type Observation = Result<(Option<Map<String, Json>>, String), String>;

/// An instance (by index), its host, and the probes to run for it.
type Wanted = (usize, String, Vec<Probe>);

/// A host's probe batch (its session, the unique probes, and which of them
/// each instance asked for), or the instances it fails with why.
type ProbeJob = Result<
    (String, Arc<Mutex<Session>>, Vec<ProbeItem>, Vec<(usize, Vec<u64>)>),
    (Vec<usize>, String),
>;

/// One open runner session per host, or why the host cannot be reached.
type Connection = Result<Arc<Mutex<Session>>, String>;

pub struct Engine {
    providers: Arc<Providers>,
    options: Options,
    runtime: tokio::runtime::Runtime,
    connections: BTreeMap<String, Connection>,
}

impl Engine {
    pub fn new(providers: Arc<Providers>, options: Options) -> Result<Engine, Error> {
        let threads = options.parallelism.clamp(1, 64);
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .max_blocking_threads(threads + 8)
            .thread_name("froyo-engine")
            .enable_time()
            .build()
            .map_err(|error| Error::Runtime(format!("cannot start the scheduler: {error}")))?;
        Ok(Engine {
            providers,
            options: Options { parallelism: threads, ..options },
            runtime,
            connections: BTreeMap::new(),
        })
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
                let _ = session.close();
            }
        }
    }

    /// Opens sessions to `hosts` not yet connected, concurrently.
    fn connect(&mut self, hosts: &[froyo_ir::Host]) {
        let pending: Vec<froyo_ir::Host> = hosts
            .iter()
            .filter(|host| !self.connections.contains_key(&host.name))
            .cloned()
            .collect();
        if pending.is_empty() {
            return;
        }
        let reporter = self.options.reporter.clone();
        reporter.begin(Phase::Connect, pending.len());
        let results = self.on_blocking_pool(pending, |host| {
            let connection = match host.transport {
                Transport::Local => start_local(host.become_root)
                    .map(|session| Arc::new(Mutex::new(session)))
                    .map_err(|error| {
                        format!("cannot start the runner for host `{}`: {error}", host.name)
                    }),
                Transport::Ssh => Err(format!(
                    "host `{}`: the ssh transport is not implemented yet; only hosts with `transport: \"local\"` can be planned and applied",
                    host.name
                )),
            };
            (host.name, connection)
        });
        for (name, connection) in results {
            let key = Key { host: name.clone(), resource: String::new() };
            let message = match &connection {
                Ok(_) => "connected".to_string(),
                Err(error) => error.clone(),
            };
            reporter.step(Phase::Connect, &key, &name, &message, connection.is_err());
            self.connections.insert(name, connection);
        }
        reporter.end(Phase::Connect);
    }

    /// The open session to `host`, or why there is none.
    fn session(&self, host: &str) -> Result<Arc<Mutex<Session>>, String> {
        match self.connections.get(host) {
            Some(Ok(session)) => Ok(session.clone()),
            Some(Err(error)) => Err(error.clone()),
            None => Err(format!("host `{host}` is not connected")),
        }
    }

    /// The facts of every connected host, read once per run rather than
    /// once per instance.
    fn facts(&self) -> BTreeMap<String, Facts> {
        self.connections
            .iter()
            .filter_map(|(host, connection)| {
                let session = connection.as_ref().ok()?.lock().ok()?;
                Some((host.clone(), session.hello().facts.clone()))
            })
            .collect()
    }

    /// Plans `ir` against the hosts and `state`.
    pub fn plan(&mut self, ir: &Ir, state: &State) -> Result<Plan, Error> {
        let expanded = instance::expand(ir, &self.options.workspace_root);
        let mut instances: Vec<PlannedInstance> = Vec::with_capacity(expanded.len());
        let mut edges = Vec::with_capacity(expanded.len());
        for (instance, error) in expanded {
            let address = instance.address();
            edges.push((instance.require, instance.notify));
            instances.push(PlannedInstance {
                address,
                key: instance.key,
                resource_type: instance.resource_type,
                properties: instance.properties,
                sensitive: instance.sensitive,
                desired_hash: instance.desired_hash,
                after: Vec::new(),
                notified_by: Vec::new(),
                wave: 0,
                probes: Vec::new(),
                observed_hash: String::new(),
                observed: None,
                action: Action::None,
                changes: Vec::new(),
                ops: Vec::new(),
                checks: Vec::new(),
                notes: Vec::new(),
                error,
            });
        }
        let graph = Graph::new(
            instances
                .iter()
                .zip(edges)
                .map(|(instance, (require, notify))| Node {
                    key: instance.key.clone(),
                    address: instance.address.clone(),
                    require,
                    notify,
                })
                .collect(),
        )
        .map_err(Error::Graph)?;
        for (index, instance) in instances.iter_mut().enumerate() {
            instance.after = graph.before(index);
            instance.wave = graph.wave(index);
        }

        let used_hosts: Vec<froyo_ir::Host> = ir
            .hosts
            .iter()
            .filter(|host| instances.iter().any(|instance| instance.key.host == host.name))
            .cloned()
            .collect();
        self.connect(&used_hosts);
        for instance in &mut instances {
            if instance.error.is_none()
                && let Some(Err(error)) = self.connections.get(&instance.key.host)
            {
                instance.error = Some(error.clone());
            }
        }
        let facts = self.facts();

        // Which probes each instance needs.
        let reporter = self.options.reporter.clone();
        let probe_requests: Vec<(usize, String, ProbeRequest)> = instances
            .iter()
            .enumerate()
            .filter(|(_, instance)| instance.error.is_none())
            .filter_map(|(index, instance)| {
                let facts = facts.get(&instance.key.host)?.clone();
                Some((
                    index,
                    instance.resource_type.clone(),
                    ProbeRequest { properties: instance.properties.clone(), facts },
                ))
            })
            .collect();
        let providers = self.providers.clone();
        let probe_lists = self.parallel(probe_requests, move |(index, type_name, request)| {
            (index, providers.probe(&type_name, &request).map_err(|e| e.to_string()))
        });
        for (index, result) in probe_lists {
            match result {
                Ok(response) => instances[index].probes = response.probes,
                Err(error) => instances[index].error = Some(error),
            }
        }

        // One probe batch per host.
        let probing =
            wanted(&instances, |instance| instance.error.is_none() && !instance.probes.is_empty());
        reporter.begin(Phase::Probe, probing.len());
        let outcomes = self.run_probes(probing);
        reporter.end(Phase::Probe);
        let mut probe_results: Vec<Vec<ProbeOutcome>> = vec![Vec::new(); instances.len()];
        for (index, result) in outcomes {
            match result {
                Ok(outcomes) => probe_results[index] = outcomes,
                Err(error) => instances[index].error = Some(error),
            }
        }

        // Provider plans, wave by wave: a notified instance needs its notifiers' actions.
        reporter.begin(Phase::Plan, instances.len());
        for wave in 0..graph.wave_count().max(1) {
            let mut requests = Vec::new();
            for (index, instance) in instances.iter().enumerate() {
                if instance.wave != wave || instance.error.is_some() {
                    continue;
                }
                let notified_by: Vec<usize> = graph
                    .notifiers(index)
                    .into_iter()
                    .filter(|&notifier| {
                        instances[notifier].error.is_none()
                            && changes_host(instances[notifier].action)
                    })
                    .collect();
                let Some(facts) = facts.get(&instance.key.host).cloned() else {
                    continue;
                };
                requests.push((
                    index,
                    instance.resource_type.clone(),
                    notified_by,
                    PlanRequest {
                        properties: instance.properties.clone(),
                        facts,
                        probes: std::mem::take(&mut probe_results[index]),
                        notified: false,
                    },
                ));
            }
            let providers = self.providers.clone();
            let planned =
                self.parallel(requests, move |(index, type_name, notified_by, mut request)| {
                    request.notified = !notified_by.is_empty();
                    let observed_hash = observed_hash(&request.probes);
                    let response = providers.plan(&type_name, &request).map_err(|e| e.to_string());
                    (index, notified_by, observed_hash, response)
                });
            for (index, notified_by, observed_hash, response) in planned {
                let instance = &mut instances[index];
                instance.notified_by = notified_by;
                instance.observed_hash = observed_hash;
                match response {
                    Ok(response) => apply_response(instance, response),
                    Err(error) => instance.error = Some(error),
                }
                let message = instance_status(instance);
                let failed = instance.error.is_some();
                reporter.step(Phase::Plan, &instance.key, &instance.address, &message, failed);
            }
        }
        reporter.end(Phase::Plan);

        // Orphans: recorded, no longer configured.
        let configured: BTreeSet<&Key> = instances.iter().map(|instance| &instance.key).collect();
        let orphans = state
            .instances()
            .map_err(state_error)?
            .into_iter()
            .filter_map(|record| {
                let key =
                    Key { host: record.key.host.clone(), resource: record.key.resource.clone() };
                (!configured.contains(&key))
                    .then_some(Orphan { key, resource_type: record.resource_type })
            })
            .collect();
        Ok(Plan {
            format: crate::plan::FORMAT.to_string(),
            version: crate::plan::VERSION,
            id: plan_id(),
            created_at: froyo_state::now_rfc3339(),
            ir_hash: ir.hash.clone(),
            state_serial: state.serial().map_err(state_error)?,
            hosts: ir.hosts.clone(),
            instances,
            orphans,
        })
    }

    /// Applies `plan`. With `saved`, the plan came from a file: each change is
    /// re-probed first and applied only if the host still matches what it was
    /// planned against.
    pub fn apply(&mut self, plan: &Plan, state: &State, saved: bool) -> Result<ApplyReport, Error> {
        let started = Instant::now();
        let reporter = self.options.reporter.clone();
        let run = state.begin_run(RunKind::Apply, &plan.ir_hash).map_err(state_error)?;
        let _ = state.event(
            run,
            None,
            "plan",
            &json!({"plan": plan.id, "ir_hash": plan.ir_hash, "saved": saved, "summary": plan.summary()}),
        );
        let hosts: Vec<froyo_ir::Host> = plan
            .hosts
            .iter()
            .filter(|host| plan.instances.iter().any(|i| i.key.host == host.name))
            .cloned()
            .collect();
        self.connect(&hosts);

        let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.instances.len()];
        for (index, instance) in plan.instances.iter().enumerate() {
            if let Some(error) = &instance.error {
                outcomes[index] = Some(Outcome::Failed { message: error.clone() });
            } else if let Some(Err(error)) = self.connections.get(&instance.key.host) {
                outcomes[index] = Some(Outcome::Failed { message: error.clone() });
            }
        }

        // A saved plan: re-probe the changes and refuse the stale ones.
        if saved {
            let results = self.run_probes(wanted(&plan.instances, |instance| {
                instance.error.is_none() && changes_host(instance.action)
            }));
            for (index, result) in results {
                if outcomes[index].is_some() {
                    continue;
                }
                match result {
                    Ok(now) if observed_hash(&now) == plan.instances[index].observed_hash => {}
                    Ok(_) => outcomes[index] = Some(Outcome::Stale),
                    Err(error) => outcomes[index] = Some(Outcome::Failed { message: error }),
                }
            }
            for (index, instance) in plan.instances.iter().enumerate() {
                if instance.error.is_none()
                    && changes_host(instance.action)
                    && instance.probes.is_empty()
                    && outcomes[index].is_none()
                    && instance.observed_hash != observed_hash(&[])
                {
                    outcomes[index] = Some(Outcome::Stale);
                }
            }
        }

        // Unchanged instances: record what was observed (cheap, one transaction).
        let unchanged: Vec<InstanceRecord> = plan
            .instances
            .iter()
            .enumerate()
            .filter(|(index, instance)| {
                outcomes[*index].is_none() && instance.action == Action::None
            })
            .map(|(_, instance)| {
                record(state, instance, instance.observed.as_ref(), &instance.observed_hash, run)
            })
            .collect();
        for (index, instance) in plan.instances.iter().enumerate() {
            if outcomes[index].is_none() && instance.action == Action::None {
                outcomes[index] = Some(Outcome::Unchanged);
            }
        }
        state.put_instances(run, &unchanged).map_err(state_error)?;

        let to_apply = plan
            .instances
            .iter()
            .filter(|instance| instance.error.is_none() && instance.action != Action::None)
            .count();
        reporter.begin(Phase::Apply, to_apply);
        let waves = plan.instances.iter().map(|i| i.wave).max().map_or(0, |w| w + 1);
        let mut operations = 0usize;
        for wave in 0..waves {
            // Skip what waits on a failure.
            for index in 0..plan.instances.len() {
                let instance = &plan.instances[index];
                if instance.wave != wave || outcomes[index].is_some() {
                    continue;
                }
                if let Some(&blocker) = instance
                    .after
                    .iter()
                    .find(|&&before| outcomes[before].as_ref().is_some_and(Outcome::is_failure))
                {
                    let because = format!(
                        "{} on {} did not apply",
                        plan.instances[blocker].address, plan.instances[blocker].key.host
                    );
                    outcomes[index] = Some(Outcome::Skipped { because });
                    reporter.step(
                        Phase::Apply,
                        &instance.key,
                        &instance.address,
                        "skipped: a dependency did not apply",
                        true,
                    );
                }
            }
            let ready: Vec<usize> = (0..plan.instances.len())
                .filter(|&index| plan.instances[index].wave == wave && outcomes[index].is_none())
                .collect();
            if ready.is_empty() {
                continue;
            }
            let applied = self.run_operations(plan, &ready);
            for (index, result) in applied {
                let outcome = match result {
                    Ok((ops, ran)) => {
                        operations += ran;
                        Outcome::Applied { operations: ops, ran }
                    }
                    Err(message) => Outcome::Failed { message },
                };
                outcomes[index] = Some(outcome);
            }
            // Apply-time checks (probe.http and the like).
            let checks: Vec<usize> = ready
                .iter()
                .copied()
                .filter(|&index| {
                    !plan.instances[index].checks.is_empty()
                        && !outcomes[index].as_ref().is_some_and(Outcome::is_failure)
                })
                .collect();
            for (index, result) in self.run_checks(plan, &checks) {
                outcomes[index] = Some(match result {
                    Ok(()) if plan.instances[index].ops.is_empty() => Outcome::Checked,
                    Ok(()) => outcomes[index].clone().unwrap_or(Outcome::Checked),
                    Err(message) => Outcome::Failed { message },
                });
            }
            // Record the new state of what changed in this wave.
            let changed: Vec<usize> = ready
                .iter()
                .copied()
                .filter(|&index| matches!(outcomes[index], Some(Outcome::Applied { .. })))
                .collect();
            let after = self.observe(plan, &changed);
            let mut records = Vec::new();
            for index in &ready {
                let instance = &plan.instances[*index];
                let outcome = outcomes[*index].clone().unwrap_or(Outcome::Unchanged);
                let _ = state.event(
                    run,
                    Some(&instance_key(&instance.key)),
                    "apply",
                    &json!({"address": instance.address, "action": instance.action, "outcome": outcome}),
                );
                if instance.ops.is_empty() {
                    // Operations were reported as they streamed in.
                    reporter.step(
                        Phase::Apply,
                        &instance.key,
                        &instance.address,
                        &outcome_message(&outcome),
                        outcome.is_failure(),
                    );
                }
                match (&outcome, after.get(index)) {
                    (Outcome::Applied { .. }, Some(Ok((observed, hash)))) => {
                        records.push(record(state, instance, observed.as_ref(), hash, run));
                    }
                    (Outcome::Checked, _) => {
                        records.push(record(state, instance, None, &instance.observed_hash, run));
                    }
                    _ => {}
                }
            }
            state.put_instances(run, &records).map_err(state_error)?;
        }
        reporter.end(Phase::Apply);

        // Orphans leave state; the host is not touched.
        let mut reports: Vec<InstanceReport> = plan
            .instances
            .iter()
            .zip(outcomes)
            .map(|(instance, outcome)| InstanceReport {
                key: instance.key.clone(),
                address: instance.address.clone(),
                outcome: outcome.unwrap_or(Outcome::Unchanged),
            })
            .collect();
        for orphan in &plan.orphans {
            state.remove_instance(run, &instance_key(&orphan.key)).map_err(state_error)?;
            let _ = state.audit(
                "forget",
                &json!({"host": orphan.key.host, "resource": orphan.key.resource, "type": orphan.resource_type, "run": run.0}),
            );
            reports.push(InstanceReport {
                key: orphan.key.clone(),
                address: format!("{}.{}", orphan.resource_type, orphan.key.resource),
                outcome: Outcome::Forgotten,
            });
        }
        let report = ApplyReport {
            run: run.0,
            instances: reports,
            operations,
            round_trips: self.round_trips(),
            duration_ms: started.elapsed().as_millis() as u64,
        };
        let status = if report.failed() { RunStatus::Failed } else { RunStatus::Succeeded };
        state
            .finish_run(
                run,
                status,
                &json!({
                    "applied": report.count(|o| matches!(o, Outcome::Applied { .. })),
                    "failed": report.count(|o| matches!(o, Outcome::Failed { .. })),
                    "skipped": report.count(|o| matches!(o, Outcome::Skipped { .. })),
                    "stale": report.count(|o| matches!(o, Outcome::Stale)),
                    "unchanged": report.count(|o| matches!(o, Outcome::Unchanged)),
                    "forgotten": report.count(|o| matches!(o, Outcome::Forgotten)),
                    "operations": report.operations,
                    "round_trips": report.round_trips,
                }),
            )
            .map_err(state_error)?;
        Ok(report)
    }

    /// Re-probes every recorded instance of the configuration and compares
    /// what the host has with what state recorded.
    pub fn drift(&mut self, ir: &Ir, state: &State) -> Result<DriftReport, Error> {
        let run = state.begin_run(RunKind::Drift, &ir.hash).map_err(state_error)?;
        let recorded: BTreeMap<Key, InstanceRecord> = state
            .instances()
            .map_err(state_error)?
            .into_iter()
            .map(|record| {
                (
                    Key { host: record.key.host.clone(), resource: record.key.resource.clone() },
                    record,
                )
            })
            .collect();
        let mut plan = self.plan(ir, state)?;
        let mut unrecorded = Vec::new();
        let mut drifted = Vec::new();
        let mut checked = 0;
        for instance in &mut plan.instances {
            let Some(record) = recorded.get(&instance.key) else {
                unrecorded.push(format!("{} on {}", instance.address, instance.key.host));
                continue;
            };
            if instance.checks.iter().len() > 0 && instance.probes.is_empty() {
                continue; // Checks have no state to drift from.
            }
            checked += 1;
            if let Some(error) = &instance.error {
                drifted.push(DriftItem {
                    key: instance.key.clone(),
                    address: instance.address.clone(),
                    differences: Vec::new(),
                    error: Some(error.clone()),
                });
                continue;
            }
            let current = instance
                .observed
                .as_ref()
                .map(|observed| state.protect(observed, &instance.sensitive));
            let differences = differences(record.observed.as_ref(), current.as_ref());
            if !differences.is_empty() {
                drifted.push(DriftItem {
                    key: instance.key.clone(),
                    address: instance.address.clone(),
                    differences: redact_differences(differences, &instance.sensitive),
                    error: None,
                });
            }
        }
        let report = DriftReport {
            run: run.0,
            checked,
            unrecorded,
            drifted,
            round_trips: self.round_trips(),
        };
        for item in &report.drifted {
            let _ = state.event(
                run,
                Some(&instance_key(&item.key)),
                "drift",
                &serde_json::to_value(item).unwrap_or(Json::Null),
            );
        }
        state
            .finish_run(
                run,
                if report.has_errors() { RunStatus::Failed } else { RunStatus::Succeeded },
                &json!({"checked": report.checked, "drifted": report.drifted.len()}),
            )
            .map_err(state_error)?;
        Ok(report)
    }

    /// Runs `f` over `items` on the blocking pool, in at most `parallelism` chunks.
    fn parallel<T, R, F>(&self, items: Vec<T>, f: F) -> Vec<R>
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
    fn on_blocking_pool<J, R>(
        &self,
        jobs: Vec<J>,
        job: impl Fn(J) -> R + Send + Sync + 'static,
    ) -> Vec<R>
    where
        J: Send + 'static,
        R: Send + 'static,
    {
        let job = Arc::new(job);
        self.runtime.block_on(async move {
            let tasks: Vec<_> = jobs
                .into_iter()
                .map(|item| {
                    let job = job.clone();
                    tokio::task::spawn_blocking(move || job(item))
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

    /// One probe batch per host for the instances `select` picks; identical
    /// probes on a host are asked once. Returns each instance's outcomes in
    /// the order of its probes, or why the batch failed.
    fn run_probes(&self, wanted: Vec<Wanted>) -> Vec<(usize, Result<Vec<ProbeOutcome>, String>)> {
        let mut by_host: BTreeMap<String, Vec<(usize, Vec<Probe>)>> = BTreeMap::new();
        for (index, host, probes) in wanted {
            by_host.entry(host).or_default().push((index, probes));
        }
        let mut jobs = Vec::new();
        for (host, indexes) in by_host {
            let session = match self.session(&host) {
                Ok(session) => session,
                Err(error) => {
                    jobs.push(Err((indexes.into_iter().map(|(i, _)| i).collect(), error)));
                    continue;
                }
            };
            let mut unique: BTreeMap<Probe, u64> = BTreeMap::new();
            let mut wanted: Vec<(usize, Vec<u64>)> = Vec::new();
            for (index, probes) in indexes {
                let ids = probes
                    .iter()
                    .map(|probe| {
                        let next = unique.len() as u64;
                        *unique.entry(probe.clone()).or_insert(next)
                    })
                    .collect();
                wanted.push((index, ids));
            }
            let items: Vec<ProbeItem> =
                unique.into_iter().map(|(probe, id)| ProbeItem { id, probe }).collect();
            jobs.push(Ok((host, session, items, wanted)));
        }
        let jobs: Vec<ProbeJob> = jobs;
        self.on_blocking_pool(jobs, |job| match job {
            Err((indexes, error)) => {
                indexes.into_iter().map(|index| (index, Err(error.clone()))).collect::<Vec<_>>()
            }
            Ok((host, session, items, wanted)) => {
                let answer = match session.lock() {
                    Ok(mut session) => session
                        .probe(items)
                        .map_err(|error| format!("probing host `{host}` failed: {error}")),
                    Err(_) => Err(format!("the session to `{host}` is unusable")),
                };
                match answer {
                    Err(error) => {
                        wanted.into_iter().map(|(index, _)| (index, Err(error.clone()))).collect()
                    }
                    Ok(answers) => {
                        let by_id: BTreeMap<u64, ItemOutcome> = answers.into_iter().collect();
                        wanted
                            .into_iter()
                            .map(|(index, ids)| {
                                let outcomes = ids
                                    .iter()
                                    .map(|id| match by_id.get(id) {
                                        Some(ItemOutcome::Probed { result }) => {
                                            ProbeOutcome::Ok(result.clone())
                                        }
                                        Some(ItemOutcome::Error { message, .. }) => {
                                            ProbeOutcome::Error(message.clone())
                                        }
                                        _ => ProbeOutcome::Error(
                                            "the runner gave no result for this probe".to_string(),
                                        ),
                                    })
                                    .collect();
                                (index, Ok(outcomes))
                            })
                            .collect()
                    }
                }
            }
        })
        .into_iter()
        .flatten()
        .collect()
    }

    /// One operations batch per host for `ready` instances (of one wave).
    /// Returns, per instance, its operation count and how many ran, or why it failed.
    fn run_operations(&self, plan: &Plan, ready: &[usize]) -> Vec<(usize, OperationsResult)> {
        let mut by_host: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut out = Vec::new();
        for &index in ready {
            let instance = &plan.instances[index];
            if instance.ops.is_empty() {
                if instance.checks.is_empty() {
                    out.push((index, Ok((0, 0))));
                }
                continue;
            }
            by_host.entry(instance.key.host.clone()).or_default().push(index);
        }
        let reporter = self.options.reporter.clone();
        let parallelism = self.options.parallelism as u32;
        let mut jobs = Vec::new();
        for (host, indexes) in by_host {
            match self.session(&host) {
                Ok(session) => {
                    let items: Vec<ApplyItem> = indexes
                        .iter()
                        .map(|&index| ApplyItem {
                            id: index as u64,
                            ops: plan.instances[index].ops.clone(),
                        })
                        .collect();
                    let addresses: BTreeMap<u64, (Key, String)> = indexes
                        .iter()
                        .map(|&index| {
                            let instance = &plan.instances[index];
                            (index as u64, (instance.key.clone(), instance.address.clone()))
                        })
                        .collect();
                    jobs.push(Ok((host, session, items, addresses)));
                }
                Err(error) => jobs.push(Err((indexes, error))),
            }
        }
        let results = self.on_blocking_pool(jobs, move |job| match job {
            Err((indexes, error)) => {
                indexes.into_iter().map(|index| (index, Err(error.clone()))).collect::<Vec<_>>()
            }
            Ok((host, session, items, addresses)) => {
                let ids: Vec<u64> = items.iter().map(|item| item.id).collect();
                let mut on_item = |id: u64, outcome: &ItemOutcome| {
                    if let Some((key, address)) = addresses.get(&id) {
                        let (message, failed) = match outcome {
                            ItemOutcome::Error { message, .. } => {
                                (format!("failed: {message}"), true)
                            }
                            _ => ("applied".to_string(), false),
                        };
                        reporter.step(Phase::Apply, key, address, &message, failed);
                    }
                };
                let answer = match session.lock() {
                    Ok(mut session) => session
                        .apply(parallelism, items, &mut on_item)
                        .map_err(|error| format!("applying on host `{host}` failed: {error}")),
                    Err(_) => Err(format!("the session to `{host}` is unusable")),
                };
                match answer {
                    Err(error) => {
                        ids.into_iter().map(|id| (id as usize, Err(error.clone()))).collect()
                    }
                    Ok(answers) => answers
                        .into_iter()
                        .map(|(id, outcome)| {
                            let result = match outcome {
                                ItemOutcome::Applied { ops } => {
                                    Ok((ops.len(), ops.iter().filter(|op| op.ran).count()))
                                }
                                ItemOutcome::Error { message, .. } => Err(message),
                                ItemOutcome::Probed { .. } => {
                                    Err("the runner answered an operation with a probe result"
                                        .to_string())
                                }
                            };
                            (id as usize, result)
                        })
                        .collect(),
                }
            }
        });
        out.extend(results.into_iter().flatten());
        out
    }

    /// Apply-time checks of `indexes`, with their retries: each attempt is one
    /// probe batch per host for every check still failing.
    fn run_checks(&self, plan: &Plan, indexes: &[usize]) -> Vec<(usize, Result<(), String>)> {
        let mut pending: Vec<(usize, usize, u32)> = Vec::new(); // (instance, check, attempts left)
        for &index in indexes {
            for (check, spec) in plan.instances[index].checks.iter().enumerate() {
                pending.push((index, check, spec.retries));
            }
        }
        let mut failures: BTreeMap<usize, String> = BTreeMap::new();
        while !pending.is_empty() {
            let probes: Vec<Wanted> = pending
                .iter()
                .enumerate()
                .map(|(position, &(index, check, _))| {
                    let instance = &plan.instances[index];
                    (
                        position,
                        instance.key.host.clone(),
                        vec![instance.checks[check].probe.clone()],
                    )
                })
                .collect();
            let results = self.run_probes(probes);
            let mut retry = Vec::new();
            let mut wait = Duration::ZERO;
            for (position, result) in results {
                let (index, check, left) = pending[position];
                let instance = &plan.instances[index];
                let verdict = match result {
                    Err(error) => Err(error),
                    Ok(mut outcomes) => {
                        let outcome = outcomes.pop().unwrap_or(ProbeOutcome::Error(
                            "the runner gave no result for this check".to_string(),
                        ));
                        self.providers
                            .verify(
                                &instance.resource_type,
                                &VerifyRequest {
                                    properties: instance.properties.clone(),
                                    result: outcome,
                                },
                            )
                            .map_err(|error| error.to_string())
                            .and_then(
                                |response| {
                                    if response.ok { Ok(()) } else { Err(response.message) }
                                },
                            )
                    }
                };
                match verdict {
                    Ok(()) => {}
                    Err(message) if left > 0 => {
                        wait = wait.max(Duration::from_millis(instance.checks[check].interval_ms));
                        retry.push((index, check, left - 1));
                        failures.insert(index, message);
                    }
                    Err(message) => {
                        failures.insert(index, format!("check failed: {message}"));
                    }
                }
            }
            for (index, _, _) in &retry {
                failures.remove(index);
            }
            if !retry.is_empty() {
                std::thread::sleep(wait.min(Duration::from_secs(3600)));
            }
            pending = retry;
        }
        indexes
            .iter()
            .filter(|&&index| !plan.instances[index].checks.is_empty())
            .map(|&index| match failures.remove(&index) {
                Some(message) => (index, Err(message)),
                None => (index, Ok(())),
            })
            .collect()
    }

    /// What `indexes` look like on their hosts now: one probe batch per host,
    /// then the providers' reading of the results.
    fn observe(&self, plan: &Plan, indexes: &[usize]) -> BTreeMap<usize, Observation> {
        if indexes.is_empty() {
            return BTreeMap::new();
        }
        let facts = self.facts();
        let results = self.run_probes(
            indexes
                .iter()
                .map(|&index| &plan.instances[index])
                .zip(indexes)
                .filter(|(instance, _)| !instance.probes.is_empty())
                .map(|(instance, &index)| {
                    (index, instance.key.host.clone(), instance.probes.clone())
                })
                .collect(),
        );
        let mut requests = Vec::new();
        let mut out = BTreeMap::new();
        for index in indexes {
            let instance = &plan.instances[*index];
            if instance.probes.is_empty() {
                out.insert(*index, Ok((None, observed_hash(&[]))));
            }
        }
        for (index, result) in results {
            let instance = &plan.instances[index];
            match (result, facts.get(&instance.key.host).cloned()) {
                (Ok(probes), Some(facts)) => requests.push((
                    index,
                    instance.resource_type.clone(),
                    PlanRequest {
                        properties: instance.properties.clone(),
                        facts,
                        probes,
                        notified: false,
                    },
                )),
                (Err(error), _) => {
                    out.insert(index, Err(error));
                }
                (_, None) => {
                    out.insert(index, Err("host not connected".to_string()));
                }
            }
        }
        let providers = self.providers.clone();
        let planned = self.parallel(requests, move |(index, type_name, request)| {
            let hash = observed_hash(&request.probes);
            let response = providers.plan(&type_name, &request).map_err(|e| e.to_string());
            (index, response.map(|response| (response.observed, hash)))
        });
        for (index, result) in planned {
            out.insert(index, result);
        }
        out
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        self.close();
    }
}

/// Starts the runner on this machine; with `become`, as root through
/// `sudo -n` unless froyo already runs as root.
fn start_local(become_root: bool) -> Result<Session, String> {
    let session = Session::start_local().map_err(|error| error.to_string())?;
    if !become_root || session.hello().facts.uid == 0 {
        return Ok(session);
    }
    let _ = session.close();
    let runner = froyo_runner_client::install_runner().map_err(|error| error.to_string())?;
    let mut command = std::process::Command::new("sudo");
    command.arg("-n").arg(runner);
    let session = Session::spawn(command)
        .map_err(|error| format!("`become` needs passwordless sudo (`sudo -n`): {error}"))?;
    if session.hello().facts.uid != 0 {
        return Err(
            "`become` asked for root, but the runner started through sudo is not root".to_string()
        );
    }
    Ok(session)
}

/// The probes of the instances `select` picks.
fn wanted(instances: &[PlannedInstance], select: impl Fn(&PlannedInstance) -> bool) -> Vec<Wanted> {
    instances
        .iter()
        .enumerate()
        .filter(|(_, instance)| select(instance))
        .map(|(index, instance)| (index, instance.key.host.clone(), instance.probes.clone()))
        .collect()
}

/// Whether an action runs operations on the host.
fn changes_host(action: Action) -> bool {
    matches!(action, Action::Create | Action::Update | Action::Delete | Action::Refresh)
}

/// The hash of what probing found: what a saved plan must still match.
fn observed_hash(outcomes: &[ProbeOutcome]) -> String {
    canonical::hash(&serde_json::to_value(outcomes).unwrap_or(Json::Null))
}

fn apply_response(instance: &mut PlannedInstance, response: PlanResponse) {
    instance.observed = response.observed;
    instance.action = response.action;
    instance.changes = response.changes;
    instance.ops = response.ops;
    instance.checks = response.checks;
    instance.notes = response.notes;
    if instance.action == Action::None && !instance.ops.is_empty() {
        instance.action = Action::Update;
    }
}

fn instance_status(instance: &PlannedInstance) -> String {
    match &instance.error {
        Some(error) => format!("error: {error}"),
        None => format!("{:?}", instance.action).to_lowercase(),
    }
}

fn outcome_message(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Unchanged => "unchanged".to_string(),
        Outcome::Applied { operations, ran } if ran == operations => {
            format!("applied ({ran} operation{})", if *ran == 1 { "" } else { "s" })
        }
        Outcome::Applied { operations, ran } => {
            format!("applied ({ran} of {operations} operations ran; guards skipped the rest)")
        }
        Outcome::Checked => "checked".to_string(),
        Outcome::Failed { message } => format!("failed: {message}"),
        Outcome::Skipped { because } => format!("skipped: {because}"),
        Outcome::Stale => "refused: the host changed since the plan was made".to_string(),
        Outcome::Forgotten => "forgotten".to_string(),
    }
}

fn instance_key(key: &Key) -> InstanceKey {
    InstanceKey { host: key.host.clone(), resource: key.resource.clone() }
}

fn record(
    state: &State,
    instance: &PlannedInstance,
    observed: Option<&Map<String, Json>>,
    observed_hash: &str,
    run: froyo_state::RunId,
) -> InstanceRecord {
    InstanceRecord {
        key: instance_key(&instance.key),
        resource_type: instance.resource_type.clone(),
        desired_hash: instance.desired_hash.clone(),
        observed_hash: observed_hash.to_string(),
        observed: observed.map(|observed| state.protect(observed, &instance.sensitive)),
        last_run: Some(run),
        updated_at: froyo_state::now_rfc3339(),
    }
}

/// Property-level differences between a record and what is there now.
fn differences(
    recorded: Option<&Map<String, Json>>,
    current: Option<&Map<String, Json>>,
) -> Vec<Difference> {
    match (recorded, current) {
        (None, None) => Vec::new(),
        (Some(_), None) => vec![Difference {
            property: "(exists)".to_string(),
            recorded: Some(Json::Bool(true)),
            current: Some(Json::Bool(false)),
        }],
        (None, Some(_)) => vec![Difference {
            property: "(exists)".to_string(),
            recorded: Some(Json::Bool(false)),
            current: Some(Json::Bool(true)),
        }],
        (Some(recorded), Some(current)) => {
            let names: BTreeSet<&String> = recorded.keys().chain(current.keys()).collect();
            names
                .into_iter()
                .filter_map(|name| {
                    let before = recorded.get(name);
                    let after = current.get(name);
                    (before != after).then(|| Difference {
                        property: name.clone(),
                        recorded: before.cloned(),
                        current: after.cloned(),
                    })
                })
                .collect()
        }
    }
}

/// Keyed hashes are not secrets, but they say nothing to a reader either.
fn redact_differences(differences: Vec<Difference>, sensitive: &[String]) -> Vec<Difference> {
    differences
        .into_iter()
        .map(|mut difference| {
            if sensitive.contains(&difference.property) {
                difference.recorded = difference.recorded.as_ref().map(crate::plan::redact_value);
                difference.current = difference.current.as_ref().map(crate::plan::redact_value);
            }
            difference
        })
        .collect()
}

/// A random plan id: 16 hex digits from the OS.
fn plan_id() -> String {
    let mut bytes = [0u8; 8];
    if let Ok(mut file) = std::fs::File::open("/dev/urandom") {
        use std::io::Read as _;
        let _ = file.read_exact(&mut bytes);
    }
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let value = u64::from_le_bytes(bytes) ^ nanos;
    format!("{value:016x}")
}
