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
    // Links are resolved first: one inside the workspace pointing out of it
    // (`source: "hostname"` → /etc/hostname) is refused like `../`.
    let cannot = |error: std::io::Error| format!("cannot read source `{source}`: {error}");
    let root = workspace_root.canonicalize().map_err(cannot)?;
    let path = workspace_root.join(relative).canonicalize().map_err(cannot)?;
    if !path.starts_with(&root) {
        return Err(format!(
            "source `{source}` leads out of the workspace (to {}, through a symbolic link); \
             copy the file into the workspace instead",
            path.display()
        ));
    }
    let mut file = std::fs::File::open(&path).map_err(cannot)?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(
        &mut std::io::Read::take(&mut file, MAX_SOURCE_BYTES + 1),
        &mut bytes,
    )
    .map_err(cannot)?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!(
            "source `{source}` is larger than the limit of {MAX_SOURCE_BYTES} bytes"
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn source(value: &str) -> Map<String, Json> {
        let mut properties = Map::new();
        properties.insert("source".to_string(), Json::String(value.to_string()));
        properties
    }

    #[test]
    fn a_source_stays_inside_the_workspace_links_included() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "root's\n").unwrap();
        let workspace = tempfile::tempdir().unwrap();
        std::fs::create_dir(workspace.path().join("files")).unwrap();
        std::fs::write(workspace.path().join("files/motd"), "hello\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), workspace.path().join("leak"))
            .unwrap();
        std::os::unix::fs::symlink(outside.path(), workspace.path().join("dir")).unwrap();
        std::os::unix::fs::symlink("files/motd", workspace.path().join("alias")).unwrap();

        for (given, content) in [("files/motd", "hello\n"), ("alias", "hello\n")] {
            let mut properties = source(given);
            resolve_source("linux.file", &mut properties, workspace.path()).unwrap();
            assert_eq!(properties["content"], content, "{given}");
            assert!(!properties.contains_key("source"));
        }
        for given in ["leak", "dir/secret", "../secret", "/etc/hostname"] {
            let error = resolve_source("linux.file", &mut source(given), workspace.path())
                .expect_err(given);
            assert!(error.contains("workspace"), "{given}: {error}");
            assert!(!error.contains("root's"), "{given}: {error}");
        }
    }
}
