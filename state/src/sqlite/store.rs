//! [`Sqlite`]: one connection to one workspace's state database, and the small
//! parts of its API (serial, plans, audit log, secrets); runs, instances and
//! the lock have their own modules.
//!
//! Every write is one SQLite transaction (a single statement, or an explicit
//! `BEGIN IMMEDIATE` ... `COMMIT`), so a process killed at any moment leaves
//! the database as it was before or after each call, never between.
//! JSON travels as text columns; text that does not parse on the way back is
//! reported as corruption, never unwrapped.
//!
//! Boundary: the engine and CLI use this API; the tables are private to the crate.

use std::os::unix::fs::{DirBuilderExt as _, OpenOptionsExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use serde_json::Value;

use super::schema;
use crate::error::StateError;
use crate::guard::LockTiming;
use crate::process::Writer;
use crate::secrets::SecretKey;
use crate::time;
use crate::types::AuditRecord;
use crate::types::{PlanOutdated, RunId};

/// A workspace's state database, through one connection.
///
/// `Send` but not `Sync`: move it to the thread that writes, or wrap it in a mutex.
pub struct Sqlite {
    pub(crate) path: PathBuf,
    pub(crate) connection: Connection,
    pub(crate) key: SecretKey,
    pub(crate) writer: Writer,
    /// Unique to this `Sqlite`: runs and locks record it, so a takeover knows
    /// which runs died with their holder.
    pub(crate) session: String,
    pub(crate) timing: LockTiming,
    /// The token of the lock this state took, while its guard lives: every
    /// write checks, in its transaction, that the lock is still that one.
    pub(crate) holding: std::sync::Arc<std::sync::Mutex<Option<String>>>,
}

impl std::fmt::Debug for Sqlite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sqlite")
            .field("path", &self.path)
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

impl Sqlite {
    /// Opens (creating when missing) the state database at `path`, its parent
    /// directory and the secret key beside it, and migrates the schema.
    ///
    /// A file that is not a froyo state database, or a damaged one (empty,
    /// or failing SQLite's quick check), is refused with
    /// [`StateError::Corrupt`] and left untouched; one from a newer froyo
    /// with [`StateError::TooNew`]; a missing or foreign `state.key` beside
    /// a state written with a key, with [`StateError::Key`].
    ///
    /// What froyo creates is private to its owner: the directory (0700),
    /// the database (0600, SQLite's journal files follow it) and the key
    /// (0600). A new database is built under another name and linked into
    /// place complete, so an empty `state.db` is always damage.
    pub fn open(path: &Path) -> Result<Sqlite, StateError> {
        let directory = directory_of(path);
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(directory)
            .map_err(|error| StateError::io(directory, "create the state directory", error))?;
        if std::fs::symlink_metadata(path).is_err() {
            create(path)?;
        }
        Sqlite::open_existing(path)
    }

    /// Opens the state database at `path`, which must exist:
    /// [`StateError::Missing`] otherwise. Otherwise as [`Sqlite::open`].
    pub fn open_existing(path: &Path) -> Result<Sqlite, StateError> {
        if std::fs::symlink_metadata(path).is_err() {
            return Err(StateError::Missing { path: path.to_path_buf() });
        }
        schema::check_header(path)?;
        let connection = schema::connect(path)?;
        let version = schema::identify(&connection, path)?;
        schema::configure(&connection, path)?;
        if version < schema::SCHEMA_VERSION {
            schema::migrate(&connection, path)?;
        }
        schema::quick_check(&connection, path)?;
        let key = schema::key(&connection, path, &directory_of(path).join("state.key"))?;
        let writer = Writer::current();
        Ok(Sqlite {
            path: path.to_path_buf(),
            connection,
            key,
            session: crate::process::new_session(&writer.host),
            writer,
            timing: LockTiming::default(),
            holding: std::sync::Arc::default(),
        })
    }

    /// What is wrong with the permissions of the state's files: one line
    /// each for the database and its key when other users can read them.
    pub fn permission_warnings(&self) -> Vec<String> {
        let key = directory_of(&self.path).join("state.key");
        [&self.path, &key]
            .into_iter()
            .filter_map(|file| {
                let mode = std::fs::metadata(file).ok()?.permissions().mode() & 0o777;
                (mode & 0o077 != 0).then(|| {
                    format!(
                        "{} can be read by other users (mode {mode:o}) and holds what froyo \
                         recorded of your hosts: run `chmod 600 {}`",
                        file.display(),
                        file.display()
                    )
                })
            })
            .collect()
    }

    /// Runs SQLite's full `PRAGMA integrity_check`; [`StateError::Corrupt`]
    /// with SQLite's findings when it finds anything.
    pub fn check_integrity(&self) -> Result<(), StateError> {
        let mut statement = self
            .connection
            .prepare("PRAGMA integrity_check")
            .map_err(self.failed("check integrity"))?;
        let findings = statement
            .query_map([], |row| row.get::<_, String>(0))
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(self.failed("check integrity"))?;
        if findings.len() == 1 && findings[0] == "ok" {
            Ok(())
        } else {
            Err(StateError::corrupt(&self.path, findings.join("; ")))
        }
    }

    /// The number of committed changes to instance state so far.
    pub fn serial(&self) -> Result<u64, StateError> {
        let value: i64 = self
            .connection
            .prepare_cached("SELECT value FROM serial WHERE id = 1")
            .and_then(|mut statement| statement.query_row([], |row| row.get(0)))
            .map_err(self.failed("read the serial"))?;
        self.unsigned(value, "serial")
    }

    // --- plans ---

    /// Saves a plan document under `id`. Saving the same document again is a
    /// no-op; a different document under an existing id is refused.
    pub fn save_plan(
        &self,
        id: &str,
        ir_hash: &str,
        serial: u64,
        document: &str,
    ) -> Result<(), StateError> {
        let serial = self.signed(serial, "plan serial")?;
        let transaction = self.write("save a plan")?;
        let existing: Option<String> = transaction
            .prepare_cached("SELECT document FROM plans WHERE id = ?1")
            .and_then(|mut statement| statement.query_row([id], |row| row.get(0)).optional())
            .map_err(self.failed("save a plan"))?;
        match existing {
            Some(saved) if saved == document => return Ok(()),
            Some(_) => {
                return Err(StateError::PlanExists { path: self.path.clone(), id: id.to_string() });
            }
            None => {}
        }
        transaction
            .prepare_cached(
                "INSERT INTO plans (id, ir_hash, serial, document, created_at, last_run) \
                 VALUES (?1, ?2, ?3, ?4, ?5, (SELECT max(id) FROM runs))",
            )
            .and_then(|mut statement| {
                statement.execute(params![id, ir_hash, serial, document, time::now_rfc3339()])
            })
            .map_err(self.failed("save a plan"))?;
        transaction.commit().map_err(self.failed("save a plan"))
    }

    /// The document saved under `id`.
    pub fn plan(&self, id: &str) -> Result<Option<String>, StateError> {
        self.connection
            .prepare_cached("SELECT document FROM plans WHERE id = ?1")
            .and_then(|mut statement| statement.query_row([id], |row| row.get(0)).optional())
            .map_err(self.failed("read a plan"))
    }

    /// Why the saved plan `id` must not be applied any more, if it must
    /// not: it is not recorded in this state, or an apply run since it was
    /// saved applied something else (another plan, or the workspace) and
    /// changed or may have changed hosts. Runs of the plan itself do not
    /// count: a plan interrupted half-way can be applied again.
    pub fn plan_outdated(&self, id: &str) -> Result<Option<PlanOutdated>, StateError> {
        let recorded: Option<Option<i64>> = self
            .connection
            .prepare_cached("SELECT last_run FROM plans WHERE id = ?1")
            .and_then(|mut statement| statement.query_row([id], |row| row.get(0)).optional())
            .map_err(self.failed("read a plan"))?;
        let Some(last_run) = recorded else {
            return Ok(Some(PlanOutdated::NotRecorded));
        };
        let run: Option<i64> = self
            .connection
            .prepare_cached(
                "SELECT runs.id FROM runs \
                 WHERE runs.kind = 'apply' AND runs.id > ?2 \
                 AND NOT EXISTS (SELECT 1 FROM events WHERE events.run = runs.id \
                     AND events.kind = 'plan' AND json_valid(events.detail) \
                     AND json_extract(events.detail, '$.plan') = ?1) \
                 AND (runs.summary IS NULL OR NOT json_valid(runs.summary) \
                     OR coalesce(json_extract(runs.summary, '$.applied'), 1) > 0 \
                     OR coalesce(json_extract(runs.summary, '$.failed'), 1) > 0 \
                     OR coalesce(json_extract(runs.summary, '$.forgotten'), 1) > 0) \
                 ORDER BY runs.id LIMIT 1",
            )
            .and_then(|mut statement| {
                statement.query_row(params![id, last_run.unwrap_or(0)], |row| row.get(0)).optional()
            })
            .map_err(self.failed("read the runs since a plan"))?;
        run.map(|run| Ok(PlanOutdated::Superseded { run: RunId(self.unsigned(run, "run id")?) }))
            .transpose()
    }

    // --- audit log ---

    /// Appends an entry to the audit log, signed with this process's user, host and pid.
    pub fn audit(&self, action: &str, detail: &Value) -> Result<(), StateError> {
        insert_audit(&self.connection, &self.writer, action, detail)
            .map_err(self.failed("write the audit log"))
    }

    /// The newest `limit` audit entries, newest first.
    pub fn audit_log(&self, limit: usize) -> Result<Vec<AuditRecord>, StateError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut statement = self
            .connection
            .prepare_cached(
                "SELECT id, at, owner, host, pid, action, detail FROM audit \
                 ORDER BY id DESC LIMIT ?1",
            )
            .map_err(self.failed("read the audit log"))?;
        let rows = statement
            .query_map([limit], |row| {
                Ok((
                    row.get::<_, i64>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, String>(2)?,
                    row.get::<_, String>(3)?,
                    row.get::<_, i64>(4)?,
                    row.get::<_, String>(5)?,
                    row.get::<_, String>(6)?,
                ))
            })
            .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
            .map_err(self.failed("read the audit log"))?;
        rows.into_iter().map(|raw| crate::rows::audit_record(&self.path, raw)).collect()
    }

    // --- helpers for the other modules ---

    /// Maps a SQLite error to a [`StateError`] about this database.
    pub(crate) fn failed<'a>(
        &'a self,
        action: &'a str,
    ) -> impl FnOnce(rusqlite::Error) -> StateError + 'a {
        move |error| StateError::sqlite(&self.path, action, error)
    }

    /// `BEGIN IMMEDIATE`: takes the write lock now, so the transaction never
    /// fails half-way to upgrade from reading to writing.
    pub(crate) fn immediate(&self, action: &str) -> Result<rusqlite::Transaction<'_>, StateError> {
        rusqlite::Transaction::new_unchecked(&self.connection, TransactionBehavior::Immediate)
            .map_err(self.failed(action))
    }

    /// A write transaction: [`StateError::LockLost`] when this state took
    /// the lock and it is no longer its own (broken with `state unlock
    /// --force`, or taken over after this process stalled), so that nothing
    /// more is written by a run that lost its lock.
    pub(crate) fn write(&self, action: &str) -> Result<rusqlite::Transaction<'_>, StateError> {
        let transaction = self.immediate(action)?;
        self.check_holding(&transaction, action)?;
        Ok(transaction)
    }

    /// Whether the lock this state took, if any, is still its own.
    pub(crate) fn check_holding(
        &self,
        connection: &Connection,
        action: &str,
    ) -> Result<(), StateError> {
        let Some(expected) = crate::guard::held_token(&self.holding) else { return Ok(()) };
        let token: Option<String> = connection
            .prepare_cached("SELECT token FROM lock WHERE id = 1")
            .and_then(|mut statement| statement.query_row([], |row| row.get(0)).optional())
            .map_err(self.failed(action))?;
        if token.as_deref() == Some(expected.as_str()) {
            Ok(())
        } else {
            Err(StateError::LockLost { path: self.path.clone() })
        }
    }

    pub(crate) fn unsigned(&self, value: i64, what: &str) -> Result<u64, StateError> {
        crate::rows::unsigned(&self.path, value, what)
    }

    pub(crate) fn pid(&self, value: i64) -> Result<u32, StateError> {
        crate::rows::pid(&self.path, value)
    }

    pub(crate) fn signed(&self, value: u64, what: &str) -> Result<i64, StateError> {
        crate::rows::signed(&self.path, value, what)
    }
}

/// Appends an audit entry through `connection` (inside the caller's transaction, if any).
pub(crate) fn insert_audit(
    connection: &Connection,
    writer: &Writer,
    action: &str,
    detail: &Value,
) -> rusqlite::Result<()> {
    connection
        .prepare_cached(
            "INSERT INTO audit (at, owner, host, pid, action, detail) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![
            time::now_rfc3339(),
            writer.user,
            writer.host,
            writer.pid,
            action,
            detail.to_string()
        ])?;
    Ok(())
}

/// The directory holding the state database at `path`.
fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// Creates a new state database at `path`: built complete under another
/// name (mode 0600, schema migrated, its journal checkpointed), then
/// hard-linked into place, which never replaces a file another process
/// created meanwhile.
fn create(path: &Path) -> Result<(), StateError> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.{}.new", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
    let building = path.with_file_name(name);
    let result = build(&building).and_then(|()| match std::fs::hard_link(&building, path) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(StateError::io(path, "create the state database", error)),
    });
    for suffix in ["", "-wal", "-shm"] {
        let mut file = building.clone().into_os_string();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
    result
}

fn build(path: &Path) -> Result<(), StateError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|error| StateError::io(path, "create the state database", error))?;
    let connection = schema::connect(path)?;
    schema::identify(&connection, path)?;
    schema::configure(&connection, path)?;
    schema::migrate(&connection, path)?;
    // Closing the only connection checkpoints the journal into the file.
    connection.close().map_err(|(_, error)| StateError::sqlite(path, "close", error))
}
