//! The apply phase: per dependency wave, skip what waits on a failure, send
//! one operations batch per host, run the apply-time checks (with their
//! retries), re-probe what changed and record it; a saved plan is re-probed
//! first and its stale changes refused, except those an earlier run of the
//! same plan applied, which are reported as already applied.
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use froyo_provider_api::{Action, ProbeOutcome, VerifyRequest};
use froyo_runner_protocol::{ApplyItem, ItemOutcome};
use froyo_state::{InstanceKey, InstanceRecord, RunId, RunKind, RunStatus, State};
use serde_json::{Value as Json, json};

use crate::engine::*;
use crate::instance::Key;
use crate::plan::Plan;
use crate::record::*;
use crate::report::HostSteps;
use crate::report::{ApplyReport, InstanceReport, Outcome, Phase};

/// Where an apply's instance records and events go: the state, for a run
/// applied here; a list, for a unit a worker applies and hands back to the
/// coordinating run, which records it (workers never write state).
pub(crate) trait Recorder {
    fn put_instances(&mut self, run: RunId, records: Vec<InstanceRecord>) -> Result<(), Error>;
    fn event(&mut self, run: RunId, key: Option<InstanceKey>, kind: &str, detail: Json);
}

/// Records straight into the state.
pub(crate) struct StateRecorder<'a>(pub &'a State);

impl Recorder for StateRecorder<'_> {
    fn put_instances(&mut self, run: RunId, records: Vec<InstanceRecord>) -> Result<(), Error> {
        tracing::info_span!("state_write", run = run.0, records = records.len())
            .in_scope(|| self.0.put_instances(run, &records))
            .map_err(state_error)
    }

    fn event(&mut self, run: RunId, key: Option<InstanceKey>, kind: &str, detail: Json) {
        let _ = self.0.event(run, key.as_ref(), kind, &detail);
    }
}

/// How the changes of a plan are checked against their hosts before they
/// are applied.
pub(crate) enum Recheck {
    /// Not at all: the plan was just made.
    None,
    /// A saved plan: each change is re-probed, and applied only if its host
    /// still looks as planned; `earlier_runs` applied this plan before.
    Saved { earlier_runs: Vec<RunId> },
}

impl Engine {
    /// Applies `plan`. With `saved`, the plan came from a file: each change is
    /// re-probed first and applied only if the host still matches what it was
    /// planned against.
    pub fn apply(&mut self, plan: &Plan, state: &State, saved: bool) -> Result<ApplyReport, Error> {
        let started = Instant::now();
        // From here on, what hosts and providers say is scrubbed of these.
        self.secrets.learn(&plan.instances, &plan.hosts);
        // Runs that applied this plan before (asked before this run records it).
        let recheck = if saved {
            Recheck::Saved {
                earlier_runs: state.runs_applying_plan(&plan.id).map_err(state_error)?,
            }
        } else {
            Recheck::None
        };
        let run = state.begin_run(RunKind::Apply, &plan.ir_hash).map_err(state_error)?;
        let span = apply_span(plan, run, saved);
        let _entered = span.enter();
        let phase_started = Instant::now();
        record_plan_event(state, plan, run, saved);
        let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.instances.len()];
        let operations = self.apply_instances(
            plan,
            state,
            &mut StateRecorder(state),
            run,
            &recheck,
            &mut outcomes,
        )?;
        self.phase_took(crate::metrics::RunKind::Apply, "apply", phase_started);
        let outcomes = outcomes.into_iter().map(|o| o.unwrap_or(Outcome::Unchanged)).collect();
        let totals =
            Totals { operations, round_trips: self.round_trips(), host_errors: self.host_errors() };
        self.finish_apply(plan, state, run, outcomes, totals, started, &span)
    }

    /// Applies the instances of `plan` whose outcome is not already in
    /// `outcomes` (a planning error, a connection that failed, what a worker
    /// was told failed elsewhere), wave by wave, recording into `recorder`;
    /// fills in every outcome and returns how many operations ran.
    pub(crate) fn apply_instances(
        &mut self,
        plan: &Plan,
        state: &State,
        recorder: &mut dyn Recorder,
        run: RunId,
        recheck: &Recheck,
        outcomes: &mut [Option<Outcome>],
    ) -> Result<usize, Error> {
        let reporter = self.options.reporter.clone();
        self.connect_hosts_of(plan);

        for (index, instance) in plan.instances.iter().enumerate() {
            if outcomes[index].is_some() {
                continue;
            }
            if let Some(error) = &instance.error {
                outcomes[index] = Some(Outcome::Failed { message: error.clone() });
            } else if let Some(Err(error)) = self.connections.get(&instance.key.host) {
                outcomes[index] = Some(Outcome::Failed { message: error.short() });
            }
        }

        // A saved plan: re-probe the changes and refuse the stale ones.
        if let Recheck::Saved { earlier_runs } = recheck {
            let results = self.probe_changes(plan);
            for (index, result) in results {
                if outcomes[index].is_some() {
                    continue;
                }
                let instance = &plan.instances[index];
                match result {
                    Ok(now) if observed_hash(&now) == instance.observed_hash => {}
                    Ok(now) => {
                        let now = observed_hash(&now);
                        outcomes[index] = Some(stale(state, earlier_runs, instance, &now));
                    }
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
                    let now = observed_hash(&[]);
                    outcomes[index] = Some(stale(state, earlier_runs, instance, &now));
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
        recorder.put_instances(run, unchanged)?;

        announce(&*reporter, &plan.instances);
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
                    let outcome = Outcome::Skipped { because };
                    log_outcome(instance, &outcome);
                    outcomes[index] = Some(outcome);
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
            let _wave = tracing::info_span!("wave", wave, instances = ready.len()).entered();
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
                recorder.event(
                    run,
                    Some(instance_key(&instance.key)),
                    "apply",
                    json!({"address": instance.address, "action": instance.action, "outcome": outcome}),
                );
                log_outcome(instance, &outcome);
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
            recorder.put_instances(run, records)?;
        }
        reporter.end(Phase::Apply);
        Ok(operations)
    }

    /// Connects the hosts `plan` has instances on (those not connected yet).
    pub(crate) fn connect_hosts_of(&mut self, plan: &Plan) {
        let hosts: Vec<froyo_ir::Host> = plan
            .hosts
            .iter()
            .filter(|host| plan.instances.iter().any(|i| i.key.host == host.name))
            .cloned()
            .collect();
        self.connect(&hosts, &plan.hosts);
    }

    /// Probes again, as planned, every change of `plan` (by instance index).
    pub(crate) fn probe_changes(
        &self,
        plan: &Plan,
    ) -> Vec<(usize, Result<Vec<froyo_provider_api::ProbeOutcome>, String>)> {
        self.run_probes(wanted(&plan.instances, |instance| {
            instance.error.is_none() && changes_host(instance.action)
        }))
    }

    /// The end of an apply: orphans leave state, the report is made, logged
    /// and measured, and the run is finished with its summary.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn finish_apply(
        &self,
        plan: &Plan,
        state: &State,
        run: RunId,
        outcomes: Vec<Outcome>,
        totals: Totals,
        started: Instant,
        span: &tracing::Span,
    ) -> Result<ApplyReport, Error> {
        // Orphans leave state; the host is not touched.
        let mut reports: Vec<InstanceReport> = plan
            .instances
            .iter()
            .zip(outcomes)
            .map(|(instance, outcome)| InstanceReport {
                key: instance.key.clone(),
                address: instance.address.clone(),
                outcome,
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
            operations: totals.operations,
            round_trips: totals.round_trips,
            duration_ms: started.elapsed().as_millis() as u64,
            host_errors: totals.host_errors,
        };
        let status = if report.failed() { RunStatus::Failed } else { RunStatus::Succeeded };
        span.record("outcome", if report.failed() { "failed" } else { "succeeded" });
        tracing::info!(
            run = run.0,
            applied = report.count(|o| matches!(o, Outcome::Applied { .. })),
            failed = report.count(|o| matches!(o, Outcome::Failed { .. })),
            skipped = report.count(|o| matches!(o, Outcome::Skipped { .. })),
            unchanged = report.count(|o| matches!(o, Outcome::Unchanged)),
            operations = report.operations,
            unreachable = report.host_errors.len(),
            duration_ms = report.duration_ms,
            "applied"
        );
        if let Some(metrics) = &self.metrics {
            let actions: Vec<Action> =
                plan.instances.iter().map(|instance| instance.action).collect();
            metrics.record_apply(&report, &actions);
        }
        let _write = tracing::info_span!("state_write", run = run.0, records = 0).entered();
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

    /// One operations batch per host for `ready` instances (of one wave).
    /// Returns, per instance, its operation count and how many ran, or why it failed.
    pub(crate) fn run_operations(
        &self,
        plan: &Plan,
        ready: &[usize],
    ) -> Vec<(usize, OperationsResult)> {
        let mut by_host: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut out = Vec::new();
        let reporter = self.options.reporter.clone();
        for &index in ready {
            let instance = &plan.instances[index];
            if instance.ops.is_empty() {
                if instance.checks.is_empty() {
                    out.push((index, Ok((0, 0))));
                }
                continue;
            }
            // Nothing outside the provider's capabilities is sent, whatever produced it.
            if let Err(error) = self.permitted(instance, &[], &instance.ops) {
                reporter.step(
                    Phase::Apply,
                    &instance.key,
                    &instance.address,
                    &format!("failed: {error}"),
                    true,
                );
                out.push((index, Err(error)));
                continue;
            }
            by_host.entry(instance.key.host.clone()).or_default().push(index);
        }
        let parallelism = self.options.parallelism as u32;
        let mut jobs = Vec::new();
        for (host, indexes) in by_host {
            let addresses: BTreeMap<u64, (Key, String)> = indexes
                .iter()
                .map(|&index| {
                    let instance = &plan.instances[index];
                    (index as u64, (instance.key.clone(), instance.address.clone()))
                })
                .collect();
            match self.session(&host) {
                Ok(session) => {
                    let items: Vec<ApplyItem> = indexes
                        .iter()
                        .map(|&index| ApplyItem {
                            id: index as u64,
                            ops: plan.instances[index].ops.clone(),
                        })
                        .collect();
                    jobs.push(Ok((host, session, items, addresses)));
                }
                Err(error) => jobs.push(Err((addresses, error))),
            }
        }
        let lost = self.lost.clone();
        let results = self.on_blocking_pool(jobs, move |job| match job {
            Err((addresses, error)) => {
                report_failed(&*reporter, &addresses, &BTreeSet::new(), &error);
                addresses
                    .into_keys()
                    .map(|id| (id as usize, Err(error.clone())))
                    .collect::<Vec<_>>()
            }
            Ok((host, session, items, addresses)) => {
                let span = tracing::info_span!(
                    "operations_batch",
                    host = %host,
                    items = items.len(),
                    outcome = tracing::field::Empty,
                );
                let _entered = span.enter();
                let ids: Vec<u64> = items.iter().map(|item| item.id).collect();
                let mut reported = BTreeSet::new();
                let mut on_item = |id: u64, outcome: &ItemOutcome| {
                    reported.insert(id);
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
                        .map_err(|error| lose(&lost, &host, format!("applying failed: {error}"))),
                    Err(_) => Err(format!("the session to `{host}` is unusable")),
                };
                span.record("outcome", if answer.is_ok() { "ok" } else { "lost" });
                match answer {
                    Err(error) => {
                        report_failed(&*reporter, &addresses, &reported, &error);
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
    pub(crate) fn run_checks(
        &self,
        plan: &Plan,
        indexes: &[usize],
    ) -> Vec<(usize, Result<(), String>)> {
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
                    Wanted {
                        index: position,
                        instance,
                        probes: vec![instance.checks[check].probe.clone()],
                    }
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
}

/// Begins the reporter's apply phase with what each host has to do.
pub(crate) fn announce<'a>(
    reporter: &dyn crate::report::Reporter,
    instances: impl IntoIterator<Item = &'a crate::plan::PlannedInstance>,
) {
    let mut per_host: BTreeMap<String, HostSteps> = BTreeMap::new();
    for instance in instances {
        if instance.error.is_none() && instance.action != Action::None {
            let steps = per_host.entry(instance.key.host.clone()).or_default();
            if instance.action == Action::Check {
                steps.checks += 1;
            } else {
                steps.changes += 1;
            }
        }
    }
    reporter.begin(Phase::Apply, per_host.values().map(HostSteps::total).sum());
    reporter.hosts(Phase::Apply, &per_host);
}

/// What an apply did besides its outcomes, for its report.
pub(crate) struct Totals {
    pub operations: usize,
    pub round_trips: u64,
    pub host_errors: Vec<crate::HostError>,
}

/// The span of an apply run.
pub(crate) fn apply_span(plan: &Plan, run: RunId, saved: bool) -> tracing::Span {
    tracing::info_span!(
        "apply",
        run = run.0,
        plan = %plan.id,
        saved,
        instances = plan.instances.len(),
        outcome = tracing::field::Empty,
    )
}

/// The run's first event: what it applies.
pub(crate) fn record_plan_event(state: &State, plan: &Plan, run: RunId, saved: bool) {
    let _ = state.event(
        run,
        None,
        "plan",
        &json!({"plan": plan.id, "ir_hash": plan.ir_hash, "saved": saved, "summary": plan.summary()}),
    );
}

/// The outcome of a saved plan's change whose host no longer looks as
/// planned: already applied, when an earlier run of this plan applied it and
/// the host is still as that run left it (`now` is the hash of what probing
/// finds); else stale.
fn stale(
    state: &State,
    earlier_runs: &[RunId],
    instance: &crate::plan::PlannedInstance,
    now: &str,
) -> Outcome {
    let record = match state.instance(&instance_key(&instance.key)) {
        Ok(Some(record)) => record,
        _ => return Outcome::Stale,
    };
    match record.last_run {
        Some(run)
            if earlier_runs.contains(&run)
                && record.desired_hash == instance.desired_hash
                && record.observed_hash == now =>
        {
            Outcome::AlreadyApplied { run: run.0 }
        }
        _ => Outcome::Stale,
    }
}

/// Logs what became of an instance: changes at info, failures at warn,
/// the rest at debug. Only names and outcomes, never property values
/// (failure messages were scrubbed as they entered the engine).
fn log_outcome(instance: &crate::plan::PlannedInstance, outcome: &Outcome) {
    let action = instance.action;
    let (host, address) = (&instance.key.host, &instance.address);
    let resource_type = &instance.resource_type;
    match outcome {
        Outcome::Failed { message } => tracing::warn!(
            %host, %address, %resource_type, ?action, outcome = "failed", error = %message,
            "instance failed"
        ),
        Outcome::Skipped { because } => tracing::warn!(
            %host, %address, %resource_type, ?action, outcome = "skipped", %because,
            "instance skipped"
        ),
        Outcome::Stale => tracing::warn!(
            %host, %address, %resource_type, ?action, outcome = "stale",
            "instance refused: the host changed since the plan was made"
        ),
        Outcome::Applied { operations, ran } => tracing::info!(
            %host, %address, %resource_type, ?action, outcome = "applied", operations, ran,
            "instance applied"
        ),
        _ => tracing::debug!(
            %host, %address, %resource_type, ?action, outcome = %outcome_message(outcome),
            "instance"
        ),
    }
}

pub(crate) fn outcome_message(outcome: &Outcome) -> String {
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
        Outcome::AlreadyApplied { run } => format!("already applied by this plan in run {run}"),
        Outcome::Forgotten => "forgotten".to_string(),
    }
}

/// Reports as failed, with `error`, every instance of a host's batch that
/// has not been reported yet: each is reported once, as its outcome streams
/// in or with the error that ended the batch.
fn report_failed(
    reporter: &dyn crate::report::Reporter,
    addresses: &BTreeMap<u64, (Key, String)>,
    reported: &BTreeSet<u64>,
    error: &str,
) {
    for (id, (key, address)) in addresses {
        if !reported.contains(id) {
            reporter.step(Phase::Apply, key, address, &format!("failed: {error}"), true);
        }
    }
}
