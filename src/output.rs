//! Printing: diagnostics in the chosen format, summary lines, colour policy.
//!
//! Diagnostics are rendered by `froyo_diagnostics::render`; this module only
//! decides where they go and whether they are coloured: `--color always|never`
//! wins, and `auto` colours when the stream is a terminal and `NO_COLOR` is
//! unset or empty (<https://no-color.org>).

use std::io::{self, IsTerminal, Write};

use froyo_diagnostics::render::{TerminalConfig, write_json_line, write_terminal};
use froyo_diagnostics::{Diagnostic, Files, Severity};

use crate::args::{ColorWhen, OutputFormat, ReportFormat};

/// Whether to colour a stream that is (or is not) a terminal.
pub fn use_color(when: ColorWhen, is_terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto => {
            is_terminal && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
        }
    }
}

/// Whether to colour standard output.
pub fn stdout_color(when: ColorWhen) -> bool {
    use_color(when, io::stdout().is_terminal())
}

/// Whether to colour standard error.
pub fn stderr_color(when: ColorWhen) -> bool {
    use_color(when, io::stderr().is_terminal())
}

/// Writes diagnostics in `format` to `out`.
pub fn write_diagnostics(
    out: &mut dyn Write,
    files: &Files,
    diagnostics: &[Diagnostic],
    format: OutputFormat,
    color: bool,
) -> io::Result<()> {
    if format == OutputFormat::Sarif {
        froyo_diagnostics::render::write_sarif(out, files, diagnostics, env!("CARGO_PKG_VERSION"))?;
        return out.flush();
    }
    for diagnostic in diagnostics {
        match format {
            OutputFormat::Human => {
                write_terminal(out, files, diagnostic, TerminalConfig { color })?
            }
            OutputFormat::Json | OutputFormat::Sarif => write_json_line(out, files, diagnostic)?,
        }
    }
    out.flush()
}

/// Counts of what was reported, for summary lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Tally {
    pub errors: usize,
    pub warnings: usize,
    /// Files with at least one error.
    pub files_with_errors: usize,
}

impl Tally {
    pub fn of(diagnostics: &[Diagnostic]) -> Tally {
        let mut files_with_errors: Vec<_> = diagnostics
            .iter()
            .filter(|diagnostic| diagnostic.is_error())
            .map(|diagnostic| diagnostic.primary.span.file)
            .collect();
        files_with_errors.sort_unstable();
        files_with_errors.dedup();
        Tally {
            errors: diagnostics.iter().filter(|diagnostic| diagnostic.is_error()).count(),
            warnings: diagnostics
                .iter()
                .filter(|diagnostic| diagnostic.severity == Severity::Warning)
                .count(),
            files_with_errors: files_with_errors.len(),
        }
    }
}

/// `1 file`, `2 files`.
pub fn count(number: usize, noun: &str) -> String {
    if number == 1 { format!("1 {noun}") } else { format!("{number} {noun}s") }
}

/// Prints `error: <message>` to standard error. Failing to write there is ignored:
/// there is nowhere left to report it.
pub fn print_error(message: &str) {
    let _ = writeln!(io::stderr().lock(), "error: {message}");
}

/// Prints runtime errors (hosts not reached, lost) with their code, what
/// happened and what to do, as miette renders them; once per host.
pub fn print_runtime_errors<E: miette::Diagnostic + Send + Sync + 'static>(errors: &[E]) {
    let handler = if io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        miette::GraphicalReportHandler::new()
    } else {
        miette::GraphicalReportHandler::new_themed(miette::GraphicalTheme::unicode_nocolor())
    };
    let mut stderr = io::stderr().lock();
    for error in errors {
        let mut text = String::new();
        if handler.render_report(&mut text, error).is_ok() {
            let _ = write!(stderr, "{text}");
        } else {
            let _ = writeln!(stderr, "error: {error}");
        }
    }
}

/// A runtime error as JSON: `{"code", "message", "help"}`, for reports that
/// say why a command refused.
pub fn error_json(error: &dyn miette::Diagnostic) -> serde_json::Value {
    serde_json::json!({
        "code": error.code().map(|code| code.to_string()),
        "message": error.to_string(),
        "help": error.help().map(|help| help.to_string()),
    })
}

/// Prints a line to standard error, ignoring failure like [`print_error`].
pub fn print_status(message: &str) {
    let _ = writeln!(io::stderr().lock(), "{message}");
}

/// Writes `value` as pretty-printed JSON and a newline.
pub fn write_json(out: &mut dyn Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

/// Writes a command's report to standard output: the `human` text, or the
/// `json` value (see [`write_json`]), as `format` asks; only the one asked
/// for is built.
pub fn write_report<T: serde::Serialize>(
    format: ReportFormat,
    human: impl FnOnce() -> String,
    json: impl FnOnce() -> T,
) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match format {
        ReportFormat::Human => stdout.write_all(human().as_bytes())?,
        ReportFormat::Json => write_json(&mut stdout, &json())?,
    }
    stdout.flush()
}
