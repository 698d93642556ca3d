//! The drift phase: re-probe every recorded instance of the configuration and
//! compare it, property by property, with what state recorded (sensitive
//! values through the same keyed hash).
use std::collections::{BTreeMap, BTreeSet};

use froyo_ir::Ir;
use froyo_state::{InstanceRecord, RunKind, RunStatus, State};
use serde_json::{Map, Value as Json, json};

use crate::engine::*;
use crate::instance::Key;
use crate::record::*;
use crate::report::{Difference, DriftItem, DriftReport};

impl Engine {
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
            host_errors: self.host_errors(),
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
