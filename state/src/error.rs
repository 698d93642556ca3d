//! [`StateError`]: everything that can go wrong with the state store.
//!
//! Every variant names the file it is about, so a message read on its own says
//! which workspace's state failed and how.
//! SQLite's "corrupt" and "not a database" codes always become
//! [`StateError::Corrupt`], wherever they surface, so callers can tell "this file
//! is damaged, nothing was changed" from a passing failure.
//!
//! Invariant: no variant is created by a panic path; the store never panics on
//! what it reads from disk.

use std::fmt;
use std::path::PathBuf;

use crate::types::{LockInfo, RunId, RunStatus};

/// What went wrong in the state store.
#[derive(Debug)]
pub enum StateError {
    /// The file is not a SQLite database, is damaged, or is not froyo's.
    /// It was left untouched.
    Corrupt { path: PathBuf, detail: String },
    /// The database was written by a newer froyo, whose schema this one does
    /// not know.
    TooNew { path: PathBuf, found: u32, supported: u32 },
    /// Another live process holds the workspace lock.
    Held(Box<LockInfo>),
    /// The run does not exist.
    NoSuchRun { path: PathBuf, run: RunId },
    /// `finish_run` on a run that is no longer running (finished, or
    /// interrupted after its process was found dead).
    RunNotRunning { path: PathBuf, run: RunId, status: RunStatus },
    /// A plan with this id is already saved with a different document.
    PlanExists { path: PathBuf, id: String },
    /// The caller passed something the store cannot record.
    InvalidArgument { path: PathBuf, detail: String },
    /// SQLite failed (busy past the timeout, disk full, I/O error, ...).
    Sqlite { path: PathBuf, action: String, source: rusqlite::Error },
    /// A file next to the database (its directory, the secret key) failed.
    Io { path: PathBuf, action: String, source: std::io::Error },
    /// The state's secret key is missing, or is not the one the database
    /// was written with. Nothing was changed.
    Key { path: PathBuf, key: PathBuf, missing: bool },
    /// There is no state database at `path`, and the command does not create one.
    Missing { path: PathBuf },
    /// This process took the lock and lost it (broken by `froyo state
    /// unlock --force`, or taken over): it writes nothing more.
    LockLost { path: PathBuf },
    /// The state location the user gave cannot be used (a PostgreSQL URL
    /// without a workspace id, or with a password, ...). Nothing was opened.
    InvalidLocation { detail: String },
    /// PostgreSQL failed (cannot connect, refused the login, lost the
    /// connection, ...).
    Postgres { path: PathBuf, action: String, source: postgres::Error },
    /// The team's secret key for a PostgreSQL state is not configured, or
    /// is not the one the workspace was written with. Nothing was changed.
    TeamKey { path: PathBuf, detail: String },
    /// The PostgreSQL server is reached through a proxy that pools
    /// connections per transaction, which breaks the session-level advisory
    /// lock the workspace lock relies on.
    SessionLocksUnsupported { path: PathBuf },
    /// Work was to be shared with workers (`froyo apply --workers`,
    /// `froyo worker`), but the state is not in PostgreSQL.
    WorkersNeedPostgres { path: PathBuf },
}

impl StateError {
    /// Wraps a SQLite error; corruption codes become [`StateError::Corrupt`].
    pub(crate) fn sqlite(path: &std::path::Path, action: &str, source: rusqlite::Error) -> Self {
        use rusqlite::ErrorCode;
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StateError::Corrupt {
                path: path.to_path_buf(),
                detail: format!("{source}, found trying to {action}"),
            },
            _ => {
                StateError::Sqlite { path: path.to_path_buf(), action: action.to_string(), source }
            }
        }
    }

    /// Wraps a PostgreSQL error; data-corruption states become [`StateError::Corrupt`].
    pub(crate) fn postgres(path: &std::path::Path, action: &str, source: postgres::Error) -> Self {
        use postgres::error::SqlState;
        match source.code() {
            Some(code)
                if *code == SqlState::DATA_CORRUPTED || *code == SqlState::INDEX_CORRUPTED =>
            {
                StateError::Corrupt {
                    path: path.to_path_buf(),
                    detail: format!("{source}, found trying to {action}"),
                }
            }
            _ => StateError::Postgres {
                path: path.to_path_buf(),
                action: action.to_string(),
                source,
            },
        }
    }

    pub(crate) fn io(path: &std::path::Path, action: &str, source: std::io::Error) -> Self {
        StateError::Io { path: path.to_path_buf(), action: action.to_string(), source }
    }

    pub(crate) fn corrupt(path: &std::path::Path, detail: impl Into<String>) -> Self {
        StateError::Corrupt { path: path.to_path_buf(), detail: detail.into() }
    }
}

/// The state store's error codes: code, name, meaning (listed in
/// `docs/runtime-errors.md` with the engine's).
pub const STATE_CODES: &[(&str, &str, &str)] = &[
    (
        "E1201",
        "state-failed",
        "The state could not be read or written (SQLite busy past its timeout, a disk full, a PostgreSQL statement failed, a run or plan that does not exist).",
    ),
    (
        "E1231",
        "state-location-invalid",
        "`--state` or `FROYO_STATE` names a PostgreSQL state that cannot be used: no `workspace=` id, a password in the URL (give it in `PGPASSWORD` or `~/.pgpass`), a parameter the driver rejects, an unreadable `sslrootcert`. Nothing was opened.",
    ),
    (
        "E1232",
        "state-unreachable",
        "The PostgreSQL server could not be reached or refused the login: check the host, port and database, the user's password (`PGPASSWORD`, `~/.pgpass`), and TLS (`sslmode`, `sslrootcert`).",
    ),
    (
        "E1233",
        "state-key",
        "The state's secret key is missing or is not the one the state was written with: `.froyo/state.key` beside a SQLite state, the team's key (`FROYO_STATE_KEY_FILE`, `FROYO_STATE_KEY`) for PostgreSQL. Nothing was changed; see docs/state.md.",
    ),
    (
        "E1234",
        "state-corrupt",
        "The state is damaged or is not froyo's: refused and left untouched.",
    ),
    ("E1235", "state-too-new", "The state was written by a newer froyo: upgrade froyo to use it."),
    (
        "E1236",
        "state-missing",
        "There is no state where `--state` points (a file, or a workspace id in a PostgreSQL database), and the command only reads one: check the name; `froyo apply` creates it.",
    ),
    (
        "E1237",
        "state-locked",
        "Another live run holds the workspace's lock: wait for it, or break the lock of a run that is gone with `froyo state unlock`.",
    ),
    (
        "E1238",
        "state-lock-lost",
        "This run's lock was broken (`froyo state unlock --force`) or taken over: it stopped before writing more. Check `froyo state audit`, then run again.",
    ),
    (
        "E1239",
        "state-session-locks-unsupported",
        "The PostgreSQL server is reached through a proxy that pools connections per transaction (PgBouncer in `transaction` mode), which breaks the session advisory lock the workspace lock relies on: connect directly or through a session-pooling proxy.",
    ),
    (
        "E1240",
        "state-workers-need-postgres",
        "`froyo apply --workers` and `froyo worker` share a run's work through the state, which must then be in PostgreSQL: pass `--state postgres://…` (or set `FROYO_STATE`) on the coordinator and on every worker.",
    ),
];

impl StateError {
    /// The error's stable code (see [`STATE_CODES`]).
    pub fn code(&self) -> &'static str {
        match self {
            StateError::InvalidLocation { .. } => "E1231",
            StateError::Postgres { source, .. } if source.as_db_error().is_none() => "E1232",
            StateError::Postgres { source, .. }
                if source.code().is_some_and(|code| {
                    // Authentication, connection exceptions, and the server
                    // going away (shutdown, crash, not accepting yet, or an
                    // administrator terminating the session).
                    code.code().starts_with("28")
                        || code.code().starts_with("08")
                        || ["57P01", "57P02", "57P03"].contains(&code.code())
                }) =>
            {
                "E1232"
            }
            StateError::Key { .. } | StateError::TeamKey { .. } => "E1233",
            StateError::Corrupt { .. } => "E1234",
            StateError::TooNew { .. } => "E1235",
            StateError::Missing { .. } => "E1236",
            StateError::Held(_) => "E1237",
            StateError::LockLost { .. } => "E1238",
            StateError::SessionLocksUnsupported { .. } => "E1239",
            StateError::WorkersNeedPostgres { .. } => "E1240",
            _ => "E1201",
        }
    }
}

impl fmt::Display for StateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateError::Corrupt { path, detail } => write!(
                f,
                "state database {} is not a usable froyo state database ({detail}); \
                 it was left untouched: move it aside to start with an empty state",
                path.display()
            ),
            StateError::TooNew { path, found, supported } => write!(
                f,
                "state database {} has schema version {found}, written by a newer froyo; \
                 this froyo knows versions up to {supported}: upgrade froyo to use it",
                path.display()
            ),
            StateError::Held(info) => write!(
                f,
                "the workspace is locked by {}@{} (pid {}) for `{}` since {}, last heartbeat {} ({}); \
                 wait for it to finish, or break the lock if that process is gone",
                info.owner,
                info.host,
                info.pid,
                info.operation,
                info.acquired_at,
                info.heartbeat_at,
                info.alive
            ),
            StateError::NoSuchRun { path, run } => {
                write!(f, "state database {}: there is no run {run}", path.display())
            }
            StateError::RunNotRunning { path, run, status } => write!(
                f,
                "state database {}: run {run} cannot be finished, it is already {status}",
                path.display()
            ),
            StateError::PlanExists { path, id } => write!(
                f,
                "state database {}: a different plan with id `{id}` is already saved",
                path.display()
            ),
            StateError::InvalidArgument { path, detail } => {
                write!(f, "state database {}: {detail}", path.display())
            }
            StateError::Sqlite { path, action, source } => {
                write!(f, "state database {}: could not {action}: {source}", path.display())
            }
            StateError::Io { path, action, source } => {
                write!(f, "{}: could not {action}: {source}", path.display())
            }
            StateError::Key { path, key, missing: true } => write!(
                f,
                "the state key {} is missing, but state database {} was written with it \
                 (recorded sensitive values are compared through it): restore it from a backup \
                 of this workspace; if it is lost for good, move the state aside to start over \
                 (froyo then forgets what it manages)",
                key.display(),
                path.display()
            ),
            StateError::Key { path, key, missing: false } => write!(
                f,
                "the state key {} is not the one state database {} was written with: \
                 restore the right key beside it, or move the state aside to start over",
                key.display(),
                path.display()
            ),
            StateError::LockLost { path } => write!(
                f,
                "state database {}: this run lost the workspace lock (broken with \
                 `froyo state unlock --force`, or taken over by another run) and stopped \
                 before writing more; check `froyo state audit`, then run again",
                path.display()
            ),
            StateError::InvalidLocation { detail } => {
                write!(f, "the PostgreSQL state location cannot be used: {detail}")
            }
            StateError::Postgres { path, action, source } => {
                write!(
                    f,
                    "state {}: could not {action}: {}",
                    path.display(),
                    postgres_message(source)
                )
            }
            StateError::TeamKey { path, detail } => write!(
                f,
                "state {}: {detail}; a PostgreSQL state is keyed with the team's secret key, \
                 given in FROYO_STATE_KEY_FILE (a file of 64 hex digits, mode 0600) or \
                 FROYO_STATE_KEY (see docs/state.md)",
                path.display()
            ),
            StateError::SessionLocksUnsupported { path } => write!(
                f,
                "state {}: the server does not keep a session's advisory lock across \
                 statements, as happens behind a proxy that pools connections per transaction \
                 (PgBouncer in transaction mode): the workspace lock would not hold; connect \
                 froyo to PostgreSQL directly, or through a session-pooling proxy",
                path.display()
            ),
            StateError::WorkersNeedPostgres { path } => write!(
                f,
                "state {}: workers share a run's work through a PostgreSQL state, and this \
                 state is a local file: pass `--state postgres://…?workspace=ID` (or set \
                 FROYO_STATE) on the coordinator and on every worker",
                path.display()
            ),
            StateError::Missing { path } => write!(
                f,
                "there is no state database at {}: check the path (`froyo apply` creates one)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for StateError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            StateError::Sqlite { source, .. } => Some(source),
            StateError::Io { source, .. } => Some(source),
            StateError::Postgres { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// A PostgreSQL error as one line: the server's message and detail when it
/// sent one, else the driver's (connection refused, TLS, ...) with its cause.
fn postgres_message(error: &postgres::Error) -> String {
    if let Some(server) = error.as_db_error() {
        let mut text = format!("{} ({})", server.message(), server.code().code());
        if let Some(detail) = server.detail() {
            text.push_str(": ");
            text.push_str(detail);
        }
        return text;
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_listed_once() {
        let path = PathBuf::from("state.db");
        let samples = [
            StateError::corrupt(&path, "x"),
            StateError::TooNew { path: path.clone(), found: 9, supported: 1 },
            StateError::NoSuchRun { path: path.clone(), run: RunId(1) },
            StateError::InvalidLocation { detail: String::new() },
            StateError::TeamKey { path: path.clone(), detail: String::new() },
            StateError::Key { path: path.clone(), key: path.clone(), missing: true },
            StateError::Missing { path: path.clone() },
            StateError::LockLost { path: path.clone() },
            StateError::SessionLocksUnsupported { path },
        ];
        for error in &samples {
            let listed = STATE_CODES.iter().filter(|(code, ..)| *code == error.code()).count();
            assert_eq!(listed, 1, "{} of {error}", error.code());
        }
        let mut codes: Vec<_> = STATE_CODES.iter().map(|(code, ..)| *code).collect();
        codes.dedup();
        assert_eq!(codes.len(), STATE_CODES.len());
    }
}
