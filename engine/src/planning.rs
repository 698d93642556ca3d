//! The plan phase: expand the IR into instances, order them into waves,
//! connect the hosts, ask the providers for probes, run one probe batch per
//! host, and let the providers plan each instance, wave by wave (a notified
//! handler needs its notifiers' actions); new files whose directory is
//! missing are warned about (`crate::parents`); orphans in state are listed.
use std::collections::BTreeSet;

use froyo_ir::Ir;
use froyo_provider_api::{
    Action, PlanRequest, PlanResponse, Probe, ProbeOutcome, ProbeRequest, ProbeResult,
};
use froyo_state::State;

use crate::engine::*;
use crate::graph::{Graph, Node};
use crate::instance::{self, Key};
use crate::parents;
use crate::plan::{Orphan, Plan, PlannedInstance};
use crate::report::Phase;

impl Engine {
    /// Plans `ir` against the hosts and `state`.
    pub fn plan(&mut self, ir: &Ir, state: &State) -> Result<Plan, Error> {
        let span = tracing::info_span!(
            "plan",
            ir_hash = %ir.hash,
            instances = tracing::field::Empty,
            changes = tracing::field::Empty,
        );
        let _entered = span.enter();
        let kind = self.kind;
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
                warnings: Vec::new(),
                error,
                policy: Vec::new(),
            });
        }
        // From here on, what hosts and providers say is scrubbed of these.
        self.secrets.learn(&instances, &ir.hosts);
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
        let started = std::time::Instant::now();
        self.connect(&used_hosts, &ir.hosts);
        self.phase_took(kind, "connect", started);
        for instance in &mut instances {
            if instance.error.is_none()
                && let Some(Err(error)) = self.connections.get(&instance.key.host)
            {
                instance.error = Some(error.short());
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
        let probe_span = tracing::info_span!("probe", instances = probe_requests.len());
        let probe_entered = probe_span.enter();
        let started = std::time::Instant::now();
        let providers = self.providers.clone();
        let probe_lists = self.parallel(probe_requests, move |(index, type_name, request)| {
            (index, providers.probe(&type_name, &request))
        });
        for (index, result) in probe_lists {
            match result {
                Ok(response) => instances[index].probes = response.probes,
                Err(error) => instances[index].error = Some(error),
            }
        }

        // One probe batch per host, with the parent directories of files
        // (numbered after the instances, kept apart from their probes).
        let mut probing =
            wanted(&instances, |instance| instance.error.is_none() && !instance.probes.is_empty());
        let parent_probes = parents::probes(&instances);
        reporter.begin(Phase::Probe, probing.len());
        // A parent's probe travels as its file's (same host; a stat without
        // content, which every provider may ask for).
        probing.extend(parent_probes.iter().enumerate().map(|(number, (instance, _, probe))| {
            Wanted {
                index: instances.len() + number,
                instance: &instances[*instance],
                probes: vec![probe.clone()],
            }
        }));
        let outcomes = self.run_probes(probing);
        reporter.end(Phase::Probe);
        self.phase_took(kind, "probe", started);
        drop(probe_entered);
        let mut probe_results: Vec<Vec<ProbeOutcome>> = vec![Vec::new(); instances.len()];
        let mut missing_parents = Vec::new();
        for (index, result) in outcomes {
            if let Some((instance, _, Probe::Stat { path, .. })) =
                index.checked_sub(instances.len()).and_then(|number| parent_probes.get(number))
            {
                if let Ok([ProbeOutcome::Ok(ProbeResult::Stat(stat))]) = result.as_deref()
                    && !stat.exists
                {
                    missing_parents.push((*instance, path.clone()));
                }
                continue;
            }
            match result {
                Ok(outcomes) => probe_results[index] = outcomes,
                Err(error) => instances[index].error = Some(error),
            }
        }

        // Provider plans, wave by wave: a notified instance needs its notifiers' actions.
        let plan_span = tracing::info_span!("provider_plans", instances = instances.len());
        let plan_entered = plan_span.enter();
        let started = std::time::Instant::now();
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
                    (index, instance.address.clone(), instance.key.host.clone()),
                    (instance.resource_type.clone(), instance.sensitive.clone()),
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
            let planned = self.parallel(
                requests,
                move |(
                    (index, address, host),
                    (type_name, sensitive),
                    notified_by,
                    mut request,
                )| {
                    let span = tracing::debug_span!(
                        "provider.plan",
                        host = %host,
                        address = %address,
                        resource_type = %type_name,
                        action = tracing::field::Empty,
                    );
                    let _entered = span.enter();
                    request.notified = !notified_by.is_empty();
                    let observed_hash = observed_hash(&request.probes);
                    let response = providers.plan(&type_name, &request, &sensitive);
                    if !span.is_disabled() {
                        let action = match &response {
                            Ok(response) => format!("{:?}", response.action).to_lowercase(),
                            Err(_) => "error".to_string(),
                        };
                        span.record("action", action.as_str());
                    }
                    (index, notified_by, observed_hash, response)
                },
            );
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
        self.phase_took(kind, "plan", started);
        drop(plan_entered);
        parents::warn(&mut instances, &missing_parents);
        let changes = instances.iter().filter(|instance| changes_host(instance.action)).count();
        let errors = instances.iter().filter(|instance| instance.error.is_some()).count();
        span.record("instances", instances.len());
        span.record("changes", changes);
        tracing::info!(instances = instances.len(), changes, errors, "planned");

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
            facts: self.facts(),
            policy: Vec::new(),
        })
    }
}

pub(crate) fn apply_response(instance: &mut PlannedInstance, response: PlanResponse) {
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

pub(crate) fn instance_status(instance: &PlannedInstance) -> String {
    match &instance.error {
        Some(error) => format!("error: {error}"),
        None => format!("{:?}", instance.action).to_lowercase(),
    }
}

/// A random plan id: 16 hex digits from the OS.
pub(crate) fn plan_id() -> String {
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
