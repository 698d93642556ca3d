//! The drift phase: re-probe every recorded instance of the configuration and
//! compare it, property by property, with what state recorded (sensitive
//! values through the same keyed hash).
use std::collections::{BTreeMap, BTreeSet};

use froyo_ir::Ir;
use froyo_provider_api::Action;
use froyo_state::{InstanceRecord, RunKind, RunStatus, State};
use serde_json::{Map, Value as Json, json};

use crate::engine::*;
use crate::instance::Key;
use crate::plan::{Plan, PlannedInstance};
use crate::record::*;
use crate::report::{Difference, DriftItem, DriftReport};

/// A drift check: its report, and what remediation needs from it.
pub struct DriftCheck {
    pub report: DriftReport,
    /// The plan the check made (what would bring each instance back).
    plan: Plan,
    /// Instances (indexes into the plan) that drifted while their
    /// configuration stayed as it was applied: what `--remediate` may fix.
    remediable: Vec<usize>,
    /// Drifted instances whose configuration changed since it was applied
    /// (`address on host`): only a reviewed `froyo apply` changes those.
    pub configuration_changed: Vec<String>,
}

impl Engine {
    /// Re-probes every recorded instance of the configuration and compares
    /// what the host has with what state recorded.
    pub fn drift(&mut self, ir: &Ir, state: &State) -> Result<DriftReport, Error> {
        self.check_drift(ir, state).map(|check| check.report)
    }

    /// The plan that applies the recorded desired state to the instances of
    /// `check` that drifted (of `types`, or every type when empty), and to
    /// the handlers they notify; None when there is nothing to remediate.
    /// The caller judges it with the plan-time policies and applies it, as
    /// `froyo apply` does, under its lock.
    pub fn remediation(&self, check: &DriftCheck, types: &[String]) -> Option<Plan> {
        let instances = &check.plan.instances;
        let mut selected: BTreeSet<usize> = check
            .remediable
            .iter()
            .copied()
            .filter(|&index| {
                types.is_empty() || types.iter().any(|t| *t == instances[index].resource_type)
            })
            .filter(|&index| changes_host(instances[index].action))
            .collect();
        if selected.is_empty() {
            return None;
        }
        // Handlers notified by what is remediated run too.
        for (index, instance) in instances.iter().enumerate() {
            if instance.action == Action::Refresh
                && instance.error.is_none()
                && instance.notified_by.iter().any(|notifier| selected.contains(notifier))
            {
                selected.insert(index);
            }
        }
        let renumber: BTreeMap<usize, usize> =
            selected.iter().enumerate().map(|(new, &old)| (old, new)).collect();
        let subset: Vec<PlannedInstance> = selected
            .iter()
            .map(|&index| {
                let mut instance = instances[index].clone();
                instance.after = instance
                    .after
                    .iter()
                    .filter_map(|before| renumber.get(before).copied())
                    .collect();
                instance.notified_by = instance
                    .notified_by
                    .iter()
                    .filter_map(|notifier| renumber.get(notifier).copied())
                    .collect();
                tracing::info!(
                    host = %instance.key.host,
                    address = %instance.address,
                    action = ?instance.action,
                    "remediating drift"
                );
                instance
            })
            .collect();
        Some(Plan { instances: subset, orphans: Vec::new(), ..check.plan.clone() })
    }

    /// [`Engine::drift`], keeping what [`Engine::remediation`] needs.
    pub fn check_drift(&mut self, ir: &Ir, state: &State) -> Result<DriftCheck, Error> {
        let started = std::time::Instant::now();
        let run = state.begin_run(RunKind::Drift, &ir.hash).map_err(state_error)?;
        let span = tracing::info_span!(
            "drift",
            run = run.0,
            ir_hash = %ir.hash,
            checked = tracing::field::Empty,
            drifted = tracing::field::Empty,
            outcome = tracing::field::Empty,
        );
        let _entered = span.enter();
        self.kind = crate::metrics::RunKind::Drift;
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
        let planned = self.plan(ir, state);
        self.kind = crate::metrics::RunKind::Apply;
        let mut plan = planned?;
        let mut unrecorded = Vec::new();
        let mut drifted = Vec::new();
        let mut checked = 0;
        let mut checked_types = Vec::new();
        let mut remediable = Vec::new();
        let mut configuration_changed = Vec::new();
        for (index, instance) in plan.instances.iter_mut().enumerate() {
            let Some(record) = recorded.get(&instance.key) else {
                unrecorded.push(format!("{} on {}", instance.address, instance.key.host));
                continue;
            };
            if instance.checks.iter().len() > 0 && instance.probes.is_empty() {
                continue; // Checks have no state to drift from.
            }
            checked += 1;
            checked_types.push((instance.key.host.clone(), instance.resource_type.clone()));
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
                if record.desired_hash == instance.desired_hash {
                    remediable.push(index);
                } else {
                    configuration_changed
                        .push(format!("{} on {}", instance.address, instance.key.host));
                }
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
            host_errors: self.host_errors(),
        };
        for item in &report.drifted {
            let properties: Vec<&str> =
                item.differences.iter().map(|difference| difference.property.as_str()).collect();
            match &item.error {
                // Names of what differs, never values.
                None => tracing::warn!(
                    host = %item.key.host,
                    address = %item.address,
                    properties = ?properties,
                    "drift detected"
                ),
                Some(error) => tracing::warn!(
                    host = %item.key.host,
                    address = %item.address,
                    error = %error,
                    "instance could not be probed for drift"
                ),
            }
            let _ = state.event(
                run,
                Some(&instance_key(&item.key)),
                "drift",
                &serde_json::to_value(item).unwrap_or(Json::Null),
            );
        }
        let drifted_count = report.drifted.iter().filter(|i| !i.differences.is_empty()).count();
        tracing::info!(
            run = run.0,
            checked = report.checked,
            drifted = drifted_count,
            unprobed = report.drifted.iter().filter(|i| i.error.is_some()).count(),
            unreachable = report.host_errors.len(),
            "drift checked"
        );
        span.record("checked", report.checked);
        span.record("drifted", drifted_count);
        span.record(
            "outcome",
            if report.has_drift() {
                "drifted"
            } else if report.has_errors() {
                "failed"
            } else {
                "succeeded"
            },
        );
        self.phase_took(crate::metrics::RunKind::Drift, "run", started);
        if let Some(metrics) = &self.metrics {
            metrics.record_drift(&report, &checked_types);
        }
        let _write = tracing::info_span!("state_write", run = run.0).entered();
        state
            .finish_run(
                run,
                if report.has_errors() { RunStatus::Failed } else { RunStatus::Succeeded },
                &json!({"checked": report.checked, "drifted": report.drifted.len()}),
            )
            .map_err(state_error)?;
        Ok(DriftCheck { report, plan, remediable, configuration_changed })
    }
}

/// Property-level differences between a record and what is there now.
pub(crate) fn differences(
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
pub(crate) fn redact_differences(
    differences: Vec<Difference>,
    sensitive: &[String],
) -> Vec<Difference> {
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
