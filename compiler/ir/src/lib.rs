//! The resource IR: what the compiler produces and the engine executes.
//!
//! An [`Ir`] holds the workspace's hosts and resources, fully evaluated and
//! validated: every property is concrete and typed by its resource type's
//! schema, every resource has a stable id and points back at the source that
//! declared it ([`Origin`]). The IR is plain data with no reference to syntax
//! trees or the evaluator; the engine plans from it alone.
//!
//! Serialisation is versioned and canonical ([`Ir::to_json`]): maps are
//! ordered by key, hosts by name and resources by id, so the same workspace
//! always gives the same bytes, and [`Ir::hash`] is a SHA-256 of the content
//! (origins excluded: moving a declaration within a file does not change
//! what would be applied).
//!
//! Sensitive properties stay in clear here, because the engine needs them to
//! act; each resource lists them in [`Resource::sensitive`], and everything
//! that prints or stores values goes through [`Resource::redacted_properties`].
//!
//! Invariant: this crate knows nothing of CUE, Starlark, salsa or the engine.
//! Boundary: the engine's only input from the compiler.

mod value;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use value::Value;

/// The `format` field of every serialised IR.
pub const FORMAT: &str = "froyo-ir";
/// The version of the serialisation; bumped on every incompatible change.
pub const VERSION: u32 = 1;
/// What redacted values are replaced with.
pub const REDACTED: &str = "(sensitive)";

/// A compiled workspace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ir {
    pub format: String,
    pub version: u32,
    /// `sha256:` and the hex digest of the content ([`Ir::content_hash`]).
    pub hash: String,
    /// In name order.
    pub hosts: Vec<Host>,
    /// In id order.
    pub resources: Vec<Resource>,
}

/// How the engine reaches a host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Ssh,
    Local,
}

/// A machine to manage.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Host {
    pub name: String,
    pub transport: Transport,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub address: Option<String>,
    /// The SSH port; none: ssh_config's `Port`, else 22.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub port: Option<u16>,
    /// The login user; none: ssh_config's `User`, else the local user's name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub user: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub identity_file: Option<String>,
    #[serde(rename = "become")]
    pub become_root: bool,
    /// The password `sudo` asks for with `become` (sensitive: never printed).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub become_password: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub vars: BTreeMap<String, Value>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub jump_host: Option<String>,
    pub origin: Origin,
}

/// A resource: something that should be true on every host its selector matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    /// Unique in the workspace: the field name under `resources` in CUE, the
    /// first argument of the constructor in Starlark.
    pub id: String,
    /// The resource type, such as `linux.file`.
    #[serde(rename = "type")]
    pub type_name: String,
    /// Host selector: the labels a host must have. Empty: every host.
    pub on: BTreeMap<String, String>,
    /// The type's own properties (everything but `type`, `on`, `require`, `notify`).
    pub properties: BTreeMap<String, Value>,
    /// Ids of resources applied before this one.
    pub require: Vec<String>,
    /// Ids of resources told when this one changes.
    pub notify: Vec<String>,
    /// Names of properties whose values must never be shown or stored in clear.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sensitive: Vec<String>,
    pub origin: Origin,
}

/// The language a declaration was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Cue,
    Starlark,
}

/// Where a host or resource was declared: a workspace-relative path and a
/// byte range in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Origin {
    pub file: String,
    pub start: u32,
    pub end: u32,
    pub language: Language,
}

/// Why a serialised IR could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Not JSON, or not the shape of an IR.
    Malformed(String),
    /// Another format, or a version this build does not read.
    Unsupported { format: String, version: u32 },
    /// The content does not match its recorded hash.
    HashMismatch { recorded: String, computed: String },
}

impl fmt::Display for ReadError {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Malformed(reason) => write!(formatter, "not a froyo IR file: {reason}"),
            ReadError::Unsupported { format, version } => write!(
                formatter,
                "unsupported IR: format `{format}` version {version} (this froyo reads `{FORMAT}` version {VERSION})"
            ),
            ReadError::HashMismatch { recorded, computed } => write!(
                formatter,
                "the IR was modified after it was built: recorded hash {recorded}, content hash {computed}"
            ),
        }
    }
}

impl std::error::Error for ReadError {}

impl Ir {
    /// An IR of these hosts and resources, put in canonical order and hashed.
    pub fn new(mut hosts: Vec<Host>, mut resources: Vec<Resource>) -> Ir {
        hosts.sort_by(|a, b| a.name.cmp(&b.name));
        resources.sort_by(|a, b| a.id.cmp(&b.id));
        for resource in &mut resources {
            resource.sensitive.sort();
            resource.sensitive.dedup();
        }
        let mut ir = Ir {
            format: FORMAT.to_string(),
            version: VERSION,
            hash: String::new(),
            hosts,
            resources,
        };
        ir.hash = ir.content_hash();
        ir
    }

    /// `sha256:` and the hex SHA-256 of the canonical serialisation of the
    /// hosts and resources without their origins.
    pub fn content_hash(&self) -> String {
        /// Borrowed views with the fields of [`Host`] and [`Resource`] in
        /// their order, minus the origin: serialised straight into the hasher.
        #[derive(Serialize)]
        struct HostContent<'a> {
            name: &'a str,
            transport: Transport,
            #[serde(skip_serializing_if = "Option::is_none")]
            address: &'a Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            port: Option<u16>,
            #[serde(skip_serializing_if = "Option::is_none")]
            user: &'a Option<String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            identity_file: &'a Option<String>,
            #[serde(rename = "become")]
            become_root: bool,
            #[serde(skip_serializing_if = "Option::is_none")]
            become_password: &'a Option<String>,
            labels: &'a BTreeMap<String, String>,
            vars: &'a BTreeMap<String, Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            jump_host: &'a Option<String>,
        }
        #[derive(Serialize)]
        struct ResourceContent<'a> {
            id: &'a str,
            #[serde(rename = "type")]
            type_name: &'a str,
            on: &'a BTreeMap<String, String>,
            properties: &'a BTreeMap<String, Value>,
            require: &'a [String],
            notify: &'a [String],
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            sensitive: &'a [String],
        }
        #[derive(Serialize)]
        struct Content<'a> {
            format: &'a str,
            version: u32,
            hosts: Vec<HostContent<'a>>,
            resources: Vec<ResourceContent<'a>>,
        }
        let content = Content {
            format: &self.format,
            version: self.version,
            hosts: self
                .hosts
                .iter()
                .map(|host| HostContent {
                    name: &host.name,
                    transport: host.transport,
                    address: &host.address,
                    port: host.port,
                    user: &host.user,
                    identity_file: &host.identity_file,
                    become_root: host.become_root,
                    become_password: &host.become_password,
                    labels: &host.labels,
                    vars: &host.vars,
                    jump_host: &host.jump_host,
                })
                .collect(),
            resources: self
                .resources
                .iter()
                .map(|resource| ResourceContent {
                    id: &resource.id,
                    type_name: &resource.type_name,
                    on: &resource.on,
                    properties: &resource.properties,
                    require: &resource.require,
                    notify: &resource.notify,
                    sensitive: &resource.sensitive,
                })
                .collect(),
        };
        let mut hasher = std::io::BufWriter::with_capacity(1 << 16, HashWriter(Sha256::new()));
        // Serialising plain data into a hasher cannot fail.
        let _ = serde_json::to_writer(&mut hasher, &content);
        let digest = match hasher.into_inner() {
            Ok(hasher) => hasher.0.finalize(),
            Err(_) => Sha256::digest(b""),
        };
        format!("sha256:{}", hex(&digest))
    }

    /// The canonical serialisation: compact JSON, maps in key order, one
    /// trailing newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads a serialised IR, checking its format, version and hash.
    pub fn from_json(text: &str) -> Result<Ir, ReadError> {
        #[derive(Deserialize)]
        struct Header {
            format: String,
            version: u32,
        }
        let header: Header =
            serde_json::from_str(text).map_err(|error| ReadError::Malformed(error.to_string()))?;
        if header.format != FORMAT || header.version != VERSION {
            return Err(ReadError::Unsupported { format: header.format, version: header.version });
        }
        let ir: Ir =
            serde_json::from_str(text).map_err(|error| ReadError::Malformed(error.to_string()))?;
        let computed = ir.content_hash();
        if computed != ir.hash {
            return Err(ReadError::HashMismatch { recorded: ir.hash, computed });
        }
        Ok(ir)
    }

    /// The resource with this id.
    pub fn resource(&self, id: &str) -> Option<&Resource> {
        self.resources
            .binary_search_by(|resource| resource.id.as_str().cmp(id))
            .ok()
            .map(|index| &self.resources[index])
    }

    /// The hosts whose labels include every label of `selector`.
    pub fn matching_hosts<'a>(
        &'a self,
        selector: &'a BTreeMap<String, String>,
    ) -> impl Iterator<Item = &'a Host> + 'a {
        self.hosts.iter().filter(move |host| host.matches(selector))
    }
}

impl Host {
    /// Whether this host's labels include every label of `selector`.
    pub fn matches(&self, selector: &BTreeMap<String, String>) -> bool {
        selector.iter().all(|(key, value)| self.labels.get(key) == Some(value))
    }
}

impl Resource {
    /// The properties with every sensitive value replaced by [`REDACTED`].
    pub fn redacted_properties(&self) -> BTreeMap<String, Value> {
        let mut properties = self.properties.clone();
        for name in &self.sensitive {
            if let Some(value) = properties.get_mut(name) {
                *value = value.redacted();
            }
        }
        properties
    }
}

/// Feeds serialised bytes to the hash without building them in memory.
struct HashWriter(Sha256);

impl std::io::Write for HashWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut text = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(text, "{byte:02x}");
    }
    text
}

#[cfg(test)]
mod tests;
