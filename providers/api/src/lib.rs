//! The documents exchanged through the provider WIT world (`providers/wit/provider.wit`).
//!
//! A provider is a pure function: the engine gives it the desired properties
//! of one resource instance and the host's facts, it answers with the probes
//! it needs; given the probes' results it answers with what it observed, the
//! property-level changes and the exact [`Op`]s that make them. It never
//! touches a host itself.
//!
//! Properties travel as JSON objects (`serde_json::Map`), in the shape of the
//! resource type's CUE schema in `stdlib/`, already validated by the compiler.
//!
//! Invariant: data only; compiled both natively (engine) and for `wasm32-wasip2` (providers).

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

pub use froyo_runner_protocol::{
    Command, CommandOutput, Facts, HttpResponse, Op, Probe, ProbeResult, Stat,
};

/// Properties of a resource, as JSON.
pub type Properties = Map<String, Value>;

/// Input of `probe`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeRequest {
    pub properties: Properties,
    pub facts: Facts,
}

/// Output of `probe`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ProbeResponse {
    pub probes: Vec<Probe>,
}

/// A probe's result, or why the runner could not get it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeOutcome {
    Ok(ProbeResult),
    Error(String),
}

/// Input of `plan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanRequest {
    pub properties: Properties,
    pub facts: Facts,
    /// The results of the probes `probe` asked for, in the same order.
    pub probes: Vec<ProbeOutcome>,
    /// True when a resource that notifies this one has changes planned: a
    /// service restarts, a `refresh_only` command runs.
    #[serde(default)]
    pub notified: bool,
}

/// What a plan does to one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Already as desired.
    None,
    Create,
    Update,
    Delete,
    /// Nothing differs, but it was notified (restart, re-run).
    Refresh,
    /// Nothing to change; checks run at apply time (`probe.http`).
    Check,
}

/// One property that differs. `None` is "not set" / "absent".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub property: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// An apply-time check: probe, then ask the provider's `verify`, retrying.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Check {
    pub probe: Probe,
    /// Further attempts after the first failure.
    pub retries: u32,
    /// Wait between attempts.
    pub interval_ms: u64,
}

/// Output of `plan`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanResponse {
    /// What is on the host now, in the resource's property terms; `None` when
    /// nothing is (the file does not exist, the package is not installed).
    pub observed: Option<Properties>,
    pub action: Action,
    pub changes: Vec<Change>,
    pub ops: Vec<Op>,
    #[serde(default)]
    pub checks: Vec<Check>,
    /// Notes for the user (why an operation is needed, what is unsupported).
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Input of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyRequest {
    pub properties: Properties,
    pub result: ProbeOutcome,
}

/// Output of `verify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerifyResponse {
    pub ok: bool,
    /// Why not, for the user.
    #[serde(default)]
    pub message: String,
}

/// What a provider may make the engine do (the WIT `capabilities` record).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Capabilities {
    pub commands: Vec<String>,
    pub path_properties: Vec<String>,
    pub command_properties: Vec<String>,
    pub url_properties: Vec<String>,
}

/// The WIT `descriptor` record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Descriptor {
    pub type_name: String,
    pub version: String,
    pub capabilities: Capabilities,
}
