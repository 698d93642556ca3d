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

use std::collections::{BTreeMap, HashMap};

use froyo_ir::{Host, Ir, Resource, Transport, Value};
use serde_json::Value as Json;

use crate::rego::{Input, InputBuilder};

/// `input.version` of check-time inputs.
pub const CHECK_VERSION: u32 = 1;
/// `input.version` of plan-time inputs.
pub const PLAN_VERSION: u32 = 1;

/// The check-time input of the whole IR, as JSON.
pub fn check_input(ir: &Ir) -> Json {
    check_document(&ir.hosts, ir.resources.iter()).to_json()
}

/// The check-time input of some resources, as JSON (what `froyo policy
/// eval` shows).
pub fn check_input_of<'a>(hosts: &[Host], resources: impl Iterator<Item = &'a Resource>) -> Json {
    check_document(hosts, resources).to_json()
}

/// The check-time input of some resources (one file's, for policies whose
/// scope is one resource) with every host, built for evaluation.
pub fn check_document<'a>(hosts: &[Host], resources: impl Iterator<Item = &'a Resource>) -> Input {
    let mut builder = InputBuilder::default();
    // Resources share a few selectors: match each against the hosts once.
    let mut matched: HashMap<&BTreeMap<String, String>, Input> = HashMap::new();
    let mut edges = Vec::new();
    let mut documents = Vec::new();
    for resource in resources {
        for (kind, targets) in [("require", &resource.require), ("notify", &resource.notify)] {
            for target in targets {
                let edge = [
                    ("from", builder.string(&resource.id)),
                    ("to", builder.string(target)),
                    ("kind", builder.string(kind)),
                ];
                edges.push(builder.object(edge));
            }
        }
        let hosts_of = matched
            .entry(&resource.on)
            .or_insert_with(|| {
                builder.strings(
                    hosts
                        .iter()
                        .filter(|host| host.matches(&resource.on))
                        .map(|host| host.name.as_str()),
                )
            })
            .clone();
        documents.push(resource_document(&mut builder, resource, hosts_of));
    }
    let hosts: Vec<Input> = hosts.iter().map(|host| host_document(&mut builder, host)).collect();
    let fields = [
        ("kind", builder.string("check")),
        ("version", builder.int(CHECK_VERSION.into())),
        ("hosts", builder.array(hosts)),
        ("resources", builder.array(documents)),
        ("edges", builder.array(edges)),
    ];
    builder.object(fields)
}

/// A host as policies see it, as JSON: no password, no key path.
pub fn host_json(host: &Host) -> Json {
    host_document(&mut InputBuilder::default(), host).to_json()
}

fn host_document(builder: &mut InputBuilder, host: &Host) -> Input {
    let optional = |builder: &InputBuilder, text: &Option<String>| match text {
        Some(text) => builder.string(text),
        None => builder.null(),
    };
    let vars: Vec<(&str, Input)> = host
        .vars
        .iter()
        .map(|(name, value)| (name.as_str(), value_document(builder, value)))
        .collect();
    let fields = [
        ("name", builder.string(&host.name)),
        (
            "transport",
            builder.string(match host.transport {
                Transport::Ssh => "ssh",
                Transport::Local => "local",
            }),
        ),
        ("address", optional(builder, &host.address)),
        ("port", host.port.map_or(builder.null(), |port| builder.int(port.into()))),
        ("user", optional(builder, &host.user)),
        ("become", builder.bool(host.become_root)),
        ("labels", builder.string_map(host.labels.iter().map(|(k, v)| (k.as_str(), v.as_str())))),
        ("vars", builder.object(vars)),
        ("file", builder.string(&host.origin.file)),
    ];
    builder.object(fields)
}

fn resource_document(builder: &mut InputBuilder, resource: &Resource, hosts: Input) -> Input {
    let properties: Vec<(&str, Input)> = resource
        .properties
        .iter()
        .map(|(name, value)| {
            let value = if resource.sensitive.contains(name) {
                value_document(builder, &value.redacted())
            } else {
                value_document(builder, value)
            };
            (name.as_str(), value)
        })
        .collect();
    let fields = [
        ("id", builder.string(&resource.id)),
        ("type", builder.string(&resource.type_name)),
        ("on", builder.string_map(resource.on.iter().map(|(k, v)| (k.as_str(), v.as_str())))),
        ("hosts", hosts),
        ("properties", builder.object(properties)),
        ("require", builder.strings(resource.require.iter().map(String::as_str))),
        ("notify", builder.strings(resource.notify.iter().map(String::as_str))),
        ("sensitive", builder.strings(resource.sensitive.iter().map(String::as_str))),
        ("file", builder.string(&resource.origin.file)),
    ];
    builder.object(fields)
}

fn value_document(builder: &mut InputBuilder, value: &Value) -> Input {
    match value {
        Value::Null => builder.null(),
        Value::Bool(flag) => builder.bool(*flag),
        Value::Int(integer) => builder.int(*integer),
        Value::Float(float) => builder.float(*float),
        Value::String(text) => builder.string(text),
        Value::List(items) => {
            let items: Vec<Input> =
                items.iter().map(|item| value_document(builder, item)).collect();
            builder.array(items)
        }
        Value::Map(entries) => {
            let entries: Vec<(&str, Input)> = entries
                .iter()
                .map(|(key, value)| (key.as_str(), value_document(builder, value)))
                .collect();
            builder.object(entries)
        }
    }
}
