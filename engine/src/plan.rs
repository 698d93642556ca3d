//! Plans: what an apply would do, per instance, and the file `froyo plan -o` writes.
//!
//! A plan lists every instance of the configuration (unchanged ones too: the
//! dependency graph needs them) with its action, its property changes and the
//! exact operations, plus the instances recorded in state that the
//! configuration no longer has (*orphans*). Each change carries the hash of
//! the probe results it was planned against (`observed_hash`); applying a
//! saved plan re-probes and applies only the changes whose hash still
//! matches, refusing the others as stale.
//!
//! A plan file holds desired values in clear (the operations need them), so
//! it is written with mode 0600; what is printed, or kept in state, goes
//! through [`Plan::redacted`].
//!
//! A plan file is authenticated: its `mac` is an HMAC-SHA256 of the rest of
//! the document (canonical JSON) keyed with a key derived from the
//! workspace state's secret key for this purpose only ([`MAC_PURPOSE`]).
//! Whoever can write the plan file but not read `state.key` cannot change
//! an argument, a path, a host or an id without [`Plan::from_file_text`]
//! refusing the whole plan. (The engine checks every operation against its
//! provider's capabilities again before sending it, whatever its origin.)

use std::collections::BTreeMap;

use froyo_ir::REDACTED;
use froyo_provider_api::{Action, Change, Check, Op, Probe};
use froyo_state::{DerivedKey, State};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::instance::Key;

/// The `format` field of a plan file.
pub const FORMAT: &str = "froyo-plan";
/// The plan file version this build writes and reads.
pub const VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub format: String,
    pub version: u32,
    /// A random id, also the key of the plan in state.
    pub id: String,
    pub created_at: String,
    /// The IR the plan was made from.
    pub ir_hash: String,
    /// The state serial when it was made (informational: staleness is per instance).
    pub state_serial: u64,
    /// The hosts, as the IR declares them (how to reach them).
    pub hosts: Vec<froyo_ir::Host>,
    /// Every instance of the configuration, in host then resource order.
    pub instances: Vec<PlannedInstance>,
    /// Instances in state that the configuration no longer has.
    pub orphans: Vec<Orphan>,
    /// The facts of each host the plan reached, as its runner reported them
    /// (what plan-time policies see as `input.facts`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub facts: BTreeMap<String, froyo_runner_protocol::Facts>,
    /// Findings of plan-time policies about no instance in particular.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<crate::policy::PolicyNote>,
}

/// One instance's plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlannedInstance {
    pub key: Key,
    pub resource_type: String,
    /// `linux.file.motd`.
    pub address: String,
    pub properties: Map<String, Json>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sensitive: Vec<String>,
    pub desired_hash: String,
    /// Instances applied before this one (indexes into [`Plan::instances`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<usize>,
    /// Instances with changes that notify this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notified_by: Vec<usize>,
    pub wave: usize,
    /// The probes this plan was made from, re-run to detect staleness.
    pub probes: Vec<Probe>,
    pub observed_hash: String,
    pub observed: Option<Map<String, Json>>,
    pub action: Action,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<Change>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<Op>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub checks: Vec<Check>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// What will probably make applying it fail (a new file's missing directory).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// Planning failed: why. The instance and what depends on it are not applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Findings of plan-time policies about this instance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy: Vec<crate::policy::PolicyNote>,
}

/// An instance recorded in state whose resource is gone from the configuration
/// (or no longer selects that host). Applying *forgets* it: its record leaves
/// state, and nothing on the host is touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Orphan {
    pub key: Key,
    pub resource_type: String,
}

/// Counts by action, for summaries.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub delete: usize,
    pub refresh: usize,
    pub check: usize,
    pub forget: usize,
    pub unchanged: usize,
    pub errors: usize,
    pub operations: usize,
    pub warnings: usize,
}

impl Plan {
    pub fn summary(&self) -> Summary {
        let mut summary = Summary { forget: self.orphans.len(), ..Summary::default() };
        for instance in &self.instances {
            if instance.error.is_some() {
                summary.errors += 1;
                continue;
            }
            summary.operations += instance.ops.len();
            summary.warnings += instance.warnings.len();
            match instance.action {
                Action::None => summary.unchanged += 1,
                Action::Create => summary.create += 1,
                Action::Update => summary.update += 1,
                Action::Delete => summary.delete += 1,
                Action::Refresh => summary.refresh += 1,
                Action::Check => summary.check += 1,
            }
        }
        summary
    }

    /// Whether applying would change anything (operations, checks or forgetting).
    pub fn has_changes(&self) -> bool {
        !self.orphans.is_empty()
            || self
                .instances
                .iter()
                .any(|instance| instance.error.is_none() && instance.action != Action::None)
    }

    /// The plan as a file: pretty JSON with its `mac`, an HMAC-SHA256 of
    /// the rest (as canonical JSON) keyed with `state`'s plan key.
    pub fn to_file_text(&self, state: &State) -> String {
        #[derive(Serialize)]
        struct Signed<'a> {
            #[serde(flatten)]
            plan: &'a Plan,
            mac: String,
        }
        let content = serde_json::to_value(self).expect("plans always serialise");
        let mac = file_key(state).sign(froyo_state::canonical_json(&content).as_bytes());
        let mut text = serde_json::to_string_pretty(&Signed { plan: self, mac })
            .expect("plans always serialise");
        text.push('\n');
        text
    }

    /// A plan file of `state` holding `document`, whatever it holds: what
    /// [`Plan::to_file_text`] writes for a plan. For exercising the reader
    /// behind the MAC (tests, fuzzing); whoever calls it has the key anyway.
    #[doc(hidden)]
    pub fn seal_document(mut document: Json, state: &State) -> String {
        if let Some(object) = document.as_object_mut() {
            object.remove("mac");
        }
        let mac = file_key(state).sign(froyo_state::canonical_json(&document).as_bytes());
        if let Some(object) = document.as_object_mut() {
            object.insert("mac".to_string(), Json::String(mac));
        }
        document.to_string()
    }

    /// Reads a plan file: its format and version, then its `mac` against
    /// `state`'s plan key (before anything else of it is used), then its shape.
    pub fn from_file_text(text: &str, state: &State) -> Result<Plan, PlanFileError> {
        let mut value: Json = serde_json::from_str(text)
            .map_err(|error| PlanFileError::Unreadable(format!("not a froyo plan: {error}")))?;
        let format = value.get("format").and_then(Json::as_str).unwrap_or("");
        let version = value.get("version").and_then(Json::as_u64).unwrap_or(0);
        if format != FORMAT || version != u64::from(VERSION) {
            return Err(PlanFileError::Unreadable(format!(
                "unsupported plan: format `{format}` version {version} (this froyo reads `{FORMAT}` version {VERSION})"
            )));
        }
        let mac = match value.as_object_mut().and_then(|object| object.remove("mac")) {
            None => {
                return Err(PlanFileError::NotAuthentic(
                    "the plan has no `mac`: it was not written by `froyo plan -o`, or its `mac` was removed".to_string(),
                ));
            }
            Some(Json::String(mac)) if is_tag(&mac) => mac,
            Some(_) => {
                return Err(PlanFileError::NotAuthentic(format!(
                    "the plan's `mac` is not an HMAC-SHA256 tag (`{}` and 64 hex digits)",
                    froyo_state::PROTECTED_PREFIX
                )));
            }
        };
        if !file_key(state).verify(froyo_state::canonical_json(&value).as_bytes(), &mac) {
            return Err(PlanFileError::NotAuthentic(format!(
                "the plan does not match its `mac`: it was changed after `froyo plan -o` wrote it, \
                 or it was made with another state than {}",
                state.location()
            )));
        }
        let plan: Plan = serde_json::from_value(value)
            .map_err(|error| PlanFileError::Unreadable(format!("malformed plan: {error}")))?;
        for instance in &plan.instances {
            if instance
                .after
                .iter()
                .chain(&instance.notified_by)
                .any(|&index| index >= plan.instances.len())
            {
                return Err(PlanFileError::Unreadable(format!(
                    "malformed plan: {} refers to an instance that is not in the plan",
                    instance.key
                )));
            }
        }
        // Authentic is not enough: an older plan put in place of a newer one
        // is authentic too.
        match state.plan_outdated(&plan.id) {
            Ok(None) => Ok(plan),
            Ok(Some(froyo_state::PlanOutdated::NotRecorded)) => {
                Err(PlanFileError::Outdated(format!(
                    "plan {} is not recorded in {}: `froyo plan -o` records every plan it saves",
                    plan.id,
                    state.location()
                )))
            }
            Ok(Some(froyo_state::PlanOutdated::Superseded { run })) => {
                Err(PlanFileError::Outdated(format!(
                    "plan {} is outdated: run {run} applied something else after it was made \
                     (see `froyo runs show {run}`)",
                    plan.id
                )))
            }
            Err(error) => Err(PlanFileError::Unreadable(format!(
                "cannot tell whether plan {} is still current: {error}",
                plan.id
            ))),
        }
    }

    /// The plan with every sensitive value hidden: property values, changes,
    /// observed values, and the parts of operations that carry them
    /// (`exec` environments when `env` is sensitive, every `stdin`).
    pub fn redacted(&self) -> Plan {
        let mut plan = self.clone();
        for instance in &mut plan.instances {
            instance.redact();
        }
        for host in &mut plan.hosts {
            if host.become_password.is_some() {
                host.become_password = Some(froyo_ir::REDACTED.to_string());
            }
        }
        plan
    }
}

impl PlannedInstance {
    fn redact(&mut self) {
        let sensitive = self.sensitive.clone();
        let hide = |map: &mut Map<String, Json>| {
            for name in &sensitive {
                if let Some(value) = map.get_mut(name) {
                    *value = redact_value(value);
                }
            }
        };
        hide(&mut self.properties);
        if let Some(observed) = &mut self.observed {
            hide(observed);
        }
        for change in &mut self.changes {
            if self.sensitive.iter().any(|name| property_root(&change.property) == name) {
                change.before = change.before.as_ref().map(redact_value);
                change.after = change.after.as_ref().map(redact_value);
            }
        }
        let env_sensitive = self.sensitive.iter().any(|name| name == "env");
        for op in &mut self.ops {
            if let Op::Exec { command, unless, onlyif, .. } = op {
                for command in std::iter::once(command).chain(unless).chain(onlyif) {
                    if env_sensitive {
                        for value in command.env.values_mut() {
                            *value = REDACTED.to_string();
                        }
                    }
                    if let Some(stdin) = &mut command.stdin {
                        *stdin = redacted_input(stdin);
                    }
                }
            }
        }
        // Probes may carry sensitive headers (probe.http) or environments.
        for probe in &mut self.probes {
            redact_probe(probe, env_sensitive, self.sensitive.iter().any(|n| n == "headers"));
        }
        for check in &mut self.checks {
            redact_probe(
                &mut check.probe,
                env_sensitive,
                self.sensitive.iter().any(|n| n == "headers"),
            );
        }
    }
}

fn redact_probe(probe: &mut Probe, env: bool, headers: bool) {
    match probe {
        Probe::Command(command) => {
            if env {
                for value in command.env.values_mut() {
                    *value = REDACTED.to_string();
                }
            }
            if let Some(stdin) = &mut command.stdin {
                *stdin = redacted_input(stdin);
            }
        }
        Probe::Http { headers: map, .. } if headers => {
            for value in map.values_mut() {
                *value = REDACTED.to_string();
            }
        }
        _ => {}
    }
}

/// What a redacted command input becomes: the redaction marker and the
/// input's real length, which `--show-ops` prints (`(sensitive: 42 bytes)`).
pub fn redacted_input(input: &str) -> String {
    format!("{}: {} bytes)", REDACTED.trim_end_matches(')'), input.len())
}

/// The real length a [`redacted_input`] stands for; `None` for other text.
pub fn redacted_input_length(text: &str) -> Option<usize> {
    text.strip_prefix(REDACTED.trim_end_matches(')'))?
        .strip_prefix(": ")?
        .strip_suffix(" bytes)")?
        .parse()
        .ok()
}

/// `env.TOKEN` → `env`.
pub(crate) fn property_root(property: &str) -> &str {
    property.split(['.', '[']).next().unwrap_or(property)
}

/// Every scalar replaced by the redaction marker; keys and shape kept.
pub fn redact_value(value: &Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.iter().map(|(key, value)| (key.clone(), redact_value(value))).collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(redact_value).collect()),
        Json::Null => Json::Null,
        _ => Json::String(REDACTED.to_string()),
    }
}

/// Sensitive properties of `map` replaced by [`redact_value`].
pub fn redact_properties(map: &Map<String, Json>, sensitive: &[String]) -> Map<String, Json> {
    let mut out = map.clone();
    for name in sensitive {
        if let Some(value) = out.get_mut(name) {
            *value = redact_value(value);
        }
    }
    out
}

/// What the key that authenticates plan files is derived for.
pub const MAC_PURPOSE: &str = "froyo saved plan v1";

/// The key that authenticates `state`'s plan files.
fn file_key(state: &State) -> DerivedKey {
    state.derive_key(MAC_PURPOSE)
}

/// `hmac-sha256:` and 64 lowercase hex digits.
fn is_tag(text: &str) -> bool {
    text.strip_prefix(froyo_state::PROTECTED_PREFIX).is_some_and(|digits| {
        digits.len() == 64
            && digits.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// Why a plan file is not applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlanFileError {
    /// Not a plan this froyo reads: not JSON, another format or version, malformed.
    Unreadable(String),
    /// Its `mac` is missing or garbled, or does not match its content and
    /// this workspace's state key: it was edited, or made elsewhere.
    NotAuthentic(String),
    /// Authentic, but not the newest word: an apply of something else ran
    /// since it was made, or this state never recorded it.
    Outdated(String),
}

impl std::fmt::Display for PlanFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanFileError::Unreadable(message)
            | PlanFileError::NotAuthentic(message)
            | PlanFileError::Outdated(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for PlanFileError {}

impl miette::Diagnostic for PlanFileError {
    fn code<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            PlanFileError::Unreadable(_) => "E1211",
            PlanFileError::NotAuthentic(_) => "E1212",
            PlanFileError::Outdated(_) => "E1214",
        }))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        Some(Box::new(match self {
            PlanFileError::Unreadable(_) => {
                "make a new plan with `froyo plan -o FILE` (with this froyo), review it, then `froyo apply FILE`"
            }
            PlanFileError::NotAuthentic(_) => {
                "nothing was applied; make a new plan with `froyo plan -o FILE` in this workspace, review it, then `froyo apply FILE`"
            }
            PlanFileError::Outdated(_) => {
                "nothing was applied; make a new plan with `froyo plan -o FILE` against the hosts as they are now, review it, then `froyo apply FILE`"
            }
        }))
    }
}

/// Index of instances by key.
pub fn index_by_key(plan: &Plan) -> BTreeMap<Key, usize> {
    plan.instances
        .iter()
        .enumerate()
        .map(|(index, instance)| (instance.key.clone(), index))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal_plan() -> Plan {
        Plan {
            format: FORMAT.to_string(),
            version: VERSION,
            id: "0123456789abcdef".to_string(),
            created_at: "2026-01-01T00:00:00Z".to_string(),
            ir_hash: "sha256:00".to_string(),
            state_serial: 3,
            hosts: Vec::new(),
            instances: Vec::new(),
            orphans: Vec::new(),
            facts: BTreeMap::new(),
            policy: Vec::new(),
        }
    }

    #[test]
    fn a_plan_file_reads_back_only_with_its_mac_and_its_state() {
        let directory = tempfile::tempdir().unwrap();
        let state = State::open(&directory.path().join("a/state.db")).unwrap();
        let other = State::open(&directory.path().join("b/state.db")).unwrap();
        let plan = minimal_plan();
        let text = plan.to_file_text(&state);
        state.save_plan(&plan.id, &plan.ir_hash, plan.state_serial, "{}").unwrap();
        assert_eq!(Plan::from_file_text(&text, &state), Ok(plan.clone()));
        assert!(matches!(Plan::from_file_text(&text, &other), Err(PlanFileError::NotAuthentic(_))));
        let mut value: Json = serde_json::from_str(&text).unwrap();
        value["state_serial"] = json!(4);
        assert!(matches!(
            Plan::from_file_text(&value.to_string(), &state),
            Err(PlanFileError::NotAuthentic(_))
        ));
    }

    #[test]
    fn an_authentic_but_malformed_plan_is_refused_without_a_panic() {
        let directory = tempfile::tempdir().unwrap();
        let state = State::open(&directory.path().join("state.db")).unwrap();
        let sign = |mut value: Json| {
            let mac = file_key(&state).sign(froyo_state::canonical_json(&value).as_bytes());
            value["mac"] = Json::String(mac);
            value.to_string()
        };
        let mut value = serde_json::to_value(minimal_plan()).unwrap();
        value["instances"] = json!([{"key": {"host": "h", "resource": "r"}, "after": [7]}]);
        let error = Plan::from_file_text(&sign(value), &state).unwrap_err();
        assert!(matches!(error, PlanFileError::Unreadable(_)), "{error}");
        let mut value = serde_json::to_value(minimal_plan()).unwrap();
        value["state_serial"] = json!(-1);
        let error = Plan::from_file_text(&sign(value), &state).unwrap_err();
        assert!(matches!(error, PlanFileError::Unreadable(_)), "{error}");
        for text in ["", "[]", "null", "{\"format\": 1}", &"[".repeat(100_000)] {
            let error = Plan::from_file_text(text, &state).unwrap_err();
            assert!(matches!(error, PlanFileError::Unreadable(_)), "{error}");
        }
    }

    #[test]
    fn a_redacted_input_keeps_its_real_length() {
        assert_eq!(redacted_input("name:$6$hash\n"), "(sensitive: 13 bytes)");
        assert_eq!(redacted_input_length(&redacted_input("name:$6$hash\n")), Some(13));
        for other in ["(sensitive)", "(sensitive: x bytes)", "", "(sensitive: 4 bytes) ", "4 bytes"]
        {
            assert_eq!(redacted_input_length(other), None, "{other}");
        }
    }
}
