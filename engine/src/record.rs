//! Recording: what state keeps of an instance after a run.

use froyo_state::{InstanceKey, InstanceRecord, State};
use serde_json::{Map, Value as Json};

use crate::instance::Key;
use crate::plan::PlannedInstance;

pub(crate) fn instance_key(key: &Key) -> InstanceKey {
    InstanceKey { host: key.host.clone(), resource: key.resource.clone() }
}

pub(crate) fn record(
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
