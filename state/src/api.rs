//! [`State`]: a workspace's state, whichever backend holds it. The engine
//! and CLI use only this type; it forwards to the [`Backend`] it was opened
//! with and keeps what is the same for every backend (the location, keyed
//! hashes of sensitive values).

use std::path::Path;

use serde_json::{Map, Value};

use crate::backend::Backend;
use crate::error::StateError;
use crate::guard::{LockGuard, LockTiming};
use crate::location::StateLocation;
use crate::postgres::Postgres;
use crate::secrets::{self, DerivedKey};
use crate::sqlite::Sqlite;
use crate::types::{
    AuditRecord, EventRecord, InstanceKey, InstanceRecord, LockInfo, PlanOutdated, RunId, RunKind,
    RunRecord, RunStatus,
};

/// A workspace's state: runs and events, instance state, saved plans, the
/// audit log and the lock, in SQLite or PostgreSQL.
///
/// `Send` but not `Sync`: move it to the thread that writes, or wrap it in a mutex.
pub struct State {
    location: StateLocation,
    backend: Box<dyn Backend>,
}

impl std::fmt::Debug for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("State").field("location", &self.location).finish_non_exhaustive()
    }
}

impl State {
    /// Opens (creating when missing) the SQLite state database at `path`,
    /// its parent directory and the secret key beside it, and migrates the
    /// schema.
    ///
    /// A file that is not a froyo state database, or a damaged one, is
    /// refused with [`StateError::Corrupt`] and left untouched; one from a
    /// newer froyo with [`StateError::TooNew`]; a missing or foreign
    /// `state.key` beside a state written with a key, with [`StateError::Key`].
    /// What froyo creates is private to its owner (0700 directory, 0600 files).
    pub fn open(path: &Path) -> Result<State, StateError> {
        Ok(State::sqlite(path, Sqlite::open(path)?))
    }

    /// Opens the SQLite state database at `path`, which must exist:
    /// [`StateError::Missing`] otherwise. Otherwise as [`State::open`].
    pub fn open_existing(path: &Path) -> Result<State, StateError> {
        Ok(State::sqlite(path, Sqlite::open_existing(path)?))
    }

    /// Opens the state at `location`. With `create`, a missing state is
    /// created (a SQLite file, or the workspace's rows in PostgreSQL);
    /// without, it is [`StateError::Missing`].
    ///
    /// PostgreSQL: the schema is created or migrated (under an advisory
    /// lock, so controllers starting at once migrate it once), and the
    /// team's secret key must be configured (`FROYO_STATE_KEY_FILE` or
    /// `FROYO_STATE_KEY`) and be the one the workspace was written with.
    pub fn open_location(location: &StateLocation, create: bool) -> Result<State, StateError> {
        match location {
            StateLocation::File(path) if create => State::open(path),
            StateLocation::File(path) => State::open_existing(path),
            StateLocation::Postgres(target) => Ok(State {
                location: location.clone(),
                backend: Box::new(Postgres::open(target, create)?),
            }),
        }
    }

    fn sqlite(path: &Path, backend: Sqlite) -> State {
        State { location: StateLocation::File(path.to_path_buf()), backend: Box::new(backend) }
    }

    /// Where this state lives.
    pub fn location(&self) -> &StateLocation {
        &self.location
    }

    /// What is wrong with the permissions of the state's files: one line
    /// each for a SQLite database and its key when other users can read them.
    pub fn permission_warnings(&self) -> Vec<String> {
        self.backend.permission_warnings()
    }

    /// Changes how locks taken from now on keep their heartbeat.
    pub fn set_lock_timing(&mut self, timing: LockTiming) {
        self.backend.set_lock_timing(timing);
    }

    /// A full check of the store ([`StateError::Corrupt`] with the findings).
    pub fn check_integrity(&self) -> Result<(), StateError> {
        self.backend.check_integrity()
    }

    /// The number of committed changes to instance state so far.
    pub fn serial(&self) -> Result<u64, StateError> {
        self.backend.serial()
    }

    /// Saves a plan document under `id`. Saving the same document again is a
    /// no-op; a different document under an existing id is refused.
    pub fn save_plan(
        &self,
        id: &str,
        ir_hash: &str,
        serial: u64,
        document: &str,
    ) -> Result<(), StateError> {
        self.backend.save_plan(id, ir_hash, serial, document)
    }

    /// The document saved under `id`.
    pub fn plan(&self, id: &str) -> Result<Option<String>, StateError> {
        self.backend.plan(id)
    }

    /// Why the saved plan `id` must not be applied any more, if it must
    /// not: it is not recorded in this state, or an apply run since it was
    /// saved applied something else (another plan, or the workspace) and
    /// changed or may have changed hosts. Runs of the plan itself do not
    /// count: a plan interrupted half-way can be applied again.
    pub fn plan_outdated(&self, id: &str) -> Result<Option<PlanOutdated>, StateError> {
        self.backend.plan_outdated(id)
    }

    /// Appends an entry to the audit log, signed with this process's user, host and pid.
    pub fn audit(&self, action: &str, detail: &Value) -> Result<(), StateError> {
        self.backend.audit(action, detail)
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StateError> {
        self.backend.audit_log(limit)
    }

    /// Replaces each property named in `sensitive` by `hmac-sha256:<hex>` of its
    /// canonical JSON, keyed with this workspace's secret key. Properties not
    /// named are copied as they are; names not present are ignored.
    pub fn protect(
        &self,
        properties: &Map<String, Value>,
        sensitive: &[String],
    ) -> Map<String, Value> {
        secrets::protect(self.backend.key(), properties, sensitive)
    }

    /// A key for one `purpose` (for example `"froyo saved plan v1"`),
    /// derived from this workspace's secret key: what authenticates data that
    /// leaves the state (a saved plan) without exposing the secret key itself.
    pub fn derive_key(&self, purpose: &str) -> DerivedKey {
        self.backend.key().derive(purpose)
    }

    /// Records the start of a run and returns its id.
    pub fn begin_run(&self, kind: RunKind, ir_hash: &str) -> Result<RunId, StateError> {
        self.backend.begin_run(kind, ir_hash)
    }

    /// Records an event of `run`, about one instance or the whole run.
    pub fn event(
        &self,
        run: RunId,
        instance: Option<&InstanceKey>,
        kind: &str,
        detail: &Value,
    ) -> Result<(), StateError> {
        self.backend.event(run, instance, kind, detail)
    }

    /// Finishes a running run. `status` must not be [`RunStatus::Running`].
    pub fn finish_run(
        &self,
        run: RunId,
        status: RunStatus,
        summary: &Value,
    ) -> Result<(), StateError> {
        self.backend.finish_run(run, status, summary)
    }

    /// The newest `limit` runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StateError> {
        self.backend.runs(limit)
    }

    /// One run and its events in the order they were recorded.
    pub fn run(&self, id: RunId) -> Result<Option<(RunRecord, Vec<EventRecord>)>, StateError> {
        self.backend.run(id)
    }

    /// The apply runs that applied the plan `plan_id`, oldest first: those
    /// with a `plan` event whose detail names it (the engine records one as
    /// each apply begins).
    pub fn runs_applying_plan(&self, plan_id: &str) -> Result<Vec<RunId>, StateError> {
        self.backend.runs_applying_plan(plan_id)
    }

    /// What the store remembers of one instance.
    pub fn instance(&self, key: &InstanceKey) -> Result<Option<InstanceRecord>, StateError> {
        self.backend.instance(key)
    }

    /// Every instance, ordered by host, then resource.
    pub fn instances(&self) -> Result<Vec<InstanceRecord>, StateError> {
        self.backend.instances()
    }

    /// Writes one instance's record, as written by `run` (its `last_run` is
    /// ignored and `run` stored instead).
    pub fn put_instance(&self, run: RunId, record: &InstanceRecord) -> Result<(), StateError> {
        self.backend.put_instances(run, std::slice::from_ref(record))
    }

    /// Writes many records in one transaction, as written by `run`.
    pub fn put_instances(&self, run: RunId, records: &[InstanceRecord]) -> Result<(), StateError> {
        self.backend.put_instances(run, records)
    }

    /// Forgets one instance (it was deleted by `run`). Removing an instance the
    /// store does not know is a no-op that leaves the serial alone.
    pub fn remove_instance(&self, run: RunId, key: &InstanceKey) -> Result<(), StateError> {
        self.backend.remove_instance(run, key)
    }

    /// Takes the workspace lock for `operation` (`apply`, `plan`, `drift`, ...).
    ///
    /// Fails with [`StateError::Held`] while a live process holds it. A dead
    /// holder is taken over: its running runs become interrupted and the
    /// takeover is written to the audit log.
    pub fn lock(&self, operation: &str) -> Result<LockGuard, StateError> {
        self.backend.lock(operation)
    }

    /// The work this workspace's runs share with workers (`froyo apply
    /// --workers`, `froyo worker`), through a connection of its own:
    /// [`StateError::WorkersNeedPostgres`] unless the state is in PostgreSQL.
    pub fn work_queue(&self) -> Result<crate::WorkQueue, StateError> {
        self.backend.work_queue()
    }

    /// Who holds the lock, if anyone, judged alive or dead now.
    pub fn lock_info(&self) -> Result<Option<LockInfo>, StateError> {
        self.backend.lock_info()
    }

    /// Breaks the lock on behalf of `who`, and writes that to the audit log.
    /// Returns the holder it removed. A holder known to be alive is refused
    /// ([`StateError::Held`]) unless `force`. If that holder was dead, its
    /// running runs are marked interrupted; a live one stops before its next
    /// write ([`StateError::LockLost`]) and its heartbeat notices
    /// ([`LockGuard::is_held`] turns false).
    pub fn unlock(&self, who: &str, force: bool) -> Result<Option<LockInfo>, StateError> {
        self.backend.unlock(who, force)
    }
}
