//! The plain data the store reads and writes: keys, records, run kinds and
//! statuses, lock information.
//!
//! These are the store's API, not its schema: how they map to tables is the
//! business of the modules that read and write them.
//! They derive serde so the CLI can print them as JSON.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a saved plan is not applied any more.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanOutdated {
    /// The state has no record of the plan (it was made with another state,
    /// or its record was lost).
    NotRecorded,
    /// This apply run, since the plan was saved, applied something else.
    Superseded { run: RunId },
}

/// A run's number, unique in one state database, increasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RunId(pub u64);

impl fmt::Display for RunId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    Plan,
    Apply,
    Drift,
}

/// Where a run is. Every run starts `Running`; [`State::finish_run`](crate::State::finish_run)
/// moves it to one of the others, or the lock takeover marks it `Interrupted`
/// when its process is found dead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    Interrupted,
}

impl RunKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunKind::Plan => "plan",
            RunKind::Apply => "apply",
            RunKind::Drift => "drift",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<RunKind> {
        Some(match text {
            "plan" => RunKind::Plan,
            "apply" => RunKind::Apply,
            "drift" => RunKind::Drift,
            _ => return None,
        })
    }
}

impl RunStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<RunStatus> {
        Some(match text {
            "running" => RunStatus::Running,
            "succeeded" => RunStatus::Succeeded,
            "failed" => RunStatus::Failed,
            "interrupted" => RunStatus::Interrupted,
            _ => return None,
        })
    }
}

impl fmt::Display for RunKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One run: a plan, an apply or a drift check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: RunId,
    pub kind: RunKind,
    pub status: RunStatus,
    pub ir_hash: String,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC; `None` while running.
    pub finished_at: Option<String>,
    /// What `finish_run` (or the takeover that interrupted it) recorded.
    pub summary: Option<serde_json::Value>,
    /// The user, host and process that began the run.
    pub owner: String,
    pub host: String,
    pub pid: u32,
}

/// One event of a run, in the order they were recorded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventRecord {
    /// Increasing across the whole database.
    pub id: u64,
    pub run: RunId,
    /// RFC 3339 UTC.
    pub at: String,
    pub instance: Option<InstanceKey>,
    pub kind: String,
    pub detail: serde_json::Value,
}

/// A resource instance: one resource of the IR on one host.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct InstanceKey {
    pub host: String,
    pub resource: String,
}

impl fmt::Display for InstanceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} on {}", self.resource, self.host)
    }
}

/// What the store remembers of one instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstanceRecord {
    pub key: InstanceKey,
    pub resource_type: String,
    pub desired_hash: String,
    pub observed_hash: String,
    /// Observed properties, already passed through [`State::protect`](crate::State::protect)
    /// by the caller: the store writes them as given.
    pub observed: Option<serde_json::Map<String, serde_json::Value>>,
    /// The run that last wrote this record. On write it is ignored: the store
    /// records the `run` passed to `put_instance`/`put_instances`.
    pub last_run: Option<RunId>,
    /// RFC 3339 UTC, as given by the caller.
    pub updated_at: String,
}

/// Whether the process holding the lock still runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Liveness {
    /// Same host, its process exists and its heartbeat is recent.
    Alive,
    /// Same host and its process is gone, or its heartbeat is older than the
    /// stale limit (60 s by default).
    Dead,
    /// Another host, with a recent heartbeat: the process cannot be checked
    /// from here, so the lock counts as held until the heartbeat goes stale.
    Unknown,
}

impl fmt::Display for Liveness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Liveness::Alive => "alive",
            Liveness::Dead => "dead",
            Liveness::Unknown => "on another host, cannot be checked",
        })
    }
}

/// Who holds the workspace lock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// The user.
    pub owner: String,
    pub pid: u32,
    pub host: String,
    /// What it is doing: `apply`, `plan`, `drift`, ...
    pub operation: String,
    /// RFC 3339 UTC, milliseconds.
    pub acquired_at: String,
    /// RFC 3339 UTC, milliseconds.
    pub heartbeat_at: String,
    /// Judged when the information was read.
    pub alive: Liveness,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    pub id: u64,
    /// RFC 3339 UTC.
    pub at: String,
    /// The user, host and process that wrote it.
    pub owner: String,
    pub host: String,
    pub pid: u32,
    pub action: String,
    pub detail: serde_json::Value,
}
