//! The database file: opening a connection, checking the file is ours, and
//! the ordered list of schema migrations.
//!
//! A state database carries `PRAGMA application_id` = [`APPLICATION_ID`] and
//! `PRAGMA user_version` = the number of migrations applied.
//! Each migration runs in its own `BEGIN IMMEDIATE` transaction that re-reads
//! the version first, so two processes opening one file at once migrate it
//! once, and a crash mid-migration leaves the previous version intact.
//!
//! Invariants: a file that is not SQLite, or not froyo's, is refused before
//! anything is written to it; a version newer than [`SCHEMA_VERSION`] is
//! refused, never downgraded. Migrations are append-only: never edit one that
//! has shipped, add the next.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension as _, TransactionBehavior};

use crate::error::StateError;

/// `FROY` in ASCII: marks a SQLite file as a froyo state database.
pub(crate) const APPLICATION_ID: i32 = 0x4652_4f59;

/// How long a statement waits for another connection's write lock.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// The schema, one migration per version; index `n` takes version `n` to `n + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: runs, events, instances, the serial, plans, the audit log and the lock.
    r#"
    CREATE TABLE runs (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        kind        TEXT NOT NULL CHECK (kind IN ('plan', 'apply', 'drift')),
        status      TEXT NOT NULL
                    CHECK (status IN ('running', 'succeeded', 'failed', 'interrupted')),
        ir_hash     TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        summary     TEXT,
        owner       TEXT NOT NULL,
        host        TEXT NOT NULL,
        pid         INTEGER NOT NULL,
        -- The `State` that began it; a lock takeover interrupts the dead session's runs.
        session     TEXT NOT NULL
    );
    CREATE INDEX runs_running ON runs (session) WHERE status = 'running';

    CREATE TABLE events (
        id       INTEGER PRIMARY KEY AUTOINCREMENT,
        run      INTEGER NOT NULL REFERENCES runs (id),
        at       TEXT NOT NULL,
        host     TEXT,
        resource TEXT,
        kind     TEXT NOT NULL,
        detail   TEXT NOT NULL,
        CHECK ((host IS NULL) = (resource IS NULL))
    );
    CREATE INDEX events_by_run ON events (run, id);

    CREATE TABLE instances (
        host          TEXT NOT NULL,
        resource      TEXT NOT NULL,
        resource_type TEXT NOT NULL,
        desired_hash  TEXT NOT NULL,
        observed_hash TEXT NOT NULL,
        observed      TEXT,
        last_run      INTEGER REFERENCES runs (id),
        updated_at    TEXT NOT NULL,
        PRIMARY KEY (host, resource)
    ) WITHOUT ROWID;

    -- Bumped by every committed change to `instances`.
    CREATE TABLE serial (
        id    INTEGER PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL
    );
    INSERT INTO serial (id, value) VALUES (1, 0);

    CREATE TABLE plans (
        id         TEXT PRIMARY KEY,
        ir_hash    TEXT NOT NULL,
        serial     INTEGER NOT NULL,
        document   TEXT NOT NULL,
        created_at TEXT NOT NULL
    );

    CREATE TABLE audit (
        id     INTEGER PRIMARY KEY AUTOINCREMENT,
        at     TEXT NOT NULL,
        owner  TEXT NOT NULL,
        host   TEXT NOT NULL,
        pid    INTEGER NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );

    -- At most one row: the holder of the workspace lock.
    CREATE TABLE lock (
        id           INTEGER PRIMARY KEY CHECK (id = 1),
        token        TEXT NOT NULL,
        session      TEXT NOT NULL,
        owner        TEXT NOT NULL,
        pid          INTEGER NOT NULL,
        host         TEXT NOT NULL,
        operation    TEXT NOT NULL,
        acquired_ms  INTEGER NOT NULL,
        heartbeat_ms INTEGER NOT NULL
    );
    "#,
    // 2: what recognises the state's secret key, so that a lost or swapped
    // key is an error instead of a silent new key.
    r#"
    CREATE TABLE key_check (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        fingerprint TEXT NOT NULL
    );
    "#,
    // 3: the newest run when a plan was saved, so that an apply since then
    // of anything else makes the saved plan outdated (NULL for plans saved
    // before: any such apply does).
    r#"
    ALTER TABLE plans ADD COLUMN last_run INTEGER;
    "#,
];

/// The schema version this froyo writes and reads.
pub(crate) const SCHEMA_VERSION: u32 = MIGRATIONS.len() as u32;

/// The first 16 bytes of every SQLite 3 database.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Refuses a file that exists, is not empty and does not start like a SQLite
/// database, before SQLite opens (and might write) it.
pub(crate) fn check_header(path: &Path) -> Result<(), StateError> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(error) => return Err(StateError::io(path, "open the state database", error)),
    };
    let mut header = Vec::with_capacity(16);
    file.by_ref()
        .take(16)
        .read_to_end(&mut header)
        .map_err(|error| StateError::io(path, "read the state database", error))?;
    if header == SQLITE_HEADER {
        Ok(())
    } else if header.is_empty() {
        // froyo creates a state complete, under another name, then links it
        // into place: an empty file was truncated, not being created.
        Err(StateError::corrupt(path, "the file is empty (truncated?)"))
    } else {
        Err(StateError::corrupt(path, "the file does not start with the SQLite header"))
    }
}

/// Opens a connection with a busy timeout and a statement cache, changing
/// nothing in the file yet.
pub(crate) fn connect(path: &Path) -> Result<Connection, StateError> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let connection = Connection::open_with_flags(path, flags)
        .map_err(|error| StateError::sqlite(path, "open", error))?;
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|error| StateError::sqlite(path, "set the busy timeout", error))?;
    connection.set_prepared_statement_cache_capacity(64);
    Ok(connection)
}

/// Sets the store's settings on a connection to a file known to be ours:
/// WAL, `synchronous=NORMAL`, foreign keys.
pub(crate) fn configure(connection: &Connection, path: &Path) -> Result<(), StateError> {
    // Switching a fresh file to WAL needs it to ourselves, and SQLite answers
    // "busy" at once rather than calling the busy handler: retry for as long
    // as the busy timeout would have waited.
    let deadline = std::time::Instant::now() + BUSY_TIMEOUT;
    let mode: String = loop {
        match connection.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0)) {
            Ok(mode) => break mode,
            Err(rusqlite::Error::SqliteFailure(failure, _))
                if failure.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(error) => return Err(StateError::sqlite(path, "switch to WAL mode", error)),
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StateError::InvalidArgument {
            path: path.to_path_buf(),
            detail: format!("SQLite refused WAL mode (journal mode is `{mode}`)"),
        });
    }
    connection
        .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;")
        .map_err(|error| StateError::sqlite(path, "set pragmas", error))
}

/// Reads the file's identity without writing: refuses a damaged schema, a
/// newer version and another application's database. Returns the version.
///
/// The header fields and the schema are read in one read transaction, so
/// they come from one snapshot even while another process migrates the file
/// (read one by one, a fresh file could look half ours).
pub(crate) fn identify(connection: &Connection, path: &Path) -> Result<u32, StateError> {
    if !connection.is_autocommit() {
        return identify_in_snapshot(connection, path);
    }
    connection
        .execute_batch("BEGIN DEFERRED")
        .map_err(|error| StateError::sqlite(path, "read the schema", error))?;
    let result = identify_in_snapshot(connection, path);
    // Nothing was written; ending the read transaction cannot lose anything.
    let _ = connection.execute_batch("COMMIT");
    result
}

fn identify_in_snapshot(connection: &Connection, path: &Path) -> Result<u32, StateError> {
    let (version, application_id) = versions(connection, path)?;
    // Reading the schema parses it: a damaged schema page shows up here.
    let objects: i64 = connection
        .query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get(0))
        .map_err(|error| StateError::sqlite(path, "read the schema", error))?;
    if version > SCHEMA_VERSION {
        return Err(StateError::TooNew {
            path: path.to_path_buf(),
            found: version,
            supported: SCHEMA_VERSION,
        });
    }
    let fresh = version == 0 && application_id == 0 && objects == 0;
    if application_id != APPLICATION_ID && !fresh {
        return Err(StateError::corrupt(
            path,
            format!(
                "a SQLite database of another application \
                 (application id {application_id:#x}, {objects} schema objects)"
            ),
        ));
    }
    Ok(version)
}

/// Brings the schema of a file [`identify`] accepted to [`SCHEMA_VERSION`].
pub(crate) fn migrate(connection: &Connection, path: &Path) -> Result<(), StateError> {
    loop {
        let transaction =
            rusqlite::Transaction::new_unchecked(connection, TransactionBehavior::Immediate)
                .map_err(|error| StateError::sqlite(path, "begin a migration", error))?;
        // Again inside the write lock: another process may have migrated meanwhile.
        let version = identify(&transaction, path)?;
        let Some(migration) = MIGRATIONS.get(version as usize) else {
            transaction
                .commit()
                .map_err(|error| StateError::sqlite(path, "end a migration", error))?;
            return Ok(());
        };
        let action = format!("migrate the schema to version {}", version + 1);
        transaction
            .execute_batch(migration)
            .and_then(|()| transaction.pragma_update(None, "user_version", version + 1))
            .and_then(|()| transaction.pragma_update(None, "application_id", APPLICATION_ID))
            .and_then(|()| transaction.commit())
            .map_err(|error| StateError::sqlite(path, &action, error))?;
    }
}

/// `user_version` and `application_id`, from the database header.
fn versions(connection: &Connection, path: &Path) -> Result<(u32, i32), StateError> {
    let version: i64 = connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|error| StateError::sqlite(path, "read the schema version", error))?;
    let application_id: i32 = connection
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(|error| StateError::sqlite(path, "read the application id", error))?;
    // user_version is a signed 32-bit header field; a negative one is not ours.
    let version = u32::try_from(version)
        .map_err(|_| StateError::corrupt(path, format!("schema version {version} is negative")))?;
    Ok((version, application_id))
}

/// SQLite's `PRAGMA quick_check`: every page of every table and index is
/// well formed. Damage anywhere is [`StateError::Corrupt`] at open, before
/// anything is read or written.
pub(crate) fn quick_check(connection: &Connection, path: &Path) -> Result<(), StateError> {
    let mut statement = connection
        .prepare("PRAGMA quick_check")
        .map_err(|error| StateError::sqlite(path, "check the database", error))?;
    let findings = statement
        .query_map([], |row| row.get::<_, String>(0))
        .and_then(|rows| rows.collect::<Result<Vec<_>, _>>())
        .map_err(|error| StateError::sqlite(path, "check the database", error))?;
    if findings.len() == 1 && findings[0] == "ok" {
        Ok(())
    } else {
        let mut detail = findings.into_iter().take(3).collect::<Vec<_>>().join("; ");
        detail.truncate(500);
        Err(StateError::corrupt(path, format!("SQLite's check found damage: {detail}")))
    }
}

/// The state's secret key at `key_path`, checked against the fingerprint
/// the database recorded; created (and recorded) for a state that has none yet.
pub(crate) fn key(
    connection: &Connection,
    path: &Path,
    key_path: &Path,
) -> Result<crate::secrets::SecretKey, StateError> {
    use crate::secrets::SecretKey;
    let failed = |error| StateError::sqlite(path, "read the key check", error);
    let recorded: Option<String> = connection
        .query_row("SELECT fingerprint FROM key_check WHERE id = 1", [], |row| row.get(0))
        .optional()
        .map_err(failed)?;
    let key = match (SecretKey::load(key_path)?, &recorded) {
        (Some(key), _) => key,
        (None, Some(_)) => {
            return Err(StateError::Key {
                path: path.to_path_buf(),
                key: key_path.to_path_buf(),
                missing: true,
            });
        }
        (None, None) => {
            // A state from before the key check: if it has runs, its
            // key existed and is gone.
            let used: bool = connection
                .query_row("SELECT EXISTS (SELECT 1 FROM runs)", [], |row| row.get(0))
                .map_err(failed)?;
            if used {
                return Err(StateError::Key {
                    path: path.to_path_buf(),
                    key: key_path.to_path_buf(),
                    missing: true,
                });
            }
            SecretKey::load_or_create(key_path)?
        }
    };
    let fingerprint = key.fingerprint();
    let recorded = match recorded {
        Some(recorded) => recorded,
        None => {
            // Two processes may record at once: the first one wins, both compare.
            connection
                .execute(
                    "INSERT OR IGNORE INTO key_check (id, fingerprint) VALUES (1, ?1)",
                    [&fingerprint],
                )
                .map_err(|error| StateError::sqlite(path, "record the key check", error))?;
            connection
                .query_row("SELECT fingerprint FROM key_check WHERE id = 1", [], |row| row.get(0))
                .map_err(failed)?
        }
    };
    if recorded != fingerprint {
        return Err(StateError::Key {
            path: path.to_path_buf(),
            key: key_path.to_path_buf(),
            missing: false,
        });
    }
    Ok(key)
}
