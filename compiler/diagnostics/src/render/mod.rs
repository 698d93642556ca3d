//! Renderers: terminal text and JSON lines, all reading the same [`Diagnostic`](crate::Diagnostic) values.
//!
//! A renderer takes a [`Files`](crate::Files) table and diagnostics and writes
//! bytes; it never changes a diagnostic and never decides policy (colour,
//! output stream, exit status), which belongs to the caller.
//!
//! - [`terminal`]: codespan-reporting's rich snippets, for people.
//! - [`json`]: one JSON object per line, for tools; the format is documented in
//!   `docs/json-diagnostics.md`.
//! - [`sarif`]: a SARIF 2.1.0 log, for code-scanning tools.

pub mod json;
pub mod sarif;
pub mod terminal;

#[cfg(test)]
mod tests;

pub use json::{json_lines_string, write_json_line};
pub use sarif::{sarif_log, write_sarif};
pub use terminal::{TerminalConfig, terminal_string, write_terminal};
