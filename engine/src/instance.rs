//! Instances: one resource on one host.
//!
//! A resource applies to every host its `on` selector matches; each pair is
//! an [`Instance`], the unit the engine plans, applies and records. Its
//! properties are the IR's, as JSON, with `linux.file`'s `source` resolved to
//! `content` here (providers never read the workspace).

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Component, Path};

use froyo_ir::{Ir, Value};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::canonical;

/// Which resource on which host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Key {
    pub host: String,
    pub resource: String,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.resource, self.host)
    }
}

/// A resource on one host, ready for its provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    pub key: Key,
    pub resource_type: String,
    pub properties: Map<String, Json>,
    pub sensitive: Vec<String>,
    /// Hash of the type and properties: what the configuration asks for.
    pub desired_hash: String,
    /// Resource ids this one requires, and those that notify it.
    pub require: Vec<String>,
    pub notify: Vec<String>,
}

impl Instance {
    /// `linux.file.motd`: the type and id, as plans print them.
    pub fn address(&self) -> String {
        format!("{}.{}", self.resource_type, self.key.resource)
    }
}

/// The largest `source` file read into a `linux.file`'s content.
pub const MAX_SOURCE_BYTES: u64 = 16 << 20;

/// Every instance of `ir`, in host then resource order, each with the reason it
/// cannot be planned, if any (a `source` that cannot be read fails that
/// instance only).
pub fn expand(ir: &Ir, workspace_root: &Path) -> Vec<(Instance, Option<String>)> {
    let mut out = Vec::new();
    for host in &ir.hosts {
        for resource in &ir.resources {
            if !host.matches(&resource.on) {
                continue;
            }
            let key = Key { host: host.name.clone(), resource: resource.id.clone() };
            let mut properties: Map<String, Json> = resource
                .properties
                .iter()
                .map(|(name, value)| (name.clone(), to_json(value)))
                .collect();
            let error = resolve_source(&resource.type_name, &mut properties, workspace_root).err();
            let desired_hash = canonical::hash(&serde_json::json!({
                "type": resource.type_name,
                "properties": Json::Object(properties.clone()),
            }));
            out.push((
                Instance {
                    key,
                    resource_type: resource.type_name.clone(),
                    properties,
                    sensitive: resource.sensitive.clone(),
                    desired_hash,
                    require: resource.require.clone(),
                    notify: resource.notify.clone(),
                },
                error,
            ));
        }
    }
    out
}

/// Reads a `linux.file`'s `source` (relative to the workspace root, inside it) into `content`.
fn resolve_source(
    type_name: &str,
    properties: &mut Map<String, Json>,
    workspace_root: &Path,
) -> Result<(), String> {
    if type_name != "linux.file" {
        return Ok(());
    }
    let Some(Json::String(source)) = properties.get("source").cloned() else {
        return Ok(());
    };
    let relative = Path::new(&source);
    if relative.is_absolute()
        || relative
            .components()
            .any(|component| !matches!(component, Component::Normal(_) | Component::CurDir))
    {
        return Err(format!(
            "source `{source}` must be a path inside the workspace, relative to its root"
        ));
    }
    let path = workspace_root.join(relative);
    let metadata = std::fs::metadata(&path)
        .map_err(|error| format!("cannot read source `{source}`: {error}"))?;
    if metadata.len() > MAX_SOURCE_BYTES {
        return Err(format!(
            "source `{source}` is {} bytes; the limit is {MAX_SOURCE_BYTES}",
            metadata.len()
        ));
    }
    let bytes =
        std::fs::read(&path).map_err(|error| format!("cannot read source `{source}`: {error}"))?;
    let text = String::from_utf8(bytes).map_err(|_| {
        format!("source `{source}` is not UTF-8 text; binary files are not supported yet")
    })?;
    properties.remove("source");
    properties.insert("content".to_string(), Json::String(text));
    Ok(())
}

/// An IR value as JSON.
pub fn to_json(value: &Value) -> Json {
    match value {
        Value::Null => Json::Null,
        Value::Bool(b) => Json::Bool(*b),
        Value::Int(i) => Json::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f).map_or(Json::Null, Json::Number),
        Value::String(s) => Json::String(s.clone()),
        Value::List(items) => Json::Array(items.iter().map(to_json).collect()),
        Value::Map(entries) => Json::Object(
            entries
                .iter()
                .map(|(key, value)| (key.clone(), to_json(value)))
                .collect::<BTreeMap<_, _>>()
                .into_iter()
                .collect(),
        ),
    }
}
