//! Rows as both backends read them back, turned into the API's records:
//! one place that decides what a row must hold to be a record (JSON that
//! parses, known kinds and statuses, ids and pids in range), so SQLite and
//! PostgreSQL refuse the same damage with the same words.
//!
//! Invariant: nothing here panics on what a store returns; a row that does
//! not make sense is [`StateError::Corrupt`] about the store at `path`.

use std::path::Path;

use serde_json::{Map, Value, json};

use crate::error::StateError;
use crate::process::Writer;
use crate::types::{
    AuditRecord, EventRecord, InstanceKey, InstanceRecord, LockInfo, RunId, RunKind, RunRecord,
    RunStatus,
};

/// A run row: id, kind, status, ir_hash, started_at, finished_at, summary, owner, host, pid.
pub(crate) type RawRun =
    (i64, String, String, String, String, Option<String>, Option<String>, String, String, i64);

/// An instance row: host, resource, resource_type, desired_hash,
/// observed_hash, observed, last_run, updated_at.
pub(crate) type RawInstance =
    (String, String, String, String, String, Option<String>, Option<i64>, String);

/// An event row: id, at, host, resource, kind, detail.
pub(crate) type RawEvent = (i64, String, Option<String>, Option<String>, String, String);

/// An audit row: id, at, owner, host, pid, action, detail.
pub(crate) type RawAudit = (i64, String, String, String, i64, String, String);

pub(crate) fn json(path: &Path, text: &str, what: &str) -> Result<Value, StateError> {
    serde_json::from_str(text)
        .map_err(|error| StateError::corrupt(path, format!("{what} is not JSON: {error}")))
}

pub(crate) fn unsigned(path: &Path, value: i64, what: &str) -> Result<u64, StateError> {
    u64::try_from(value)
        .map_err(|_| StateError::corrupt(path, format!("{what} {value} is negative")))
}

pub(crate) fn pid(path: &Path, value: i64) -> Result<u32, StateError> {
    u32::try_from(value)
        .map_err(|_| StateError::corrupt(path, format!("process id {value} is out of range")))
}

/// `value` as the stores' signed integers: [`StateError::InvalidArgument`] when too large.
pub(crate) fn signed(path: &Path, value: u64, what: &str) -> Result<i64, StateError> {
    i64::try_from(value).map_err(|_| StateError::InvalidArgument {
        path: path.to_path_buf(),
        detail: format!("{what} {value} is too large to store"),
    })
}

pub(crate) fn status(path: &Path, text: &str) -> Result<RunStatus, StateError> {
    RunStatus::parse(text)
        .ok_or_else(|| StateError::corrupt(path, format!("unknown run status `{text}`")))
}

pub(crate) fn run_record(path: &Path, raw: RawRun) -> Result<RunRecord, StateError> {
    let (id, kind, status_text, ir_hash, started_at, finished_at, summary, owner, host, pid_value) =
        raw;
    Ok(RunRecord {
        id: RunId(unsigned(path, id, "run id")?),
        kind: RunKind::parse(&kind)
            .ok_or_else(|| StateError::corrupt(path, format!("unknown run kind `{kind}`")))?,
        status: status(path, &status_text)?,
        ir_hash,
        started_at,
        finished_at,
        summary: summary.map(|text| json(path, &text, "run summary")).transpose()?,
        owner,
        host,
        pid: pid(path, pid_value)?,
    })
}

pub(crate) fn event_record(
    path: &Path,
    run: RunId,
    raw: RawEvent,
) -> Result<EventRecord, StateError> {
    let (id, at, host, resource, kind, detail) = raw;
    Ok(EventRecord {
        id: unsigned(path, id, "event id")?,
        run,
        at,
        instance: match (host, resource) {
            (Some(host), Some(resource)) => Some(InstanceKey { host, resource }),
            _ => None,
        },
        kind,
        detail: json(path, &detail, "event detail")?,
    })
}

pub(crate) fn instance_record(path: &Path, raw: RawInstance) -> Result<InstanceRecord, StateError> {
    let (
        host,
        resource,
        resource_type,
        desired_hash,
        observed_hash,
        observed,
        last_run,
        updated_at,
    ) = raw;
    let observed = match observed {
        None => None,
        Some(text) => match json(path, &text, "observed properties")? {
            Value::Object(map) => Some(map),
            _ => {
                return Err(StateError::corrupt(
                    path,
                    format!("the observed properties of {resource} on {host} are not an object"),
                ));
            }
        },
    };
    Ok(InstanceRecord {
        key: InstanceKey { host, resource },
        resource_type,
        desired_hash,
        observed_hash,
        observed,
        last_run: last_run.map(|id| unsigned(path, id, "run id").map(RunId)).transpose()?,
        updated_at,
    })
}

pub(crate) fn audit_record(path: &Path, raw: RawAudit) -> Result<AuditRecord, StateError> {
    let (id, at, owner, host, pid_value, action, detail) = raw;
    Ok(AuditRecord {
        id: unsigned(path, id, "audit id")?,
        at,
        owner,
        host,
        pid: pid(path, pid_value)?,
        action,
        detail: json(path, &detail, "audit detail")?,
    })
}

/// A record's observed properties as the stores keep them (JSON text).
pub(crate) fn observed_text(
    path: &Path,
    record: &InstanceRecord,
) -> Result<Option<String>, StateError> {
    record
        .observed
        .as_ref()
        .map(|map: &Map<String, Value>| {
            serde_json::to_string(map).map_err(|error| StateError::InvalidArgument {
                path: path.to_path_buf(),
                detail: format!(
                    "the observed properties of {} cannot be written as JSON: {error}",
                    record.key
                ),
            })
        })
        .transpose()
}

/// The summary a run interrupted by `writer` gets: why, and who noticed.
pub(crate) fn interrupted_summary(reason: &str, writer: &Writer) -> String {
    json!({
        "interrupted": reason,
        "detected_by": { "owner": writer.user, "host": writer.host, "pid": writer.pid },
    })
    .to_string()
}

/// A lock holder as the audit log records it.
pub(crate) fn info_json(info: &LockInfo) -> Value {
    serde_json::to_value(info).unwrap_or(Value::Null)
}
