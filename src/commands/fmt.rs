//! `froyo fmt`: rewrite CUE files in the canonical layout of `froyo_fmt`.
//!
//! Modes: in place (default; each changed file is replaced atomically and
//! listed), `--check` (list what would change, write nothing) and `--diff`
//! (print unified diffs, write nothing); `--check` and `--diff` exit 1 when
//! anything would change. A file with syntax errors is reported and left
//! alone. `froyo fmt -` formats standard input to standard output.
//!
//! Without paths it formats the workspace containing the current directory,
//! and refuses (exit 2) when there is none rather than walk a directory that
//! is not a workspace; with paths, only what they name. A named file that is
//! not CUE is refused with `E0104`.
//!
//! File lists and diffs go to stdout; diagnostics and the summary to stderr.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, FileId, Files, Span, registry};
use froyo_fmt::FormatError;

use crate::ExitStatus;
use crate::args::{ColorWhen, FmtArgs, OutputFormat};
use crate::output::{self, Tally, count};
use froyo_loader::describe_io_error;
use froyo_loader::sort_diagnostics;

/// What `froyo fmt` says when it has neither paths nor a workspace to format.
const NO_WORKSPACE: &str = "no workspace here, and no files named: froyo fmt formats the workspace \
     containing the current directory (a directory with cue.mod/module.cue), or the files and \
     directories you name (`froyo fmt site.cue`, `froyo fmt -` for standard input)";

/// What to do with a file whose formatting differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Write,
    Check,
    Diff,
}

pub fn run(args: &FmtArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let mode = if args.diff {
        Mode::Diff
    } else if args.check {
        Mode::Check
    } else {
        Mode::Write
    };
    if args.paths.iter().any(|path| path.as_os_str() == "-") {
        if args.paths.len() > 1 {
            output::print_error("`-` (standard input) cannot be combined with other paths");
            return Ok(ExitStatus::Error);
        }
        return format_stdin(mode, color);
    }
    let Some(current_dir) = super::current_dir() else {
        return Ok(ExitStatus::Error);
    };
    if args.paths.is_empty()
        && !current_dir.ancestors().any(|directory| directory.join("cue.mod").is_dir())
    {
        output::print_error(NO_WORKSPACE);
        return Ok(ExitStatus::Error);
    }
    let given = crate::given::sort_out(&current_dir, &args.paths, &["cue"]);
    let discovery = if given.kept.is_empty() && !args.paths.is_empty() {
        froyo_loader::Discovery::default()
    } else {
        froyo_loader::discover(&current_dir, &given.kept)
    };
    let mut sources = froyo_loader::read_sources(&current_dir, discovery);
    for path in &given.refused {
        let refusal = crate::given::refusal(
            &mut sources.files,
            path,
            "CUE",
            "froyo fmt formats `.cue` files; name those, or a directory to format the CUE files under it",
        );
        sources.diagnostics.push(refusal);
    }
    let mut diagnostics = sources.diagnostics.clone();
    let mut stdout = io::stdout().lock();
    let mut changed = 0;
    let mut unchanged = 0;
    for file in &sources.loaded {
        let text = sources.text(file);
        let name = sources.name(file);
        let formatted = match froyo_fmt::format(text) {
            Ok(formatted) => formatted,
            Err(FormatError::SyntaxErrors(errors)) => {
                diagnostics.extend(errors.iter().map(|error| error.to_diagnostic(file.id)));
                continue;
            }
        };
        if formatted == text {
            unchanged += 1;
            continue;
        }
        match mode {
            Mode::Diff => write_diff(&mut stdout, name, text, &formatted)?,
            Mode::Check => writeln!(stdout, "would reformat {name}")?,
            Mode::Write => match write_atomically(&file.path, &formatted) {
                Ok(()) => writeln!(stdout, "formatted {name}")?,
                Err(error) => {
                    diagnostics.push(write_error(file.id, name, &error));
                    continue;
                }
            },
        }
        changed += 1;
    }
    stdout.flush()?;
    drop(stdout);

    sort_diagnostics(&mut diagnostics);
    print_diagnostics(&sources.files, &diagnostics, color)?;

    if sources.file_count == 0 && diagnostics.is_empty() {
        output::print_status("warning: no .cue files found");
        return Ok(ExitStatus::Success);
    }
    let changed_summary = match mode {
        Mode::Write => format!("formatted {}", count(changed, "file")),
        Mode::Check | Mode::Diff => format!("{} would be reformatted", count(changed, "file")),
    };
    output::print_status(&format!("{changed_summary}, {unchanged} already formatted"));
    let tally = Tally::of(&diagnostics);
    if tally.errors > 0 {
        output::print_status(&format!(
            "error: {} in {}; files with errors were left unchanged",
            count(tally.errors, "error"),
            count(tally.files_with_errors, "file")
        ));
        return Ok(ExitStatus::Failure);
    }
    if changed > 0 && mode != Mode::Write {
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

/// `froyo fmt -`: standard input to standard output (or a diff, or only an exit status).
fn format_stdin(mode: Mode, color: ColorWhen) -> io::Result<ExitStatus> {
    const NAME: &str = "<stdin>";
    let mut files = Files::new();
    let text = match froyo_loader::read_stdin() {
        Ok(text) => text,
        Err(error) => {
            let file = files.add(NAME, "");
            let diagnostic = froyo_loader::read_error_diagnostic(file, NAME, &error);
            print_diagnostics(&files, &[diagnostic], color)?;
            return Ok(ExitStatus::Failure);
        }
    };
    let file = files.add(NAME, text.clone());
    let formatted = match froyo_fmt::format(&text) {
        Ok(formatted) => formatted,
        Err(FormatError::SyntaxErrors(errors)) => {
            let diagnostics: Vec<_> =
                errors.iter().map(|error| error.to_diagnostic(file)).collect();
            print_diagnostics(&files, &diagnostics, color)?;
            return Ok(ExitStatus::Failure);
        }
    };
    let mut stdout = io::stdout().lock();
    match mode {
        Mode::Write => stdout.write_all(formatted.as_bytes())?,
        Mode::Diff if formatted != text => write_diff(&mut stdout, NAME, &text, &formatted)?,
        Mode::Diff | Mode::Check => {}
    }
    stdout.flush()?;
    if mode != Mode::Write && formatted != text {
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

fn print_diagnostics(
    files: &Files,
    diagnostics: &[Diagnostic],
    color: ColorWhen,
) -> io::Result<()> {
    let mut stderr = io::stderr().lock();
    output::write_diagnostics(
        &mut stderr,
        files,
        diagnostics,
        OutputFormat::Human,
        output::stderr_color(color),
    )
}

fn write_diff(out: &mut dyn Write, name: &str, old: &str, new: &str) -> io::Result<()> {
    let diff = similar::TextDiff::from_lines(old, new);
    let mut unified = diff.unified_diff();
    unified.context_radius(3).header(name, name);
    out.write_all(unified.to_string().as_bytes())
}

fn write_error(file: FileId, name: &str, error: &io::Error) -> Diagnostic {
    Diagnostic::new(
        &registry::IO_ERROR,
        format!("cannot write `{name}`: {}", describe_io_error(error)),
        Span::new(file, 0, 0),
    )
}

/// Replaces `path`'s contents: writes a temporary file beside it with the same
/// permissions, then renames it over the original, so a reader sees the old
/// file or the new one, never half of one. A symbolic link is kept: its target
/// is replaced.
fn write_atomically(path: &Path, contents: &str) -> io::Result<()> {
    let target = fs::canonicalize(path)?;
    let permissions = fs::metadata(&target)?.permissions();
    let directory = target.parent().unwrap_or(Path::new("."));
    let file_name =
        target.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let (temporary_path, mut temporary) = create_temporary(directory, &file_name)?;
    let result = (|| {
        temporary.write_all(contents.as_bytes())?;
        temporary.set_permissions(permissions)?;
        temporary.sync_all()?;
        drop(temporary);
        fs::rename(&temporary_path, &target)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&temporary_path);
    }
    result
}

fn create_temporary(directory: &Path, file_name: &str) -> io::Result<(PathBuf, fs::File)> {
    let process = std::process::id();
    let mut attempt = 0;
    loop {
        let path = directory.join(format!(".{file_name}.{process}.{attempt}.froyo-fmt.tmp"));
        match fs::OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1
            }
            Err(error) => return Err(error),
        }
    }
}
