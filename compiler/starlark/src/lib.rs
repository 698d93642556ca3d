//! The Starlark bridge: runs a workspace's `.star` files and returns the
//! resources they declare.
//!
//! Starlark enters froyo here and nowhere else (the `starlark` crate). A
//! file runs with the standard Starlark functions, the resource prelude
//! ([`prelude`]: `linux.file(...)`, `probe.http(...)`, …) and `config`, the
//! evaluated CUE data, read-only ([`config`]). It can `load` other workspace
//! files and nothing else: there is no clock, randomness, environment or file
//! access, so a run is deterministic. Statements, call depth and heap are
//! bounded ([`Options`]). Starlark's errors become froyo diagnostics with
//! spans ([`run`]).
//!
//! Resources come out as concrete data, not yet checked: the compiler
//! validates them against the same schemas as CUE resources.
//!
//! Start at [`run()`]; [`scan`] reads a file's text without running it.

pub mod config;
mod convert;
mod depth;
mod prelude;
mod registry;
mod repeat;
mod run;
pub mod scan;

pub use run::{Declared, Files, Options, Output, Resource, resolve_load, run};

#[cfg(test)]
mod tests;
