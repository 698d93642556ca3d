//! The SQLite backend: one file per workspace (`.froyo/state.db`), the
//! default. Reading order: `store` (the connection and the small parts),
//! `schema` (file checks and migrations), `runs`, `instances`, `lock`.
//!
//! The database runs in WAL mode with `synchronous=NORMAL`, foreign keys on
//! and a busy timeout; every write is one transaction. The secret key lives
//! in `state.key` beside the database, never inside it.

mod instances;
mod lock;
mod runs;
mod schema;
mod store;

pub(crate) use schema::SCHEMA_VERSION;
pub(crate) use store::Sqlite;

use serde_json::Value;

use crate::backend::Backend;
use crate::error::StateError;
use crate::guard::{LockGuard, LockTiming};
use crate::secrets::SecretKey;
use crate::types::{
    AuditRecord, EventRecord, InstanceKey, InstanceRecord, LockInfo, PlanOutdated, RunId, RunKind,
    RunRecord, RunStatus,
};

impl Backend for Sqlite {
    fn key(&self) -> &SecretKey {
        &self.key
    }
    fn set_lock_timing(&mut self, timing: LockTiming) {
        self.timing = timing;
    }
    fn permission_warnings(&self) -> Vec<String> {
        Sqlite::permission_warnings(self)
    }
    fn check_integrity(&self) -> Result<(), StateError> {
        Sqlite::check_integrity(self)
    }
    fn serial(&self) -> Result<u64, StateError> {
        Sqlite::serial(self)
    }
    fn save_plan(
        &self,
        id: &str,
        ir_hash: &str,
        serial: u64,
        document: &str,
    ) -> Result<(), StateError> {
        Sqlite::save_plan(self, id, ir_hash, serial, document)
    }
    fn plan(&self, id: &str) -> Result<Option<String>, StateError> {
        Sqlite::plan(self, id)
    }
    fn plan_outdated(&self, id: &str) -> Result<Option<PlanOutdated>, StateError> {
        Sqlite::plan_outdated(self, id)
    }
    fn audit(&self, action: &str, detail: &Value) -> Result<(), StateError> {
        Sqlite::audit(self, action, detail)
    }
    fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StateError> {
        Sqlite::audit_log(self, limit)
    }
    fn begin_run(&self, kind: RunKind, ir_hash: &str) -> Result<RunId, StateError> {
        Sqlite::begin_run(self, kind, ir_hash)
    }
    fn event(
        &self,
        run: RunId,
        instance: Option<&InstanceKey>,
        kind: &str,
        detail: &Value,
    ) -> Result<(), StateError> {
        Sqlite::event(self, run, instance, kind, detail)
    }
    fn finish_run(&self, run: RunId, status: RunStatus, summary: &Value) -> Result<(), StateError> {
        Sqlite::finish_run(self, run, status, summary)
    }
    fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StateError> {
        Sqlite::runs(self, limit)
    }
    fn run(&self, id: RunId) -> Result<Option<(RunRecord, Vec<EventRecord>)>, StateError> {
        Sqlite::run(self, id)
    }
    fn runs_applying_plan(&self, plan_id: &str) -> Result<Vec<RunId>, StateError> {
        Sqlite::runs_applying_plan(self, plan_id)
    }
    fn instance(&self, key: &InstanceKey) -> Result<Option<InstanceRecord>, StateError> {
        Sqlite::instance(self, key)
    }
    fn instances(&self) -> Result<Vec<InstanceRecord>, StateError> {
        Sqlite::instances(self)
    }
    fn put_instances(&self, run: RunId, records: &[InstanceRecord]) -> Result<(), StateError> {
        Sqlite::put_instances(self, run, records)
    }
    fn remove_instance(&self, run: RunId, key: &InstanceKey) -> Result<(), StateError> {
        Sqlite::remove_instance(self, run, key)
    }
    fn lock(&self, operation: &str) -> Result<LockGuard, StateError> {
        Sqlite::lock(self, operation)
    }
    fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        Sqlite::lock_info(self)
    }
    fn work_queue(&self) -> Result<crate::WorkQueue, StateError> {
        Err(StateError::WorkersNeedPostgres { path: self.path.clone() })
    }
    fn unlock(&self, who: &str, force: bool) -> Result<Option<LockInfo>, StateError> {
        Sqlite::unlock(self, who, force)
    }
}
