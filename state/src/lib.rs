//! froyo's state store: runs (plan, apply, drift) and their events, the
//! state of each resource instance (desired and observed hashes, observed
//! properties, last run), saved plans, an audit log, a serial that counts
//! changes to instance state, and the lock that keeps two applies off one
//! workspace.
//!
//! Two backends implement one interface (`backend::Backend`): SQLite, one
//! file per workspace (`.froyo/state.db`, the default), and PostgreSQL, one
//! database shared by a team's workspaces and controllers
//! (`postgres://…?workspace=ID`). The engine and CLI see only [`State`].
//!
//! Start at [`State::open_location`]. Reading order: `api` (the one type),
//! `backend` (the interface), `sqlite`, `postgres`, `guard` (the lock while
//! held), `secrets`.
//!
//! Every write is one transaction, so a process killed at any moment leaves
//! consistent state. Sensitive values never reach the store in clear:
//! [`State::protect`] replaces them with a keyed hash whose key is never
//! stored with the data (`state.key` beside a SQLite file; the team's key,
//! configured on each controller, for PostgreSQL).
//!
//! Invariants: nothing read from the store can make it panic (bad rows are
//! [`StateError::Corrupt`]); a store that is not froyo's, or is from a newer
//! froyo, is refused and left untouched.
//! Boundary: the engine and CLI use this API only; the schemas are private.

mod api;
mod backend;
mod error;
mod guard;
mod location;
mod postgres;
mod process;
mod rows;
mod secrets;
mod sqlite;
mod time;
mod types;

pub use api::State;
pub use error::{STATE_CODES, StateError};
pub use guard::{LockGuard, LockTiming};
pub use location::StateLocation;
pub use postgres::PostgresTarget;
pub use postgres::work::{Lease, Renewal, UnitSpec, UnitStatus, UnitView, WorkQueue};
pub use secrets::{DerivedKey, PROTECTED_PREFIX, canonical_json};
pub use time::{now_rfc3339, rfc3339};
pub use types::{
    AuditRecord, EventRecord, InstanceKey, InstanceRecord, Liveness, LockInfo, PlanOutdated, RunId,
    RunKind, RunRecord, RunStatus,
};

/// The schema version this build reads and writes in a SQLite state (`PRAGMA user_version`).
pub const SCHEMA_VERSION: u32 = sqlite::SCHEMA_VERSION;
