//! The terminal renderer: codespan-reporting's rich output, optionally coloured.
//!
//! This is the only module that knows codespan-reporting. It converts a
//! [`Diagnostic`] into codespan's diagnostic (code, severity, message, primary
//! and secondary labels, notes, then help) and lets codespan draw the source
//! snippets from a [`Files`] table.
//!
//! Whether to colour is the caller's decision (the CLI looks at `--color`, the
//! terminal and `NO_COLOR`); this module only obeys [`TerminalConfig::color`].
//! Labels in files without text (a file that could not be read) are not drawn:
//! there is no snippet to show, so such diagnostics name the file in their message.

use std::io;
use std::ops::Range;

use codespan_reporting::diagnostic::{
    Diagnostic as CodespanDiagnostic, Label as CodespanLabel, Severity as CodespanSeverity,
};
use codespan_reporting::files::Error as CodespanError;
use codespan_reporting::term::{self, termcolor};

use crate::diagnostic::{Diagnostic, FileId, Label, Severity};
use crate::files::Files;

/// How to render for a terminal.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TerminalConfig {
    /// Emit ANSI colour escapes.
    pub color: bool,
}

/// Writes one diagnostic, followed by a blank line, to `out`.
pub fn write_terminal(
    out: &mut dyn io::Write,
    files: &Files,
    diagnostic: &Diagnostic,
    config: TerminalConfig,
) -> io::Result<()> {
    let converted = to_codespan(files, diagnostic);
    let codespan_config = term::Config::default();
    let result = if config.color {
        let mut writer = termcolor::Ansi::new(&mut *out);
        term::emit_to_write_style(&mut writer, &codespan_config, files, &converted)
    } else {
        let mut writer = termcolor::NoColor::new(&mut *out);
        term::emit_to_write_style(&mut writer, &codespan_config, files, &converted)
    };
    result.map_err(|error| match error {
        CodespanError::Io(error) => error,
        other => io::Error::other(other.to_string()),
    })
}

/// Renders diagnostics without colour into a string (for tests and snapshots).
pub fn terminal_string(files: &Files, diagnostics: &[Diagnostic]) -> String {
    let mut buffer = Vec::new();
    for diagnostic in diagnostics {
        // Writing into a Vec cannot fail, and the conversion drops labels codespan
        // could not resolve, so there is no error to report here.
        let _ = write_terminal(&mut buffer, files, diagnostic, TerminalConfig { color: false });
    }
    String::from_utf8_lossy(&buffer).into_owned()
}

fn to_codespan(files: &Files, diagnostic: &Diagnostic) -> CodespanDiagnostic<FileId> {
    let severity = match diagnostic.severity {
        Severity::Help => CodespanSeverity::Help,
        Severity::Note => CodespanSeverity::Note,
        Severity::Warning => CodespanSeverity::Warning,
        Severity::Error => CodespanSeverity::Error,
    };
    let mut labels = Vec::new();
    if let Some(range) = drawable_range(files, &diagnostic.primary) {
        labels.push(
            CodespanLabel::primary(diagnostic.primary.span.file, range)
                .with_message(&diagnostic.primary.message),
        );
    }
    for label in &diagnostic.secondary {
        if let Some(range) = drawable_range(files, label) {
            labels.push(
                CodespanLabel::secondary(label.span.file, range).with_message(&label.message),
            );
        }
    }
    let mut notes: Vec<String> =
        diagnostic.notes.iter().map(|note| format!("note: {note}")).collect();
    if let Some(help) = &diagnostic.help {
        notes.push(format!("help: {help}"));
    }
    CodespanDiagnostic::new(severity)
        .with_code(diagnostic.code.code)
        .with_message(&diagnostic.message)
        .with_labels(labels)
        .with_notes(notes)
}

/// The label's byte range clamped to its file, or `None` when there is nothing to draw.
fn drawable_range(files: &Files, label: &Label) -> Option<Range<usize>> {
    let file = files.get(label.span.file)?;
    if file.text().is_empty() {
        return None;
    }
    let start = file.clamp_offset(label.span.start as usize);
    let end = file.clamp_offset(label.span.end as usize).max(start);
    Some(start..end)
}

impl<'a> codespan_reporting::files::Files<'a> for Files {
    type FileId = FileId;
    type Name = &'a str;
    type Source = &'a str;

    fn name(&'a self, id: FileId) -> Result<&'a str, CodespanError> {
        Ok(self.get(id).ok_or(CodespanError::FileMissing)?.name())
    }

    fn source(&'a self, id: FileId) -> Result<&'a str, CodespanError> {
        Ok(self.get(id).ok_or(CodespanError::FileMissing)?.text())
    }

    fn line_index(&'a self, id: FileId, byte_index: usize) -> Result<usize, CodespanError> {
        Ok(self.get(id).ok_or(CodespanError::FileMissing)?.line_index(byte_index))
    }

    fn line_range(&'a self, id: FileId, line_index: usize) -> Result<Range<usize>, CodespanError> {
        Ok(self.get(id).ok_or(CodespanError::FileMissing)?.line_range(line_index))
    }
}
