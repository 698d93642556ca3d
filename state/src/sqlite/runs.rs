//! Runs and their events: what each plan, apply and drift check did.
//!
//! A run is begun `running` and finished once, as succeeded, failed or
//! interrupted; a run whose process died is marked interrupted by the next
//! lock holder (see the `lock` module). Events belong to one run and keep the
//! order they were recorded in.
//!
//! Invariant: nothing here touches instance state, so nothing here moves the serial.

use rusqlite::{OptionalExtension, Row, params};
use serde_json::Value;

use super::store::Sqlite;
use crate::error::StateError;
use crate::rows::RawRun;
use crate::time;
use crate::types::{EventRecord, InstanceKey, RunId, RunKind, RunRecord, RunStatus};

const RUN_COLUMNS: &str =
    "id, kind, status, ir_hash, started_at, finished_at, summary, owner, host, pid";

fn raw_run(row: &Row<'_>) -> rusqlite::Result<RawRun> {
    RawRun::try_from(row)
}

impl Sqlite {
    /// Records the start of a run and returns its id.
    pub fn begin_run(&self, kind: RunKind, ir_hash: &str) -> Result<RunId, StateError> {
        let id: i64 = self
            .connection
            .prepare_cached(
                "INSERT INTO runs (kind, status, ir_hash, started_at, owner, host, pid, session) \
                 VALUES (?1, 'running', ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
            )
            .and_then(|mut statement| {
                statement.query_row(
                    params![
                        kind.as_str(),
                        ir_hash,
                        time::now_rfc3339(),
                        self.writer.user,
                        self.writer.host,
                        self.writer.pid,
                        self.session
                    ],
                    |row| row.get(0),
                )
            })
            .map_err(self.failed("begin a run"))?;
        Ok(RunId(self.unsigned(id, "run id")?))
    }

    /// Records an event of `run`, about one instance or the whole run.
    pub fn event(
        &self,
        run: RunId,
        instance: Option<&InstanceKey>,
        kind: &str,
        detail: &Value,
    ) -> Result<(), StateError> {
        let run_id = self.run_number(run)?;
        self.check_holding(&self.connection, "record an event")?;
        let result = self
            .connection
            .prepare_cached(
                "INSERT INTO events (run, at, host, resource, kind, detail) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    run_id,
                    time::now_rfc3339(),
                    instance.map(|key| &key.host),
                    instance.map(|key| &key.resource),
                    kind,
                    detail.to_string()
                ])
            });
        match result {
            Ok(_) => Ok(()),
            Err(error) if is_foreign_key_violation(&error) => {
                Err(StateError::NoSuchRun { path: self.path.clone(), run })
            }
            Err(error) => Err(self.failed("record an event")(error)),
        }
    }

    /// Finishes a running run. `status` must not be [`RunStatus::Running`].
    pub fn finish_run(
        &self,
        run: RunId,
        status: RunStatus,
        summary: &Value,
    ) -> Result<(), StateError> {
        if status == RunStatus::Running {
            return Err(StateError::InvalidArgument {
                path: self.path.clone(),
                detail: format!("run {run} cannot be finished as `running`"),
            });
        }
        let run_id = self.run_number(run)?;
        let transaction = self.write("finish a run")?;
        let current: Option<String> = transaction
            .prepare_cached("SELECT status FROM runs WHERE id = ?1")
            .and_then(|mut statement| statement.query_row([run_id], |row| row.get(0)).optional())
            .map_err(self.failed("finish a run"))?;
        let current = match current {
            None => {
                return Err(StateError::NoSuchRun { path: self.path.clone(), run });
            }
            Some(text) => self.status(&text)?,
        };
        if current != RunStatus::Running {
            return Err(StateError::RunNotRunning {
                path: self.path.clone(),
                run,
                status: current,
            });
        }
        transaction
            .prepare_cached(
                "UPDATE runs SET status = ?2, finished_at = ?3, summary = ?4 WHERE id = ?1",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    run_id,
                    status.as_str(),
                    time::now_rfc3339(),
                    summary.to_string()
                ])
            })
            .map_err(self.failed("finish a run"))?;
        transaction.commit().map_err(self.failed("finish a run"))
    }

    /// The newest `limit` runs, newest first.
    pub fn runs(&self, limit: usize) -> Result<Vec<RunRecord>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let raw = self
            .connection
            .prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?1"))
            .and_then(|mut statement| {
                statement.query_map([limit], raw_run)?.collect::<Result<Vec<_>, _>>()
            })
            .map_err(self.failed("read runs"))?;
        raw.into_iter().map(|run| self.run_record(run)).collect()
    }

    /// One run and its events in the order they were recorded.
    pub fn run(&self, id: RunId) -> Result<Option<(RunRecord, Vec<EventRecord>)>, StateError> {
        let Ok(run_id) = i64::try_from(id.0) else {
            return Ok(None);
        };
        let raw = self
            .connection
            .prepare_cached(&format!("SELECT {RUN_COLUMNS} FROM runs WHERE id = ?1"))
            .and_then(|mut statement| statement.query_row([run_id], raw_run).optional())
            .map_err(self.failed("read a run"))?;
        let Some(raw) = raw else {
            return Ok(None);
        };
        let record = self.run_record(raw)?;
        let raw_events = self
            .connection
            .prepare_cached(
                "SELECT id, at, host, resource, kind, detail FROM events \
                 WHERE run = ?1 ORDER BY id",
            )
            .and_then(|mut statement| {
                statement
                    .query_map([run_id], |row| {
                        Ok((
                            row.get::<_, i64>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, Option<String>>(2)?,
                            row.get::<_, Option<String>>(3)?,
                            row.get::<_, String>(4)?,
                            row.get::<_, String>(5)?,
                        ))
                    })?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(self.failed("read a run's events"))?;
        let events = raw_events
            .into_iter()
            .map(|raw| crate::rows::event_record(&self.path, id, raw))
            .collect::<Result<Vec<_>, StateError>>()?;
        Ok(Some((record, events)))
    }

    /// The apply runs that applied the plan `plan_id`, oldest first: those
    /// with a `plan` event whose detail names it (the engine records one as
    /// each apply begins).
    pub fn runs_applying_plan(&self, plan_id: &str) -> Result<Vec<RunId>, StateError> {
        let raw = self
            .connection
            .prepare_cached(
                "SELECT DISTINCT events.run FROM events JOIN runs ON runs.id = events.run \
                 WHERE runs.kind = 'apply' AND events.kind = 'plan' \
                 AND json_valid(events.detail) AND json_extract(events.detail, '$.plan') = ?1 \
                 ORDER BY events.run",
            )
            .and_then(|mut statement| {
                statement
                    .query_map([plan_id], |row| row.get::<_, i64>(0))?
                    .collect::<Result<Vec<_>, _>>()
            })
            .map_err(self.failed("read the runs of a plan"))?;
        raw.into_iter().map(|id| Ok(RunId(self.unsigned(id, "run id")?))).collect()
    }

    fn run_record(&self, raw: RawRun) -> Result<RunRecord, StateError> {
        crate::rows::run_record(&self.path, raw)
    }

    fn status(&self, text: &str) -> Result<RunStatus, StateError> {
        crate::rows::status(&self.path, text)
    }

    /// The run's id as SQLite stores it; an id too large to store names no run.
    pub(crate) fn run_number(&self, run: RunId) -> Result<i64, StateError> {
        i64::try_from(run.0).map_err(|_| StateError::NoSuchRun { path: self.path.clone(), run })
    }
}

/// Whether `error` is a `FOREIGN KEY constraint failed`: a run id that does not exist.
pub(crate) fn is_foreign_key_violation(error: &rusqlite::Error) -> bool {
    matches!(
        error,
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY
    )
}
