//! [`StateLocation`]: where a workspace's state lives, as the user names it
//! (`--state`, `FROYO_STATE`): a SQLite file, or a PostgreSQL database and
//! the workspace's id in it.
//!
//! Invariant: a location never holds a password, so printing one (in an
//! error, a log line, `froyo state`) never prints a secret; a URL that
//! carries one is refused when it is parsed.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::error::StateError;
use crate::postgres::PostgresTarget;

/// Where a workspace's state lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateLocation {
    /// A SQLite database file (`.froyo/state.db` by default).
    File(PathBuf),
    /// One workspace's state in a PostgreSQL database.
    Postgres(PostgresTarget),
}

impl StateLocation {
    /// Reads what the user wrote: a `postgres://` or `postgresql://` URL is
    /// a PostgreSQL location (see [`PostgresTarget::parse`]), anything else a
    /// file path.
    pub fn parse(text: &str) -> Result<StateLocation, StateError> {
        if text.starts_with("postgres://") || text.starts_with("postgresql://") {
            PostgresTarget::parse(text).map(StateLocation::Postgres)
        } else {
            Ok(StateLocation::File(PathBuf::from(text)))
        }
    }

    /// The file, for a SQLite location.
    pub fn file(&self) -> Option<&Path> {
        match self {
            StateLocation::File(path) => Some(path),
            StateLocation::Postgres(_) => None,
        }
    }
}

impl fmt::Display for StateLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StateLocation::File(path) => path.display().fmt(f),
            StateLocation::Postgres(target) => target.fmt(f),
        }
    }
}
