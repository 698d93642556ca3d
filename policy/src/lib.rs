//! Policies as code: Rego over the resource IR (check time) and over plans
//! (plan time).
//!
//! A [`PolicySet`] loads the built-in policies (`stdlib/policies/`) and a
//! workspace's `policies/*.rego`, with the workspace's CUE `policy_data` as
//! `data.policy_data`; [`PolicySet::evaluate`] runs the policies of one
//! [`Stage`] on an input document ([`input`]) and returns [`Finding`]s, each
//! naming a resource or host and a property path that the caller maps to
//! source. [`diagnostics`] turns findings and problems into diagnostics;
//! [`testing`] runs `test_*` rules for `froyo policy test`.
//!
//! Start at [`set`], then [`input`].
//!
//! Invariant: regorus is used in [`rego`] only; its errors become
//! [`Problem`]s there, and no input, policy or result makes this crate panic.
//! Invariant: evaluation is deterministic and each rule's evaluation has a
//! time budget that grows with its input ([`rego::Rego::budget_for`]).
//! Invariant: no IO: callers hand over file texts, inputs and data.

pub mod diagnostics;
pub mod input;
pub mod reference;
pub mod rego;
pub mod set;
pub mod testing;

pub use rego::{Input, InputBuilder};
pub use set::{
    Evaluation, Finding, Level, Policy, PolicySet, Problem, ProblemKind, Scope, Source, Stage,
    builtin_sources,
};
pub use testing::{Outcome, TestResult, run_tests};

#[cfg(test)]
mod tests;
