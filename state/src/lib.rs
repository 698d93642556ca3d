//! froyo's state store: one SQLite file per workspace (`.froyo/state.db`).
//!
//! It holds the runs (plan, apply, drift) and their events, the state of each
//! resource instance (desired and observed hashes, observed properties, last
//! run), saved plans, an audit log, a serial that counts changes to instance
//! state, and the lock that keeps two applies off one workspace.
//!
//! Start at [`State::open`]. Reading order: `store` (the connection and the
//! small parts), `schema` (file checks and migrations), `runs`, `instances`,
//! `lock`, `secrets`.
//!
//! The database runs in WAL mode with `synchronous=NORMAL`, foreign keys on and
//! a busy timeout; every write is one transaction, so a process killed at any
//! moment leaves a consistent database. Sensitive values never reach it in
//! clear: [`State::protect`] replaces them with a keyed hash whose key lives in
//! `state.key` beside the database, never inside it.
//!
//! Invariants: nothing read from the file can make the store panic (bad rows
//! are [`StateError::Corrupt`]); a file that is not froyo's state, or is from
//! a newer froyo, is refused and left untouched.
//! Boundary: the engine and CLI use this API only; the schema is private.

mod error;
mod instances;
mod lock;
mod process;
mod runs;
mod schema;
mod secrets;
mod store;
mod time;
mod types;

pub use error::StateError;
pub use lock::LockGuard;
pub use secrets::{DerivedKey, PROTECTED_PREFIX, canonical_json};
pub use store::{LockTiming, State};
pub use time::{now_rfc3339, rfc3339};
pub use types::{
    AuditRecord, EventRecord, InstanceKey, InstanceRecord, Liveness, LockInfo, PlanOutdated, RunId,
    RunKind, RunRecord, RunStatus,
};

/// The schema version this build reads and writes (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = schema::SCHEMA_VERSION;
