//! Diagnostics as values, for the whole froyo toolchain.
//!
//! A [`Diagnostic`] is plain data: a stable [`Code`] from the [`registry`], a
//! [`Severity`], a one-line message, a primary labelled [`Span`], secondary
//! labels, notes, help and an optional [`Fix`]. Every layer (syntax, evaluator,
//! checks) creates them; renderers in [`render`] turn them into terminal text
//! (codespan-reporting) or JSON, and the language server converts them at its
//! edge. Creating a diagnostic never formats it, and rendering never changes it.
//!
//! Start reading at [`Diagnostic`], then [`registry`] for the codes, then
//! [`Files`] (the file table renderers read) and [`render`]. [`reference`]
//! generates `docs/diagnostics.md` from the registry.
//!
//! Invariant: this crate knows nothing of CUE, syntax trees, salsa or LSP.

mod diagnostic;
mod files;
pub mod reference;
pub mod registry;
pub mod render;
mod suggest;

pub use diagnostic::{Applicability, Diagnostic, Edit, FileId, Fix, Label, Severity, Span};
pub use files::{Files, LineColumn, SourceFile};
pub use registry::Code;
pub use suggest::{did_you_mean, did_you_mean_qualified, suggest_or_list};
