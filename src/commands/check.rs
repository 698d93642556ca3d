//! `froyo check`: everything that can be wrong before anything touches a host.
//!
//! Every CUE file found is parsed ([`froyo_db::syntax_diagnostics`]); then
//! each workspace the files belong to (a directory with `cue.mod/`) is
//! compiled ([`froyo_db::compile_workspace`]): CUE evaluation, Starlark,
//! schemas, ids, dependencies, host selectors and cycles. Syntax errors are
//! reported once, by the first step. Diagnostics go to stdout (human, JSON
//! lines or SARIF), the one-line summary to stderr. Exit 1 when any error was
//! reported, 2 when no paths were given and no workspace contains the current
//! directory.

use std::io::{self, Write as _};

use froyo_diagnostics::Diagnostic;

use crate::ExitStatus;
use crate::args::{CheckArgs, ColorWhen};
use crate::output::{self, Tally, count};

pub fn run(args: &CheckArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(current_dir) = super::current_dir() else {
        return Ok(ExitStatus::Error);
    };
    if args.paths.is_empty()
        && !current_dir.ancestors().any(|directory| directory.join("cue.mod").is_dir())
    {
        output::print_error(crate::compile::NO_WORKSPACE);
        return Ok(ExitStatus::Error);
    }
    let discovery = froyo_loader::discover(&current_dir, &args.paths);
    let sources = froyo_loader::read_sources(&current_dir, discovery);

    let mut database = froyo_db::Database::default();
    let mut diagnostics = sources.diagnostics.clone();
    for file in &sources.loaded {
        // What a workspace compile refuses to evaluate is not parsed either.
        let size = sources.text(file).len();
        if size > froyo_db::MAX_COMPILED_FILE_BYTES {
            diagnostics.push(froyo_db::too_large(sources.name(file), size, file.id));
            continue;
        }
        let input = froyo_db::SourceFile::new(
            &database,
            sources.name(file).to_string(),
            sources.text(file).to_string(),
        );
        diagnostics.extend(froyo_db::syntax_diagnostics_in(&database, input, file.id));
    }
    let mut files = sources.files;
    let discovered: Vec<_> = sources.loaded.iter().map(|file| file.path.clone()).collect();
    let mut file_count = sources.file_count;
    for root in crate::compile::roots(&current_dir, &args.paths, &discovered) {
        let loaded = crate::compile::load(&mut database, &current_dir, &root);
        file_count += loaded.starlark_files;
        let mut found = loaded.diagnostics.clone();
        found.extend(
            froyo_db::compile_workspace(&database, loaded.input).diagnostics.iter().cloned(),
        );
        let workspace_files = loaded.files;
        // Syntax errors of CUE files were reported above.
        let found = found.into_iter().filter(|diagnostic| !diagnostic.code.code.starts_with("E00"));
        // Files that could not be read were reported by the first step too.
        let moved = crate::compile::move_diagnostics(&workspace_files, &mut files, found.collect());
        for diagnostic in moved {
            let known = diagnostics.iter().any(|existing| {
                existing.code == diagnostic.code
                    && existing.message == diagnostic.message
                    && existing.primary.span == diagnostic.primary.span
            });
            if !known {
                diagnostics.push(diagnostic);
            }
        }
    }
    sort_diagnostics(&mut diagnostics);

    let mut stdout = io::stdout().lock();
    output::write_diagnostics(
        &mut stdout,
        &files,
        &diagnostics,
        args.format,
        output::stdout_color(color),
    )?;
    stdout.flush()?;

    let tally = Tally::of(&diagnostics);
    if file_count == 0 && diagnostics.is_empty() {
        output::print_status("warning: no .cue files found");
        return Ok(ExitStatus::Success);
    }
    let warnings = if tally.warnings > 0 {
        format!(", {}", count(tally.warnings, "warning"))
    } else {
        String::new()
    };
    if tally.errors > 0 {
        output::print_status(&format!(
            "error: {} in {}{warnings}",
            count(tally.errors, "error"),
            count(tally.files_with_errors, "file")
        ));
        return Ok(ExitStatus::Failure);
    }
    let problems = if tally.warnings > 0 {
        count(tally.warnings, "warning")
    } else {
        "no problems".to_string()
    };
    output::print_status(&format!("checked {}: {problems}", count(file_count, "file")));
    Ok(ExitStatus::Success)
}

/// File order (file ids are handed out in path order), then position in the file.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics
        .sort_by_key(|diagnostic| (diagnostic.primary.span.file, diagnostic.primary.span.start));
}
