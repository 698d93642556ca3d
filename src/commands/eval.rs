//! `froyo eval`: evaluate a CUE package and print the result as CUE, as
//! `cue eval` does; the value may be incomplete (types, bounds, defaults).
//!
//! The text is the [`froyo_db::eval_package_text`] query of the package's
//! database inputs. Also the helpers `froyo export` shares: loading the
//! package into a database ([`load_package`]) and reporting what went wrong
//! ([`report`]). The value goes to stdout; diagnostics (human or JSON lines)
//! go to stderr.

use std::io::{self, Write as _};

use froyo_diagnostics::{Diagnostic, Files};

use crate::ExitStatus;
use crate::args::{ColorWhen, EvalArgs, OutputFormat};
use crate::output::{self, Tally, count};
use froyo_loader::package::{self, LoadError, Package};
use froyo_loader::sort_diagnostics;

pub fn run(args: &EvalArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let mut database = froyo_db::Database::default();
    let package = match load_package(
        &database,
        &args.paths,
        args.expression.as_deref(),
        args.format,
        color,
    ) {
        Ok(package) => package,
        Err(status) => return status,
    };
    // A data file of several values: the package once per value, a blank line between.
    for_each_value(&mut database, &package, |database, index| {
        match froyo_db::eval_package_text(database, package.input) {
            Ok(text) => {
                let mut stdout = io::stdout().lock();
                if index > 0 {
                    stdout.write_all(b"\n")?;
                }
                stdout.write_all(text.as_bytes())?;
                if !text.ends_with('\n') {
                    stdout.write_all(b"\n")?;
                }
                stdout.flush()?;
            }
            Err(diagnostics) => {
                return report(&package.files, diagnostics.clone(), args.format, color);
            }
        }
        Ok(ExitStatus::Success)
    })
}

/// Runs `each` with the package's value `index`: once, or once per value
/// of a data file of several values (JSON Lines, YAML documents), selected
/// in turn. A failure of one value does not stop the others; the status is
/// the first failure's, else success.
pub fn for_each_value(
    database: &mut froyo_db::Database,
    package: &Package,
    mut each: impl FnMut(&froyo_db::Database, usize) -> io::Result<ExitStatus>,
) -> io::Result<ExitStatus> {
    let values = package.stream.as_ref().map_or(1, |stream| stream.len());
    let mut status = ExitStatus::Success;
    for index in 0..values {
        if index > 0
            && let Some(stream) = &package.stream
        {
            stream.select(database, index);
        }
        let outcome = each(database, index)?;
        if status == ExitStatus::Success {
            status = outcome;
        }
    }
    Ok(status)
}

/// The package `paths` name, as inputs of `database`, or the exit status
/// after reporting why there is none.
pub fn load_package(
    database: &froyo_db::Database,
    paths: &[std::path::PathBuf],
    expression: Option<&str>,
    format: OutputFormat,
    color: ColorWhen,
) -> Result<Package, io::Result<ExitStatus>> {
    let Some(current_dir) = super::current_dir() else {
        return Err(Ok(ExitStatus::Error));
    };
    match package::load(database, &current_dir, paths, expression) {
        Ok(package) => Ok(package),
        Err(LoadError::NoFiles { searched }) => {
            output::print_error(&format!("no .cue files found in {searched}"));
            Err(Ok(ExitStatus::Failure))
        }
        Err(LoadError::Argument { message }) => {
            output::print_error(&message);
            Err(Ok(ExitStatus::Failure))
        }
        Err(LoadError::Diagnostics { files, diagnostics }) => {
            Err(report(&files, diagnostics, format, color))
        }
    }
}

/// Writes `diagnostics` (pointing into `files`) to stderr, with a summary
/// line for people, and returns exit 1.
pub fn report(
    files: &Files,
    mut diagnostics: Vec<Diagnostic>,
    format: OutputFormat,
    color: ColorWhen,
) -> io::Result<ExitStatus> {
    sort_diagnostics(&mut diagnostics);
    let mut stderr = io::stderr().lock();
    output::write_diagnostics(
        &mut stderr,
        files,
        &diagnostics,
        format,
        output::stderr_color(color),
    )?;
    stderr.flush()?;
    drop(stderr);
    let tally = Tally::of(&diagnostics);
    if format == OutputFormat::Human {
        if tally.errors > 0 {
            output::print_status(&format!(
                "error: {} in {}",
                count(tally.errors, "error"),
                count(tally.files_with_errors.max(1), "file")
            ));
        } else {
            // The evaluator failed without saying why; still a failure.
            output::print_status("error: evaluation failed");
        }
    }
    Ok(ExitStatus::Failure)
}
