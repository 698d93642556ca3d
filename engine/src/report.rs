//! What the engine tells its caller while it works, and what it returns.
//!
//! [`Reporter`] receives progress events (the CLI draws a live display on a
//! terminal and plain lines otherwise); [`ApplyReport`] and [`DriftReport`]
//! are the results, printed by the CLI and kept in state.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value as Json;

use crate::instance::Key;

/// A stage of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Connect,
    Probe,
    Plan,
    Apply,
    Verify,
}

impl Phase {
    pub fn label(self) -> &'static str {
        match self {
            Phase::Connect => "connecting",
            Phase::Probe => "probing",
            Phase::Plan => "planning",
            Phase::Apply => "applying",
            Phase::Verify => "verifying",
        }
    }
}

/// What one host has to do in a phase: changes, and checks (probes run
/// after the changes, which change nothing).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HostSteps {
    pub changes: usize,
    pub checks: usize,
}

impl HostSteps {
    pub fn total(&self) -> usize {
        self.changes + self.checks
    }
}

/// Progress events. Calls come from several threads.
pub trait Reporter: Send + Sync {
    /// A phase starts with `total` steps.
    fn begin(&self, _phase: Phase, _total: usize) {}
    /// Right after `begin`: how many of the phase's steps each host has
    /// (every one of them is then reported by `step`, also when the host is lost).
    fn hosts(&self, _phase: Phase, _steps: &BTreeMap<String, HostSteps>) {}
    /// One step of the phase is done: `message` says what happened to
    /// `address` on `key.host`, and `failed` whether it went wrong.
    fn step(&self, _phase: Phase, _key: &Key, _address: &str, _message: &str, _failed: bool) {}
    /// The phase is over.
    fn end(&self, _phase: Phase) {}
}

/// A reporter that says nothing.
pub struct Silent;

impl Reporter for Silent {}

/// What became of an instance in an apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing to do.
    Unchanged,
    /// Its operations ran (`ran` of them; guards may skip some).
    Applied {
        operations: usize,
        ran: usize,
    },
    /// Its apply-time checks passed.
    Checked,
    Failed {
        message: String,
    },
    /// Not attempted because something it waits for failed, was skipped or is stale.
    Skipped {
        because: String,
    },
    /// The host changed since the plan was made; not applied.
    Stale,
    /// A saved plan applied again: an earlier run of the same plan (`run`)
    /// applied this change and the host is still as it left it; nothing to do.
    AlreadyApplied {
        run: u64,
    },
    /// Removed from state (it left the configuration); the host was not touched.
    Forgotten,
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed { .. } | Outcome::Skipped { .. } | Outcome::Stale)
    }

    /// Its name: the `status` of the JSON report, and the `outcome` label of
    /// the instance metrics.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Unchanged => "unchanged",
            Outcome::Applied { .. } => "applied",
            Outcome::Checked => "checked",
            Outcome::Failed { .. } => "failed",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Stale => "stale",
            Outcome::AlreadyApplied { .. } => "already_applied",
            Outcome::Forgotten => "forgotten",
        }
    }
}

#[cfg(test)]
mod outcome_tests {
    use super::Outcome;

    #[test]
    fn the_status_is_the_name_the_json_report_gives() {
        for outcome in [
            Outcome::Unchanged,
            Outcome::Applied { operations: 2, ran: 1 },
            Outcome::Checked,
            Outcome::Failed { message: "no".into() },
            Outcome::Skipped { because: "no".into() },
            Outcome::Stale,
            Outcome::AlreadyApplied { run: 1 },
            Outcome::Forgotten,
        ] {
            let json = serde_json::to_value(&outcome).unwrap();
            assert_eq!(json["status"], outcome.status(), "{outcome:?}");
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct InstanceReport {
    pub key: Key,
    pub address: String,
    #[serde(flatten)]
    pub outcome: Outcome,
}

#[derive(Debug, Clone, Serialize)]
pub struct ApplyReport {
    pub run: u64,
    pub instances: Vec<InstanceReport>,
    /// Operations that ran on hosts (guards that skipped excluded).
    pub operations: usize,
    /// Batches sent to runners, handshakes included, over all hosts.
    pub round_trips: u64,
    pub duration_ms: u64,
    /// Hosts that could not be reached or were lost during the run, once each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_errors: Vec<crate::HostError>,
}

impl ApplyReport {
    pub fn failed(&self) -> bool {
        self.instances.iter().any(|instance| instance.outcome.is_failure())
    }

    pub fn count(&self, predicate: impl Fn(&Outcome) -> bool) -> usize {
        self.instances.iter().filter(|instance| predicate(&instance.outcome)).count()
    }
}

/// One property that differs between state and host.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Difference {
    pub property: String,
    pub recorded: Option<Json>,
    pub current: Option<Json>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftItem {
    pub key: Key,
    pub address: String,
    /// The instance exists in state but not on the host any more, or the reverse.
    pub differences: Vec<Difference>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DriftReport {
    pub run: u64,
    /// Instances compared with their record.
    pub checked: usize,
    /// Instances of the configuration with no record yet (never applied).
    pub unrecorded: Vec<String>,
    /// Instances that differ, or could not be probed.
    pub drifted: Vec<DriftItem>,
    pub round_trips: u64,
    /// Hosts that could not be reached or were lost during the run, once each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub host_errors: Vec<crate::HostError>,
}

impl DriftReport {
    pub fn has_drift(&self) -> bool {
        self.drifted.iter().any(|item| !item.differences.is_empty())
    }

    pub fn has_errors(&self) -> bool {
        self.drifted.iter().any(|item| item.error.is_some())
    }
}
