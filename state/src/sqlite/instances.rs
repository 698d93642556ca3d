//! Per-instance state: for each resource on each host, the hashes of what was
//! desired and observed, the observed properties (already protected), and the
//! run that wrote it last.
//!
//! The serial moves with instance state: a transaction that changes any
//! instance's type, hashes or observed properties, or removes one, adds one
//! to it, once. Rewriting a record with only a new `last_run` or `updated_at`
//! leaves it alone, so a converged apply does not make saved plans stale.
//!
//! Invariant: every write here is one `BEGIN IMMEDIATE` transaction that
//! includes its serial bump; the serial never disagrees with the rows.

use rusqlite::{OptionalExtension, Transaction, params};

use super::runs::is_foreign_key_violation;
use super::store::Sqlite;
use crate::error::StateError;
use crate::rows::RawInstance;
use crate::types::{InstanceKey, InstanceRecord, RunId};

const INSTANCE_COLUMNS: &str =
    "host, resource, resource_type, desired_hash, observed_hash, observed, last_run, updated_at";

/// A row as its tuple (rusqlite converts a row into a tuple of `FromSql`
/// values, column by column).
fn raw_instance(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawInstance> {
    RawInstance::try_from(row)
}

impl Sqlite {
    /// What the store remembers of one instance.
    pub fn instance(&self, key: &InstanceKey) -> Result<Option<InstanceRecord>, StateError> {
        let raw = self
            .connection
            .prepare_cached(&format!(
                "SELECT {INSTANCE_COLUMNS} FROM instances WHERE host = ?1 AND resource = ?2"
            ))
            .and_then(|mut statement| {
                statement.query_row([&key.host, &key.resource], raw_instance).optional()
            })
            .map_err(self.failed("read an instance"))?;
        raw.map(|raw| self.instance_record(raw)).transpose()
    }

    /// Every instance, ordered by host, then resource.
    pub fn instances(&self) -> Result<Vec<InstanceRecord>, StateError> {
        let raw = self
            .connection
            .prepare_cached(&format!(
                "SELECT {INSTANCE_COLUMNS} FROM instances ORDER BY host, resource"
            ))
            .and_then(|mut statement| {
                statement.query_map([], raw_instance)?.collect::<Result<Vec<_>, _>>()
            })
            .map_err(self.failed("read instances"))?;
        raw.into_iter().map(|raw| self.instance_record(raw)).collect()
    }

    /// Writes many records in one transaction, as written by `run`.
    pub fn put_instances(&self, run: RunId, records: &[InstanceRecord]) -> Result<(), StateError> {
        let run_id = self.run_number(run)?;
        let transaction = self.write("write instances")?;
        let mut changed = false;
        for record in records {
            changed |= self.write_instance(&transaction, run, run_id, record)?;
        }
        if changed {
            self.bump_serial(&transaction, "write instances")?;
        }
        transaction.commit().map_err(self.failed("write instances"))
    }

    /// Forgets one instance (it was deleted by `run`). Removing an instance the
    /// store does not know is a no-op that leaves the serial alone.
    pub fn remove_instance(&self, run: RunId, key: &InstanceKey) -> Result<(), StateError> {
        let run_id = self.run_number(run)?;
        let transaction = self.write("remove an instance")?;
        let run_exists = transaction
            .prepare_cached("SELECT 1 FROM runs WHERE id = ?1")
            .and_then(|mut statement| statement.exists([run_id]))
            .map_err(self.failed("remove an instance"))?;
        if !run_exists {
            return Err(StateError::NoSuchRun { path: self.path.clone(), run });
        }
        let removed = transaction
            .prepare_cached("DELETE FROM instances WHERE host = ?1 AND resource = ?2")
            .and_then(|mut statement| statement.execute([&key.host, &key.resource]))
            .map_err(self.failed("remove an instance"))?;
        if removed > 0 {
            self.bump_serial(&transaction, "remove an instance")?;
        }
        transaction.commit().map_err(self.failed("remove an instance"))
    }

    /// Upserts `record`; whether its content (not just its run or time) changed.
    fn write_instance(
        &self,
        transaction: &Transaction<'_>,
        run: RunId,
        run_id: i64,
        record: &InstanceRecord,
    ) -> Result<bool, StateError> {
        let observed = crate::rows::observed_text(&self.path, record)?;
        let key = &record.key;
        // Same content: only the run and time move, in one statement.
        let touched = transaction
            .prepare_cached(
                "UPDATE instances SET last_run = ?1, updated_at = ?2 \
                 WHERE host = ?3 AND resource = ?4 AND resource_type = ?5 \
                 AND desired_hash = ?6 AND observed_hash = ?7 AND observed IS ?8",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    run_id,
                    record.updated_at,
                    key.host,
                    key.resource,
                    record.resource_type,
                    record.desired_hash,
                    record.observed_hash,
                    observed
                ])
            });
        match touched {
            Ok(0) => {}
            Ok(_) => return Ok(false),
            Err(error) if is_foreign_key_violation(&error) => {
                return Err(StateError::NoSuchRun { path: self.path.clone(), run });
            }
            Err(error) => return Err(self.failed("write instances")(error)),
        }
        let written = transaction
            .prepare_cached(&format!(
                "INSERT INTO instances ({INSTANCE_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) \
                 ON CONFLICT (host, resource) DO UPDATE SET \
                 resource_type = excluded.resource_type, desired_hash = excluded.desired_hash, \
                 observed_hash = excluded.observed_hash, observed = excluded.observed, \
                 last_run = excluded.last_run, updated_at = excluded.updated_at"
            ))
            .and_then(|mut statement| {
                statement.execute(params![
                    key.host,
                    key.resource,
                    record.resource_type,
                    record.desired_hash,
                    record.observed_hash,
                    observed,
                    run_id,
                    record.updated_at
                ])
            });
        match written {
            Ok(_) => Ok(true),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StateError::NoSuchRun { path: self.path.clone(), run })
            }
            Err(error) => Err(self.failed("write instances")(error)),
        }
    }

    fn bump_serial(&self, transaction: &Transaction<'_>, action: &str) -> Result<(), StateError> {
        transaction
            .prepare_cached("UPDATE serial SET value = value + 1 WHERE id = 1")
            .and_then(|mut statement| statement.execute([]))
            .map_err(self.failed(action))
            .map(drop)
    }

    fn instance_record(&self, raw: RawInstance) -> Result<InstanceRecord, StateError> {
        crate::rows::instance_record(&self.path, raw)
    }
}
