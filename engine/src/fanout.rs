//! Fan-out: one run applied by workers on other machines (`froyo apply
//! --workers`, `froyo worker`), through the work queue of a PostgreSQL state.
//!
//! The coordinator plans, judges policies and confirms as a local apply
//! does, and holds the workspace lock throughout. It then splits the plan
//! into *units*: the hosts whose instances wait on each other across hosts
//! (a cycle of hosts, through cross-host `require`) form one unit, every
//! other host is a unit of its own, and a unit depends on the units its
//! instances wait for, so cross-host `require` still orders the work. A
//! unit with nothing to change is recorded by the coordinator itself; the
//! others are published (see `froyo_state::WorkQueue`). A worker leases a
//! unit whose dependencies are done, applies its sub-plan exactly as a
//! local apply would (what waits on an instance that failed in another
//! unit is skipped), and hands back the outcomes, the instance records and
//! the events, which the coordinator checks against the unit and records
//! in state. The report and the run's summary are the ones of a local run.
//!
//! A unit leased again because its worker was lost is *resumed*: each
//! change is re-probed, applied as planned where the host still looks as
//! planned, and otherwise planned again towards the same desired state, so
//! what the lost worker already did is reported as already applied in this
//! run and what it left half done is finished.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use froyo_provider_api::{Action, PlanRequest};
use froyo_state::{InstanceKey, InstanceRecord, RunId, RunKind, State, UnitSpec, UnitStatus};
use petgraph::graph::{DiGraph, NodeIndex};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

use crate::apply::{Recheck, Recorder, StateRecorder, Totals, outcome_message};
use crate::engine::*;
use crate::plan::Plan;
use crate::record::{instance_key, record};
use crate::report::{ApplyReport, Outcome, Phase};

/// What a worker is given: the unit's part of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitWork {
    /// The instances of the unit's hosts (their `after` and `notified_by`
    /// refer to this plan's instances); every host of the run, for jump hosts.
    pub plan: Plan,
    /// For each instance of `plan`, its index in the run's plan.
    pub indexes: Vec<usize>,
    /// Instances waiting on an instance of another unit: (instance of
    /// `plan`, index in the run's plan, `address on host` of the one waited for).
    pub external: Vec<(usize, usize, String)>,
    /// Whether the run applies a saved plan (its changes are re-probed, and
    /// refused when stale) and the runs that applied that plan before.
    pub saved: Option<Vec<u64>>,
}

/// What a worker hands back for a unit.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnitResult {
    pub worker: String,
    /// By index in the run's plan.
    pub outcomes: Vec<(usize, Outcome)>,
    pub records: Vec<InstanceRecord>,
    /// (instance, kind, detail), as the run's events.
    pub events: Vec<(Option<InstanceKey>, String, Json)>,
    pub operations: usize,
    pub round_trips: u64,
    pub host_errors: Vec<HostError>,
    /// The unit could not be worked on at all (its payload was unusable): why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl UnitResult {
    /// Nothing done yet, by `worker`.
    fn empty(worker: &str) -> UnitResult {
        UnitResult {
            worker: worker.to_string(),
            outcomes: Vec::new(),
            records: Vec::new(),
            events: Vec::new(),
            operations: 0,
            round_trips: 0,
            host_errors: Vec::new(),
            error: None,
        }
    }
}

/// A plan cut into units: what the coordinator records itself (instances
/// with nothing to do) and what it publishes.
#[derive(Debug)]
pub struct Split {
    pub quiet: Vec<usize>,
    pub units: Vec<(UnitSpec, UnitWork)>,
}

/// Cuts `plan` into units (see the module's documentation). Units are
/// numbered in dependency order, so a unit depends only on lower numbers.
pub fn split(plan: &Plan, saved: Option<&[RunId]>) -> Split {
    let instances = &plan.instances;
    let mut graph: DiGraph<String, ()> = DiGraph::new();
    let mut node_of: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    for instance in instances {
        let host = instance.key.host.as_str();
        if !node_of.contains_key(host) {
            node_of.insert(host, graph.add_node(host.to_string()));
        }
    }
    for instance in instances {
        for &before in &instance.after {
            let Some(before) = instances.get(before) else { continue };
            if before.key.host != instance.key.host {
                let (from, to) =
                    (node_of[before.key.host.as_str()], node_of[instance.key.host.as_str()]);
                graph.update_edge(from, to, ());
            }
        }
    }
    // Tarjan's order is reverse topological: reversed, a component comes
    // after every component it waits for.
    let mut components = petgraph::algo::tarjan_scc(&graph);
    components.reverse();
    let mut component_of: BTreeMap<&str, usize> = BTreeMap::new();
    for (number, component) in components.iter().enumerate() {
        for &node in component {
            component_of.insert(graph[node].as_str(), number);
        }
    }
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); components.len()];
    for (index, instance) in instances.iter().enumerate() {
        members[component_of[instance.key.host.as_str()]].push(index);
    }
    let is_quiet = |indexes: &[usize]| {
        indexes.iter().all(|&index| {
            instances[index].error.is_none() && instances[index].action == Action::None
        })
    };
    // Published components get unit numbers in order; quiet ones none.
    let mut unit_of_component: Vec<Option<u32>> = vec![None; components.len()];
    let mut quiet = Vec::new();
    let mut next = 0u32;
    for (component, indexes) in members.iter().enumerate() {
        if is_quiet(indexes) {
            quiet.extend_from_slice(indexes);
        } else {
            unit_of_component[component] = Some(next);
            next += 1;
        }
    }
    let saved: Option<Vec<u64>> = saved.map(|runs| runs.iter().map(|run| run.0).collect());
    let mut units = Vec::new();
    for (component, indexes) in members.iter().enumerate() {
        let Some(unit) = unit_of_component[component] else { continue };
        let local: BTreeMap<usize, usize> =
            indexes.iter().enumerate().map(|(local, &global)| (global, local)).collect();
        let mut deps = BTreeSet::new();
        let mut external = Vec::new();
        let mut sub = Vec::with_capacity(indexes.len());
        for (position, &global) in indexes.iter().enumerate() {
            let mut instance = instances[global].clone();
            let mut after = Vec::with_capacity(instance.after.len());
            for &before in &instances[global].after {
                if let Some(&mapped) = local.get(&before) {
                    after.push(mapped);
                    continue;
                }
                let Some(waited) = instances.get(before) else { continue };
                // What waits on a quiet unit has nothing to fear from it.
                if let Some(dep) = unit_of_component[component_of[waited.key.host.as_str()]] {
                    deps.insert(dep);
                    external.push((
                        position,
                        before,
                        format!("{} on {}", waited.address, waited.key.host),
                    ));
                }
            }
            instance.after = after;
            instance.notified_by =
                instance.notified_by.iter().filter_map(|index| local.get(index).copied()).collect();
            sub.push(instance);
        }
        let hosts: BTreeSet<String> =
            indexes.iter().map(|&index| instances[index].key.host.clone()).collect();
        let work = UnitWork {
            plan: Plan {
                instances: sub,
                orphans: Vec::new(),
                facts: plan
                    .facts
                    .iter()
                    .filter(|(host, _)| hosts.contains(*host))
                    .map(|(host, facts)| (host.clone(), facts.clone()))
                    .collect(),
                policy: Vec::new(),
                ..plan_header(plan)
            },
            indexes: indexes.clone(),
            external,
            saved: saved.clone(),
        };
        let spec = UnitSpec {
            unit,
            hosts: hosts.into_iter().collect(),
            deps: deps.into_iter().collect(),
            payload: Vec::new(),
        };
        units.push((spec, work));
    }
    Split { quiet, units }
}

/// `plan` without its instances, orphans, facts and findings.
fn plan_header(plan: &Plan) -> Plan {
    Plan {
        format: plan.format.clone(),
        version: plan.version,
        id: plan.id.clone(),
        created_at: plan.created_at.clone(),
        ir_hash: plan.ir_hash.clone(),
        state_serial: plan.state_serial,
        hosts: plan.hosts.clone(),
        instances: Vec::new(),
        orphans: Vec::new(),
        facts: BTreeMap::new(),
        policy: Vec::new(),
    }
}

/// `plan` with only the instances at `indexes` (which must not wait on any
/// other), for the coordinator's own recording of quiet units.
fn only(plan: &Plan, indexes: &[usize]) -> Plan {
    let local: BTreeMap<usize, usize> =
        indexes.iter().enumerate().map(|(local, &global)| (global, local)).collect();
    let instances = indexes
        .iter()
        .map(|&index| {
            let mut instance = plan.instances[index].clone();
            instance.after = instance.after.iter().filter_map(|i| local.get(i).copied()).collect();
            instance.notified_by =
                instance.notified_by.iter().filter_map(|i| local.get(i).copied()).collect();
            instance
        })
        .collect();
    Plan { instances, facts: plan.facts.clone(), ..plan_header(plan) }
}

/// What the coordinator says about its workers as the run goes.
pub type News<'a> = &'a mut dyn FnMut(&str);

/// How long the coordinator waits without any unit moving before it says so.
const QUIET_NOTICE: Duration = Duration::from_secs(15);

impl Engine {
    /// Applies `plan` through workers (see the module's documentation):
    /// publishes its units in `queue`, records what the workers hand back,
    /// and finishes the run with the report a local apply makes. `news`
    /// hears about leases, lost workers and finished units.
    pub fn apply_with_workers(
        &mut self,
        plan: &Plan,
        state: &State,
        saved: bool,
        queue: &mut froyo_state::WorkQueue,
        news: News<'_>,
    ) -> Result<ApplyReport, Error> {
        let started = Instant::now();
        self.secrets.learn(&plan.instances, &plan.hosts);
        let earlier_runs = if saved {
            Some(state.runs_applying_plan(&plan.id).map_err(state_error)?)
        } else {
            None
        };
        let run = state.begin_run(RunKind::Apply, &plan.ir_hash).map_err(state_error)?;
        let span = crate::apply::apply_span(plan, run, saved);
        let _entered = span.enter();
        let phase_started = Instant::now();
        crate::apply::record_plan_event(state, plan, run, saved);
        let split = split(plan, earlier_runs.as_deref());
        let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.instances.len()];

        // Quiet units: recorded here, nothing is sent to their hosts.
        if !split.quiet.is_empty() {
            let quiet = only(plan, &split.quiet);
            let mut quiet_outcomes = vec![None; quiet.instances.len()];
            let recheck = match &earlier_runs {
                Some(earlier_runs) => Recheck::Saved { earlier_runs: earlier_runs.clone() },
                None => Recheck::None,
            };
            let silent = std::mem::replace(
                &mut self.options.reporter,
                std::sync::Arc::new(crate::report::Silent),
            );
            let applied = self.apply_instances(
                &quiet,
                state,
                &mut StateRecorder(state),
                run,
                &recheck,
                &mut quiet_outcomes,
            );
            self.options.reporter = silent;
            applied?;
            for (local, outcome) in quiet_outcomes.into_iter().enumerate() {
                outcomes[split.quiet[local]] = outcome;
            }
        }

        let mut totals = Totals {
            operations: 0,
            round_trips: self.round_trips(),
            host_errors: self.host_errors(),
        };
        // The workers reach the hosts now: the coordinator holds no session
        // while it waits.
        self.close();
        if !split.units.is_empty() {
            let result =
                self.coordinate(plan, state, run, &split, queue, news, &mut outcomes, &mut totals);
            if let Err(error) = result {
                let _ = queue.cancel(run);
                return Err(error);
            }
        }
        self.phase_took(crate::metrics::RunKind::Apply, "apply", phase_started);
        let outcomes = outcomes.into_iter().map(|o| o.unwrap_or(Outcome::Unchanged)).collect();
        self.finish_apply(plan, state, run, outcomes, totals, started, &span)
    }

    /// Publishes `split`'s units and records their results as they come.
    #[allow(clippy::too_many_arguments)]
    fn coordinate(
        &self,
        plan: &Plan,
        state: &State,
        run: RunId,
        split: &Split,
        queue: &mut froyo_state::WorkQueue,
        news: News<'_>,
        outcomes: &mut [Option<Outcome>],
        totals: &mut Totals,
    ) -> Result<(), Error> {
        let reporter = self.options.reporter.clone();
        let mut specs = Vec::with_capacity(split.units.len());
        for (spec, work) in &split.units {
            let payload = serde_json::to_vec(work).map_err(|error| {
                Error::Runtime(format!("a unit of work cannot be written: {error}"))
            })?;
            specs.push(UnitSpec { payload, ..spec.clone() });
        }
        queue.publish(run, &specs).map_err(state_error)?;
        news(&format!(
            "published {} unit{} of work for run {}; waiting for workers (`froyo worker --state …`)",
            specs.len(),
            if specs.len() == 1 { "" } else { "s" },
            run.0
        ));

        crate::apply::announce(
            &*reporter,
            split.units.iter().flat_map(|(_, work)| &work.plan.instances),
        );

        let works: BTreeMap<u32, &UnitWork> =
            split.units.iter().map(|(spec, work)| (spec.unit, work)).collect();
        let mut merged: BTreeSet<u32> = BTreeSet::new();
        let mut seen: BTreeMap<u32, (UnitStatus, Option<String>, u32)> = BTreeMap::new();
        let mut last_move = Instant::now();
        let mut noticed = false;
        while merged.len() < works.len() {
            let views = queue.units(run, &merged).map_err(state_error)?;
            for view in views {
                let Some(work) = works.get(&view.unit) else { continue };
                let now = (view.status, view.worker.clone(), view.attempts);
                if seen.get(&view.unit) != Some(&now) {
                    last_move = Instant::now();
                    noticed = false;
                    let hosts = view.hosts.join(", ");
                    let worker = view.worker.as_deref().unwrap_or("?");
                    if view.status == UnitStatus::Cancelled {
                        return Err(Error::Runtime(format!(
                            "the work of run {} was cancelled by another process; the run stops here",
                            run.0
                        )));
                    }
                    // A lease taken since the last look (perhaps already
                    // done): said once, whoever holds it now.
                    let before = seen.get(&view.unit).map_or(0, |(_, _, attempts)| *attempts);
                    if view.attempts > before {
                        if view.attempts > 1 {
                            news(&format!(
                                "{hosts}: leased again by {worker} (attempt {}; the previous worker stopped renewing its lease)",
                                view.attempts
                            ));
                        } else {
                            news(&format!("{hosts}: leased by {worker}"));
                        }
                    }
                    seen.insert(view.unit, now);
                }
                let Some(bytes) = view.result else { continue };
                let result = read_result(&bytes);
                let worker = result.worker.clone();
                let applied = self.merge(plan, state, run, work, result, outcomes, totals)?;
                news(&format!("{}: done by {worker} ({applied})", view.hosts.join(", ")));
                merged.insert(view.unit);
            }
            if merged.len() == works.len() {
                break;
            }
            if !noticed && last_move.elapsed() >= QUIET_NOTICE {
                noticed = true;
                news(&format!(
                    "no unit of run {} has moved for {} s: is a `froyo worker` running against this state?",
                    run.0,
                    QUIET_NOTICE.as_secs()
                ));
            }
            queue.wait(Duration::from_secs(1)).map_err(state_error)?;
        }
        reporter.end(Phase::Apply);
        Ok(())
    }

    /// Records a unit's result: its outcomes (each instance of the unit
    /// exactly once; a missing one failed), records and events of its own
    /// instances only. Returns a summary for the progress line.
    #[allow(clippy::too_many_arguments)]
    fn merge(
        &self,
        plan: &Plan,
        state: &State,
        run: RunId,
        work: &UnitWork,
        result: UnitResult,
        outcomes: &mut [Option<Outcome>],
        totals: &mut Totals,
    ) -> Result<String, Error> {
        let reporter = self.options.reporter.clone();
        let mine: BTreeSet<usize> = work.indexes.iter().copied().collect();
        let keys: BTreeSet<InstanceKey> =
            work.indexes.iter().map(|&index| instance_key(&plan.instances[index].key)).collect();
        let mut got: BTreeMap<usize, Outcome> = BTreeMap::new();
        for (index, outcome) in result.outcomes {
            if mine.contains(&index) && !matches!(outcome, Outcome::Forgotten) {
                got.entry(index).or_insert(outcome);
            }
        }
        let records: Vec<InstanceRecord> =
            result.records.into_iter().filter(|record| keys.contains(&record.key)).collect();
        state.put_instances(run, &records).map_err(state_error)?;
        for (key, kind, detail) in &result.events {
            if key.as_ref().is_none_or(|key| keys.contains(key)) && kind == "apply" {
                let _ = state.event(run, key.as_ref(), kind, detail);
            }
        }
        let (mut applied, mut failed) = (0usize, 0usize);
        for &index in &work.indexes {
            let instance = &plan.instances[index];
            let outcome = got.remove(&index).unwrap_or_else(|| Outcome::Failed {
                message: match &result.error {
                    Some(error) => format!("the worker could not apply it: {error}"),
                    None => "the worker reported nothing for it".to_string(),
                },
            });
            if outcome.is_failure() {
                failed += 1;
            } else if matches!(outcome, Outcome::Applied { .. } | Outcome::AlreadyApplied { .. }) {
                applied += 1;
            }
            if instance.error.is_none() && instance.action != Action::None || outcome.is_failure() {
                reporter.step(
                    Phase::Apply,
                    &instance.key,
                    &instance.address,
                    &outcome_message(&outcome),
                    outcome.is_failure(),
                );
            }
            outcomes[index] = Some(outcome);
        }
        totals.operations += result.operations;
        totals.round_trips += result.round_trips;
        for error in result.host_errors {
            if !totals.host_errors.iter().any(|known| known.host == error.host) {
                totals.host_errors.push(error);
            }
        }
        Ok(format!("{applied} applied, {failed} failed"))
    }

    /// Applies a leased unit (`work`, from [`split`], read with
    /// [`read_unit`]) of `run` as worker `worker`: `blocked` are the
    /// instances (indexes of the run's plan) that failed in the units it
    /// waited for; `attempt` above 1 resumes a lost worker's unit. Returns
    /// the result to hand back and the indexes of the run's plan that
    /// failed here.
    pub fn work(
        &mut self,
        work: UnitWork,
        blocked: &[u64],
        run: RunId,
        attempt: u32,
        worker: &str,
        state: &State,
    ) -> (UnitResult, Vec<u64>) {
        let mut result = UnitResult::empty(worker);
        let UnitWork { mut plan, indexes, external, saved } = work;
        self.secrets.learn(&plan.instances, &plan.hosts);
        let blocked: BTreeSet<u64> = blocked.iter().copied().collect();
        let mut outcomes: Vec<Option<Outcome>> = vec![None; plan.instances.len()];
        for (local, global, who) in &external {
            if outcomes[*local].is_none() && blocked.contains(&(*global as u64)) {
                outcomes[*local] =
                    Some(Outcome::Skipped { because: format!("{who} did not apply") });
            }
        }
        let mut recorder = Collect::default();
        let recheck = if attempt > 1 {
            self.resume(&mut plan, state, &mut recorder, run, &mut outcomes);
            Recheck::None
        } else {
            match saved {
                Some(runs) => {
                    Recheck::Saved { earlier_runs: runs.into_iter().map(RunId).collect() }
                }
                None => Recheck::None,
            }
        };
        match self.apply_instances(&plan, state, &mut recorder, run, &recheck, &mut outcomes) {
            Ok(operations) => result.operations = operations,
            Err(error) => result.error = Some(error.to_string()),
        }
        result.round_trips = self.round_trips();
        result.host_errors = self.host_errors();
        result.records = recorder.records;
        result.events = recorder.events;
        let mut failed = Vec::new();
        for (local, outcome) in outcomes.into_iter().enumerate() {
            let Some(outcome) = outcome else { continue };
            if outcome.is_failure() {
                failed.push(indexes[local] as u64);
            }
            result.outcomes.push((indexes[local], outcome));
        }
        (result, failed)
    }

    /// Re-probes the changes of a unit a lost worker held: a change whose
    /// host still looks as planned is applied as planned; one whose host
    /// moved is planned again towards the same desired state: done already
    /// (the lost worker applied it, in this run), or the rest of it to do.
    fn resume(
        &mut self,
        plan: &mut Plan,
        state: &State,
        recorder: &mut dyn Recorder,
        run: RunId,
        outcomes: &mut [Option<Outcome>],
    ) {
        self.connect_hosts_of(plan);
        let results = self.probe_changes(plan);
        let facts = self.facts();
        let mut done = Vec::new();
        for (index, result) in results {
            if outcomes[index].is_some() {
                continue;
            }
            let now = match result {
                Ok(now) => now,
                Err(message) => {
                    outcomes[index] = Some(Outcome::Failed { message });
                    continue;
                }
            };
            let hash = observed_hash(&now);
            let instance = &mut plan.instances[index];
            if hash == instance.observed_hash {
                continue;
            }
            let Some(facts) = facts.get(&instance.key.host).cloned() else { continue };
            let request = PlanRequest {
                properties: instance.properties.clone(),
                facts,
                probes: now,
                notified: !instance.notified_by.is_empty(),
            };
            match self.providers.plan(&instance.resource_type, &request, &instance.sensitive) {
                Ok(response) if response.action == Action::None && response.ops.is_empty() => {
                    let outcome = Outcome::AlreadyApplied { run: run.0 };
                    done.push(record(state, instance, response.observed.as_ref(), &hash, run));
                    recorder.event(
                        run,
                        Some(instance_key(&instance.key)),
                        "apply",
                        serde_json::json!({"address": instance.address, "action": instance.action, "outcome": outcome, "resumed": true}),
                    );
                    outcomes[index] = Some(outcome);
                }
                Ok(response) => {
                    crate::planning::apply_response(instance, response);
                    instance.observed_hash = hash;
                }
                Err(message) => outcomes[index] = Some(Outcome::Failed { message }),
            }
        }
        if let Err(error) = recorder.put_instances(run, done) {
            tracing::warn!(%error, "resumed records not kept");
        }
    }
}

/// Records and events kept for the coordinator.
#[derive(Default)]
struct Collect {
    records: Vec<InstanceRecord>,
    events: Vec<(Option<InstanceKey>, String, Json)>,
}

impl Recorder for Collect {
    fn put_instances(&mut self, _run: RunId, records: Vec<InstanceRecord>) -> Result<(), Error> {
        self.records.extend(records);
        Ok(())
    }

    fn event(&mut self, _run: RunId, key: Option<InstanceKey>, kind: &str, detail: Json) {
        self.events.push((key, kind.to_string(), detail));
    }
}

/// A leased unit's payload, checked: a unit this froyo cannot read (one
/// published by another version) or whose indexes point outside it is
/// refused, and must not be handed in as done, since what waits on it
/// would then go ahead.
pub fn read_unit(payload: &[u8]) -> Result<UnitWork, String> {
    let work: UnitWork = serde_json::from_slice(payload)
        .map_err(|error| format!("the unit is not one this froyo can read: {error}"))?;
    check_unit(&work)?;
    Ok(work)
}

/// A unit's indexes all point where they should: nothing read from the
/// queue can make the worker index out of bounds.
fn check_unit(work: &UnitWork) -> Result<(), String> {
    let count = work.plan.instances.len();
    if work.indexes.len() != count {
        return Err(format!(
            "the unit lists {} plan indexes for {count} instances",
            work.indexes.len()
        ));
    }
    let inside = |index: &usize| *index < count;
    if let Some(instance) = work
        .plan
        .instances
        .iter()
        .find(|instance| !instance.after.iter().chain(&instance.notified_by).all(inside))
    {
        return Err(format!("{} refers to an instance that is not in the unit", instance.key));
    }
    if work.external.iter().any(|(local, _, _)| !inside(local)) {
        return Err("the unit's cross-unit dependencies refer to an instance not in it".to_string());
    }
    Ok(())
}

/// A unit's result as handed back; an unreadable one fails the unit.
fn read_result(bytes: &[u8]) -> UnitResult {
    serde_json::from_slice(bytes).unwrap_or_else(|error| UnitResult {
        error: Some(format!("its result could not be read: {error}")),
        ..UnitResult::empty("?")
    })
}

/// Whether an instance of `plan` is applied by a worker (for tests).
#[cfg(test)]
fn unit_of(split: &Split, index: usize) -> Option<u32> {
    split.units.iter().find(|(_, work)| work.indexes.contains(&index)).map(|(spec, _)| spec.unit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::instance::Key;
    use crate::plan::PlannedInstance;

    fn instance(host: &str, resource: &str, action: Action, after: Vec<usize>) -> PlannedInstance {
        PlannedInstance {
            key: Key { host: host.to_string(), resource: resource.to_string() },
            resource_type: "linux.file".to_string(),
            address: format!("linux.file.{resource}"),
            properties: Default::default(),
            sensitive: Vec::new(),
            desired_hash: String::new(),
            after,
            notified_by: Vec::new(),
            wave: 0,
            probes: Vec::new(),
            observed_hash: String::new(),
            observed: None,
            action,
            changes: Vec::new(),
            ops: Vec::new(),
            checks: Vec::new(),
            notes: Vec::new(),
            warnings: Vec::new(),
            error: None,
            policy: Vec::new(),
        }
    }

    fn plan(instances: Vec<PlannedInstance>) -> Plan {
        Plan {
            format: crate::plan::FORMAT.to_string(),
            version: crate::plan::VERSION,
            id: "p".to_string(),
            created_at: String::new(),
            ir_hash: String::new(),
            state_serial: 0,
            hosts: Vec::new(),
            instances,
            orphans: Vec::new(),
            facts: BTreeMap::new(),
            policy: Vec::new(),
        }
    }

    #[test]
    fn hosts_become_units_ordered_by_what_they_wait_for() {
        use Action::{Create, None};
        // c waits on a (cross-host); d and e wait on each other's hosts
        // (a cycle of hosts, not of instances); f has nothing to do.
        let plan = plan(vec![
            instance("h1", "a", Create, vec![]),
            instance("h2", "b", Create, vec![]),
            instance("h3", "c", Create, vec![0]),
            instance("h4", "d", Create, vec![]),
            instance("h5", "e", Create, vec![3]),
            instance("h4", "g", Create, vec![4]),
            instance("h6", "f", None, vec![]),
            instance("h6", "q", None, vec![0]),
        ]);
        let split = split(&plan, Option::None);
        assert_eq!(split.quiet, vec![6, 7], "a host with nothing to do stays with the coordinator");
        let h1 = unit_of(&split, 0).unwrap();
        let h3 = unit_of(&split, 2).unwrap();
        assert!(h1 < h3);
        let (spec, work) = &split.units[h3 as usize];
        assert_eq!(spec.deps, vec![h1]);
        assert_eq!(work.external, vec![(0, 0, "linux.file.a on h1".to_string())]);
        assert!(work.plan.instances[0].after.is_empty(), "remote waits leave `after`");
        // h4 and h5 wait on each other: one unit, `after` kept inside it.
        assert_eq!(unit_of(&split, 3), unit_of(&split, 4));
        assert_eq!(unit_of(&split, 3), unit_of(&split, 5));
        let (spec, work) = &split.units[unit_of(&split, 3).unwrap() as usize];
        assert_eq!(spec.hosts, vec!["h4".to_string(), "h5".to_string()]);
        assert!(spec.deps.is_empty());
        assert_eq!(work.indexes, vec![3, 4, 5]);
        assert_eq!(work.plan.instances[1].after, vec![0]);
        assert_eq!(work.plan.instances[2].after, vec![1]);
        // Every instance is somewhere, once.
        let mut all: Vec<usize> = split.quiet.clone();
        for (_, work) in &split.units {
            all.extend(&work.indexes);
            assert!(check_unit(work).is_ok());
        }
        all.sort();
        assert_eq!(all, (0..plan.instances.len()).collect::<Vec<_>>());
        for (spec, _) in &split.units {
            assert!(spec.deps.iter().all(|&dep| dep < spec.unit), "{spec:?}");
        }
    }

    #[test]
    fn a_unit_is_read_back_and_anything_else_refused() {
        let (_, work) =
            split(&plan(vec![instance("h1", "a", Action::Create, vec![])]), None).units.remove(0);
        let payload = serde_json::to_vec(&work).unwrap();
        assert_eq!(read_unit(&payload).unwrap(), work);
        for garbage in [&b""[..], b"{}", b"null", b"{\"plan\": 1}", &payload[..payload.len() / 2]] {
            assert!(read_unit(garbage).is_err(), "{}", String::from_utf8_lossy(garbage));
        }
        let mut outside = work.clone();
        outside.indexes.push(3);
        assert!(read_unit(&serde_json::to_vec(&outside).unwrap()).is_err());
    }

    #[test]
    fn a_unit_with_indexes_out_of_bounds_is_refused() {
        let mut work =
            split(&plan(vec![instance("h1", "a", Action::Create, vec![])]), None).units.remove(0).1;
        work.plan.instances[0].after = vec![5];
        assert!(check_unit(&work).is_err());
        work.plan.instances[0].after = vec![];
        work.external.push((3, 0, "x".into()));
        assert!(check_unit(&work).is_err());
        work.external.clear();
        work.indexes.push(9);
        assert!(check_unit(&work).is_err());
    }
}
