//! The input documents policies see, versioned.
//!
//! Check time ([`check_input`], `input.kind == "check"`): the IR's hosts and
//! resources with their types, selectors, properties and dependency edges.
//! Plan time (`input.kind == "plan"`): the plan, one entry per instance with
//! its action, property changes and exact operations, and the facts of its
//! host; the engine builds it (it owns the plan), with [`PLAN_VERSION`].
//!
//! Sensitive values never reach a policy: they are redacted here (the shape
//! stays, scalars read `(sensitive)`), so `froyo policy eval` can print the
//! input and a policy cannot leak what it sees.
//!
//! The shapes are documented in `docs/policy.md`; a change that removes or
//! renames a field bumps the version, new fields do not.

use froyo_ir::{Host, Ir, Resource, Transport, Value};
use serde_json::{Map, Value as Json, json};

/// `input.version` of check-time inputs.
pub const CHECK_VERSION: u32 = 1;
/// `input.version` of plan-time inputs.
pub const PLAN_VERSION: u32 = 1;

/// The check-time input of the whole IR.
pub fn check_input(ir: &Ir) -> Json {
    check_input_of(&ir.hosts, ir.resources.iter())
}

/// The check-time input of some resources (one file's, for policies whose
/// scope is one resource) with every host.
pub fn check_input_of<'a>(hosts: &[Host], resources: impl Iterator<Item = &'a Resource>) -> Json {
    let mut edges = Vec::new();
    let resources: Vec<Json> = resources
        .map(|resource| {
            for (kind, targets) in [("require", &resource.require), ("notify", &resource.notify)] {
                for target in targets {
                    edges.push(json!({"from": resource.id, "to": target, "kind": kind}));
                }
            }
            resource_json(resource, hosts)
        })
        .collect();
    json!({
        "kind": "check",
        "version": CHECK_VERSION,
        "hosts": hosts.iter().map(host_json).collect::<Vec<_>>(),
        "resources": resources,
        "edges": edges,
    })
}

/// A host as policies see it: no password, no key path.
pub fn host_json(host: &Host) -> Json {
    json!({
        "name": host.name,
        "transport": match host.transport { Transport::Ssh => "ssh", Transport::Local => "local" },
        "address": host.address,
        "port": host.port,
        "user": host.user,
        "become": host.become_root,
        "labels": host.labels,
        "vars": value_json(&Value::Map(host.vars.clone())),
        "file": host.origin.file,
    })
}

fn resource_json(resource: &Resource, hosts: &[Host]) -> Json {
    let properties: Map<String, Json> = resource
        .redacted_properties()
        .iter()
        .map(|(name, value)| (name.clone(), value_json(value)))
        .collect();
    let matched: Vec<&str> = hosts
        .iter()
        .filter(|host| host.matches(&resource.on))
        .map(|host| host.name.as_str())
        .collect();
    json!({
        "id": resource.id,
        "type": resource.type_name,
        "on": resource.on,
        "hosts": matched,
        "properties": properties,
        "require": resource.require,
        "notify": resource.notify,
        "sensitive": resource.sensitive,
        "file": resource.origin.file,
    })
}

/// An IR value as JSON.
pub fn value_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(integer) => json!(integer),
        Value::Float(float) => json!(float),
        Value::String(text) => Json::String(text.clone()),
        Value::List(items) => Json::Array(items.iter().map(value_json).collect()),
        Value::Map(entries) => Json::Object(
            entries.iter().map(|(key, value)| (key.clone(), value_json(value))).collect(),
        ),
    }
}
