//! The CUE evaluator of froyo.
//!
//! CUE's meaning, natively in Rust: the value lattice (top, bottom, basic
//! types, bounds), unification, disjunctions with defaults, structs with
//! lexical references, closedness of definitions, pattern constraints,
//! comprehensions, lists, string interpolation, exact decimal arithmetic and
//! the built-in packages. Every error keeps the source spans involved.
//!
//! Start at [`export`]; the evaluator itself is in [`eval`], values in
//! [`value`], numbers in [`num`], built-in functions in [`builtins`], and
//! JSON/YAML output of concrete [`Data`] in [`output`].
//!
//! Invariant: evaluation performs no IO and never panics on user input;
//! loops and recursion are bounded ([`Limits`]).

pub mod builtins;
mod data;
pub mod embed;
mod eval;
pub mod import_path;
pub mod num;
pub mod output;
mod value;

pub use data::Data;
pub use eval::{
    EvalOptions, ImportedPackage, Limits, Partial, SourceFile, eval_text, export, export_partial,
};
