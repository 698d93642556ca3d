//! [`Backend`]: what a state store does, whatever holds the data. SQLite (a
//! file per workspace, the default) and PostgreSQL (one database shared by a
//! team's workspaces) implement it; [`crate::State`] is the one type the
//! engine and CLI see, and forwards to its backend.
//!
//! Every backend keeps the same promises, and `state/tests/conformance.rs`
//! runs the same tests against each: every write is one transaction; the
//! serial moves exactly when instance state changes; a run that lost the
//! lock writes nothing more; a dead lock holder is taken over with its
//! running runs interrupted and the takeover audited; nothing read back can
//! make the store panic.

use serde_json::Value;

use crate::error::StateError;
use crate::guard::{LockGuard, LockTiming};
use crate::secrets::SecretKey;
use crate::types::{
    AuditRecord, EventRecord, InstanceKey, InstanceRecord, LockInfo, PlanOutdated, RunId, RunKind,
    RunRecord, RunStatus,
};

/// One workspace's state in one store. See [`crate::State`]'s methods for
/// what each one promises.
pub(crate) trait Backend: Send {
    /// The key sensitive values are hashed with.
    fn key(&self) -> &SecretKey;
    fn set_lock_timing(&mut self, timing: LockTiming);
    fn permission_warnings(&self) -> Vec<String>;
    fn check_integrity(&self) -> Result<(), StateError>;
    fn serial(&self) -> Result<u64, StateError>;

    fn save_plan(
        &self,
        id: &str,
        ir_hash: &str,
        serial: u64,
        document: &str,
    ) -> Result<(), StateError>;
    fn plan(&self, id: &str) -> Result<Option<String>, StateError>;
    fn plan_outdated(&self, id: &str) -> Result<Option<PlanOutdated>, StateError>;

    fn audit(&self, action: &str, detail: &Value) -> Result<(), StateError>;
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StateError>;

    fn begin_run(&self, kind: RunKind, ir_hash: &str) -> Result<RunId, StateError>;
    fn event(
        &self,
        run: RunId,
        instance: Option<&InstanceKey>,
        kind: &str,
        detail: &Value,
    ) -> Result<(), StateError>;
    fn finish_run(&self, run: RunId, status: RunStatus, summary: &Value) -> Result<(), StateError>;
    fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StateError>;
    fn run(&self, id: RunId) -> Result<Option<(RunRecord, Vec<EventRecord>)>, StateError>;
    fn runs_applying_plan(&self, plan_id: &str) -> Result<Vec<RunId>, StateError>;

    fn instance(&self, key: &InstanceKey) -> Result<Option<InstanceRecord>, StateError>;
    fn instances(&self) -> Result<Vec<InstanceRecord>, StateError>;
    fn put_instances(&self, run: RunId, records: &[InstanceRecord]) -> Result<(), StateError>;
    fn remove_instance(&self, run: RunId, key: &InstanceKey) -> Result<(), StateError>;

    fn lock(&self, operation: &str) -> Result<LockGuard, StateError>;
    fn lock_info(&self) -> Result<Option<LockInfo>, StateError>;
    /// The work this workspace's runs share with workers, through a new
    /// connection; only a shared (PostgreSQL) store has it.
    fn work_queue(&self) -> Result<crate::WorkQueue, StateError>;
    fn unlock(&self, who: &str, force: bool) -> Result<Option<LockInfo>, StateError>;
}
