//! The JSON-lines renderer: one JSON object per diagnostic, one per line.
//!
//! The format is a wire format for tools (editors without LSP, CI annotations,
//! scripts) and is documented in `docs/json-diagnostics.md`; change both
//! together. Positions are 1-based; columns count Unicode scalar values; the
//! end position is exclusive (it points just past the last character).
//!
//! The serialisable structs here are the wire format and nothing else: they
//! borrow from the [`Diagnostic`] and the [`Files`] table and are built only
//! while writing.

use std::io;

use serde::Serialize;

use crate::diagnostic::{Applicability, Diagnostic, Span};
use crate::files::Files;

/// Writes one diagnostic as a single line of JSON, followed by `\n`.
pub fn write_json_line(
    out: &mut dyn io::Write,
    files: &Files,
    diagnostic: &Diagnostic,
) -> io::Result<()> {
    serde_json::to_writer(&mut *out, &JsonDiagnostic::new(files, diagnostic))?;
    out.write_all(b"\n")
}

/// Renders diagnostics as JSON lines into a string (for tests and snapshots).
pub fn json_lines_string(files: &Files, diagnostics: &[Diagnostic]) -> String {
    let mut buffer = Vec::new();
    for diagnostic in diagnostics {
        // Writing into a Vec cannot fail.
        let _ = write_json_line(&mut buffer, files, diagnostic);
    }
    String::from_utf8_lossy(&buffer).into_owned()
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    code: &'static str,
    name: &'static str,
    severity: &'static str,
    message: &'a str,
    #[serde(flatten)]
    location: JsonLocation<'a>,
    /// The primary label's message; empty when the span speaks for itself.
    label: &'a str,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: Option<&'a str>,
    fix: Option<JsonFix<'a>>,
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    end_line: u32,
    end_column: u32,
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    #[serde(flatten)]
    location: JsonLocation<'a>,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    title: &'a str,
    applicability: &'static str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonEdit<'a> {
    #[serde(flatten)]
    location: JsonLocation<'a>,
    replacement: &'a str,
}

impl<'a> JsonDiagnostic<'a> {
    fn new(files: &'a Files, diagnostic: &'a Diagnostic) -> JsonDiagnostic<'a> {
        JsonDiagnostic {
            code: diagnostic.code.code,
            name: diagnostic.code.name,
            severity: diagnostic.severity.as_str(),
            message: &diagnostic.message,
            location: JsonLocation::new(files, diagnostic.primary.span),
            label: &diagnostic.primary.message,
            labels: diagnostic
                .secondary
                .iter()
                .map(|label| JsonLabel {
                    location: JsonLocation::new(files, label.span),
                    message: &label.message,
                })
                .collect(),
            notes: &diagnostic.notes,
            help: diagnostic.help.as_deref(),
            fix: diagnostic.fix.as_ref().map(|fix| JsonFix {
                title: &fix.title,
                applicability: match fix.applicability {
                    Applicability::MachineApplicable => "machine-applicable",
                    Applicability::MaybeIncorrect => "maybe-incorrect",
                },
                edits: fix
                    .edits
                    .iter()
                    .map(|edit| JsonEdit {
                        location: JsonLocation::new(files, edit.span),
                        replacement: &edit.replacement,
                    })
                    .collect(),
            }),
        }
    }
}

impl<'a> JsonLocation<'a> {
    fn new(files: &'a Files, span: Span) -> JsonLocation<'a> {
        let file = files.get(span.file);
        let (start, end) = files.span_range(span).unzip();
        JsonLocation {
            file: file.map_or("", |file| file.name()),
            line: start.map_or(1, |position| position.line),
            column: start.map_or(1, |position| position.column),
            end_line: end.map_or(1, |position| position.line),
            end_column: end.map_or(1, |position| position.column),
        }
    }
}
