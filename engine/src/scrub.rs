//! Scrubbing: the sensitive values of a run never leave it through what
//! hosts or providers say.
//!
//! A command's output, an error message, a provider's note can repeat any
//! value the run handles: `echo $TOKEN >&2; exit 3` with `TOKEN` in a
//! sensitive `env` puts the token in the runner's error message. Rather than
//! hoping each printer, report and state write remembers to hide it, every
//! text enters the engine through one of two doors, and both scrub it:
//!
//! - [`ScrubbedSession`] wraps every runner session the engine opens: error
//!   messages, command output (stdout and stderr) and session errors come
//!   out with every sensitive value replaced by `(sensitive)`, before the
//!   engine, its reporter, its reports or state see them. Probe *results*
//!   pass as they are, because providers compare them with desired values
//!   (`linux.user` compares the shadow hash with its `password`);
//! - [`Providers`] wraps the provider host: what a provider answers (its
//!   errors, notes, verify messages, and observed values and changes of
//!   properties that are not sensitive) is scrubbed the same way. Sensitive
//!   properties stay as they are: state keeps them as keyed hashes and
//!   printing redacts them by name ([`crate::plan::Plan::redacted`]).
//!
//! The values are [`Secrets`]: every scalar inside an instance's sensitive
//! properties and every host's `become_password`, learned when a plan is
//! made or applied. Each is looked for as it is, as JSON escapes it and as
//! Rust's `{:?}` does, and each line of a multi-line value on its own; the
//! end of a value is looked for where the runner may have cut output (at the
//! start of a text and after `…`).
//! Values shorter than [`MIN_LENGTH`] bytes are not looked for: replacing
//! every `1` or `on` of an output would leave nothing readable, and a
//! secret that short protects nothing anyway.
//!
//! Not scrubbed: what the configuration itself says outside its sensitive
//! properties (a `command` that spells a password out is printed as
//! written), and what goes to hosts (operations carry the real values).

use std::borrow::Cow;
use std::sync::{Arc, RwLock};

use froyo_ir::REDACTED;
use froyo_provider_api::{
    Change, Descriptor, PlanRequest, PlanResponse, ProbeRequest, ProbeResponse, VerifyRequest,
    VerifyResponse,
};
use froyo_runner_client::Hello;
use froyo_runner_protocol::{ApplyItem, ItemOutcome, OpOutcome, ProbeItem};
use serde_json::{Map, Value as Json};

use crate::error::HostError;
use crate::plan::{PlannedInstance, property_root};
use crate::transport::RunnerSession;

/// Values shorter than this (in bytes) are not scrubbed.
pub const MIN_LENGTH: usize = 4;

/// What marks text the runner cut (`…` and the end of a long output).
const CUT_MARK: char = '…';

/// The sensitive values of a run, looked for in what enters the engine.
#[derive(Default)]
pub struct Secrets {
    /// Every form to look for, longest first (a longer value that contains
    /// a shorter one is replaced whole).
    needles: RwLock<Vec<String>>,
}

impl std::fmt::Debug for Secrets {
    /// How many forms are looked for; never the values.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let count = self.needles.read().map_or(0, |needles| needles.len());
        write!(f, "Secrets({count} forms)")
    }
}

impl Secrets {
    /// Adds the sensitive values of `instances` and the `become_password`
    /// of `hosts`. Values learned earlier stay.
    pub fn learn(&self, instances: &[PlannedInstance], hosts: &[froyo_ir::Host]) {
        let mut values = Vec::new();
        for instance in instances {
            for name in &instance.sensitive {
                if let Some(value) = instance.properties.get(name) {
                    leaves(value, &mut values);
                }
            }
        }
        values.extend(hosts.iter().filter_map(|host| host.become_password.clone()));
        self.add(values);
    }

    /// Adds `values` (as they are, and their escaped forms and lines).
    pub fn add(&self, values: impl IntoIterator<Item = String>) {
        let mut forms = Vec::new();
        for value in values {
            for line in value.lines() {
                if line.len() != value.len() {
                    forms.push(line.trim().to_string());
                }
            }
            let json = Json::String(value.clone()).to_string();
            forms.push(json[1..json.len() - 1].to_string());
            let debug = format!("{value:?}");
            forms.push(debug[1..debug.len() - 1].to_string());
            forms.push(value);
        }
        let mut needles = self.needles.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        needles.extend(forms.into_iter().filter(|form| form.len() >= MIN_LENGTH));
        needles.sort_by(|left, right| right.len().cmp(&left.len()).then_with(|| left.cmp(right)));
        needles.dedup();
    }

    /// `text` with every sensitive value replaced by `(sensitive)`, and the
    /// end of one (at least [`MIN_LENGTH`] bytes) where a cut may have left
    /// it: at the start of `text` and right after a `…` (the runner keeps
    /// only the end of long output, and marks cut messages so).
    pub fn scrub<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let needles = self.needles.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        // The length of the longest proper end of a value that `rest` starts with.
        let cut = |rest: &str| -> Option<usize> {
            needles
                .iter()
                .flat_map(|needle| {
                    (1..=needle.len().saturating_sub(MIN_LENGTH))
                        .filter(|&start| needle.is_char_boundary(start))
                        .map(move |start| &needle[start..])
                })
                .filter(|end| rest.starts_with(end))
                .map(str::len)
                .max()
        };
        let whole = needles.iter().any(|needle| text.contains(needle.as_str()));
        let partial = cut(text).is_some()
            || text
                .match_indices(CUT_MARK)
                .any(|(at, mark)| cut(&text[at + mark.len()..]).is_some());
        if !whole && !partial {
            return Cow::Borrowed(text);
        }
        // One pass, longest value first at each position, so a replacement
        // is never searched again.
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        let mut after_cut = true;
        while let Some(character) = rest.chars().next() {
            let found =
                needles.iter().find(|needle| rest.starts_with(needle.as_str())).map(|n| n.len());
            match found.or_else(|| if after_cut { cut(rest) } else { None }) {
                Some(length) => {
                    out.push_str(REDACTED);
                    rest = &rest[length..];
                    after_cut = false;
                }
                None => {
                    out.push(character);
                    rest = &rest[character.len_utf8()..];
                    after_cut = character == CUT_MARK;
                }
            }
        }
        Cow::Owned(out)
    }

    /// Scrubs `text` in place.
    pub fn scrub_string(&self, text: &mut String) {
        if let Cow::Owned(scrubbed) = self.scrub(text) {
            *text = scrubbed;
        }
    }

    /// Scrubs every string inside `value` (object keys too).
    pub fn scrub_json(&self, value: &mut Json) {
        match value {
            Json::String(text) => self.scrub_string(text),
            Json::Array(items) => items.iter_mut().for_each(|item| self.scrub_json(item)),
            Json::Object(map) => {
                let entries = std::mem::take(map);
                for (key, mut item) in entries {
                    self.scrub_json(&mut item);
                    map.insert(self.scrub(&key).into_owned(), item);
                }
            }
            Json::Null | Json::Bool(_) | Json::Number(_) => {}
        }
    }

    /// Scrubs a runner's answer for one item: its error message and the
    /// output of its commands. A probe result is left as it is (see the
    /// module documentation).
    pub fn scrub_outcome(&self, outcome: &mut ItemOutcome) {
        let scrub_ops = |ops: &mut Vec<OpOutcome>| {
            for output in ops.iter_mut().filter_map(|op| op.output.as_mut()) {
                self.scrub_string(&mut output.stdout);
                self.scrub_string(&mut output.stderr);
            }
        };
        match outcome {
            ItemOutcome::Probed { .. } => {}
            ItemOutcome::Applied { ops } => scrub_ops(ops),
            ItemOutcome::Error { message, ops } => {
                self.scrub_string(message);
                scrub_ops(ops);
            }
        }
    }

    /// Scrubs a host error's message and help.
    pub fn scrub_host_error(&self, mut error: HostError) -> HostError {
        self.scrub_string(&mut error.message);
        self.scrub_string(&mut error.help);
        error
    }
}

/// Every scalar inside `value`, as text.
fn leaves(value: &Json, out: &mut Vec<String>) {
    match value {
        Json::String(text) => out.push(text.clone()),
        Json::Number(number) => out.push(number.to_string()),
        Json::Array(items) => items.iter().for_each(|item| leaves(item, out)),
        Json::Object(map) => map.values().for_each(|item| leaves(item, out)),
        Json::Null | Json::Bool(_) => {}
    }
}

/// A runner session whose answers are scrubbed before the engine sees them.
pub struct ScrubbedSession {
    inner: Box<dyn RunnerSession>,
    secrets: Arc<Secrets>,
}

impl ScrubbedSession {
    pub fn new(inner: Box<dyn RunnerSession>, secrets: Arc<Secrets>) -> ScrubbedSession {
        ScrubbedSession { inner, secrets }
    }
}

impl RunnerSession for ScrubbedSession {
    fn hello(&self) -> &Hello {
        self.inner.hello()
    }

    fn probe(&mut self, items: Vec<ProbeItem>) -> Result<Vec<(u64, ItemOutcome)>, String> {
        let mut answers =
            self.inner.probe(items).map_err(|error| self.secrets.scrub(&error).into_owned())?;
        for (_, outcome) in &mut answers {
            self.secrets.scrub_outcome(outcome);
        }
        Ok(answers)
    }

    fn apply(
        &mut self,
        parallelism: u32,
        items: Vec<ApplyItem>,
        on_item: &mut dyn FnMut(u64, &ItemOutcome),
    ) -> Result<Vec<(u64, ItemOutcome)>, String> {
        let secrets = self.secrets.clone();
        let mut scrubbed_on_item = |id: u64, outcome: &ItemOutcome| {
            let mut outcome = outcome.clone();
            secrets.scrub_outcome(&mut outcome);
            on_item(id, &outcome);
        };
        let mut answers = self
            .inner
            .apply(parallelism, items, &mut scrubbed_on_item)
            .map_err(|error| self.secrets.scrub(&error).into_owned())?;
        for (_, outcome) in &mut answers {
            self.secrets.scrub_outcome(outcome);
        }
        Ok(answers)
    }

    fn round_trips(&self) -> u64 {
        self.inner.round_trips()
    }

    fn close(self: Box<Self>) {
        self.inner.close();
    }
}

/// The provider host, with what providers answer scrubbed.
#[derive(Clone)]
pub struct Providers {
    host: Arc<froyo_providers::Host>,
    secrets: Arc<Secrets>,
}

impl Providers {
    pub fn new(host: Arc<froyo_providers::Host>, secrets: Arc<Secrets>) -> Providers {
        Providers { host, secrets }
    }

    pub fn descriptor(&self, type_name: &str) -> Option<&Descriptor> {
        self.host.descriptor(type_name)
    }

    /// The probes a resource needs (they go to the host as they are), or why not.
    pub fn probe(&self, type_name: &str, request: &ProbeRequest) -> Result<ProbeResponse, String> {
        let _span = tracing::debug_span!("provider.probe", resource_type = %type_name).entered();
        self.host.probe(type_name, request).map_err(|error| self.error(error))
    }

    /// A resource's plan: notes, and the observed values and changes of the
    /// properties not in `sensitive`, scrubbed; operations and checks as
    /// they are (they go to the host).
    pub fn plan(
        &self,
        type_name: &str,
        request: &PlanRequest,
        sensitive: &[String],
    ) -> Result<PlanResponse, String> {
        let mut response = self.host.plan(type_name, request).map_err(|error| self.error(error))?;
        let hidden = |property: &str| {
            let root = property_root(property);
            sensitive.iter().any(|name| name == root)
        };
        if let Some(observed) = &mut response.observed {
            let entries = std::mem::take(observed);
            *observed = entries
                .into_iter()
                .map(|(name, mut value)| {
                    if !hidden(&name) {
                        self.secrets.scrub_json(&mut value);
                    }
                    (name, value)
                })
                .collect::<Map<String, Json>>();
        }
        for Change { property, before, after } in &mut response.changes {
            if !hidden(property) {
                for value in [before, after].into_iter().flatten() {
                    self.secrets.scrub_json(value);
                }
            }
        }
        for note in &mut response.notes {
            self.secrets.scrub_string(note);
        }
        Ok(response)
    }

    /// A provider's verdict on an apply-time check, its message scrubbed.
    pub fn verify(
        &self,
        type_name: &str,
        request: &VerifyRequest,
    ) -> Result<VerifyResponse, String> {
        let _span = tracing::debug_span!("provider.verify", resource_type = %type_name).entered();
        let mut response =
            self.host.verify(type_name, request).map_err(|error| self.error(error))?;
        self.secrets.scrub_string(&mut response.message);
        Ok(response)
    }

    fn error(&self, error: froyo_providers::ProviderError) -> String {
        self.secrets.scrub(&error.to_string()).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(values: &[&str]) -> Secrets {
        let secrets = Secrets::default();
        secrets.add(values.iter().map(|value| value.to_string()));
        secrets
    }

    #[test]
    fn every_form_of_a_value_is_replaced_and_short_ones_are_left() {
        let secrets = secrets(&["hunter22", "ab", "multi\nline \"secret\"", "pass"]);
        let check = |text: &str, expected: &str| assert_eq!(secrets.scrub(text), expected);
        check("nothing here", "nothing here");
        check("x=hunter22; y=hunter22", "x=(sensitive); y=(sensitive)");
        check("ab is too short", "ab is too short");
        check("json: \"multi\\nline \\\"secret\\\"\"", "json: \"(sensitive)\"");
        check("first: multi; second: line \"secret\"", "first: (sensitive); second: (sensitive)");
        // A longer value is replaced whole, and a replacement is not searched again.
        check("password: pass hunter22", "(sensitive)word: (sensitive) (sensitive)");
        check("é hunter22 ü", "é (sensitive) ü");
    }

    #[test]
    fn the_end_of_a_value_left_by_a_cut_is_replaced() {
        let secrets = secrets(&["abcdefgh-secret"]);
        let check = |text: &str, expected: &str| assert_eq!(secrets.scrub(text), expected);
        // The runner keeps the end of long output, and marks a cut message with `…`.
        check("gh-secret\nmore", "(sensitive)\nmore");
        check(
            "exited with status 3: …cret and more",
            "exited with status 3: …(sensitive) and more",
        );
        check("…ret", "…ret");
        // Elsewhere only whole values are replaced.
        check("x gh-secret", "x gh-secret");
        check("abcdefgh-secret…abcdefgh-secret", "(sensitive)…(sensitive)");
    }

    #[test]
    fn runner_outcomes_lose_their_secrets_but_probe_results_stay() {
        use froyo_runner_protocol::{CommandOutput, ProbeResult};
        let secrets = secrets(&["s3cr3t-token"]);
        let output = CommandOutput {
            status: Some(3),
            stdout: "out s3cr3t-token".into(),
            stderr: "err s3cr3t-token".into(),
            timed_out: false,
        };
        let mut error = ItemOutcome::Error {
            message: "command exited 3: s3cr3t-token".into(),
            ops: vec![OpOutcome { ran: true, output: Some(output.clone()) }],
        };
        secrets.scrub_outcome(&mut error);
        let text = serde_json::to_string(&error).unwrap_or_default();
        assert!(!text.contains("s3cr3t-token") && text.contains("(sensitive)"), "{text}");
        let mut probed = ItemOutcome::Probed { result: ProbeResult::Command(output) };
        let before = probed.clone();
        secrets.scrub_outcome(&mut probed);
        assert_eq!(probed, before);
    }

    #[test]
    fn json_values_and_keys_are_scrubbed() {
        let secrets = secrets(&["topsecret"]);
        let mut value = serde_json::json!({"a": ["x topsecret"], "topsecret": 1, "n": 5});
        secrets.scrub_json(&mut value);
        assert_eq!(value, serde_json::json!({"a": ["x (sensitive)"], "(sensitive)": 1, "n": 5}));
        assert!(!format!("{secrets:?}").contains("topsecret"));
    }
}
