//! `froyo check`: everything that can be wrong before anything touches a host.
//!
//! Every CUE file found is parsed ([`froyo_db::syntax_diagnostics`]); a
//! named file that is neither CUE nor Starlark is refused with `E0104`, and a
//! named Starlark file is checked with its workspace (exit 2 outside one); then
//! each workspace the files belong to (a directory with `cue.mod/`) is
//! compiled ([`froyo_db::compile_workspace`]): CUE evaluation, Starlark,
//! schemas, ids, dependencies, host selectors and cycles; then the built-in
//! and workspace policies (`--allow-policy NAME --reason TEXT` lowers a
//! denying policy's findings to warnings). Syntax errors are
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
    let given = crate::given::sort_out(&current_dir, &args.paths, &["cue", "star"]);
    // Starlark files are checked with their workspace, not parsed as CUE.
    let (starlark, cue): (Vec<_>, Vec<_>) =
        given.kept.iter().cloned().partition(|path| crate::given::has_extension(path, &["star"]));
    if let Some(outside) = starlark.iter().find(|path| {
        let path = froyo_loader::absolute(&current_dir, path);
        path.parent().and_then(froyo_loader::find_root).is_none()
    }) {
        output::print_error(&format!(
            "`{}` is not in a workspace: Starlark files are checked with their workspace, \
             a directory with cue.mod/module.cue (create one with `froyo init`)",
            outside.display()
        ));
        return Ok(ExitStatus::Error);
    }
    let named_nothing_readable = !args.paths.is_empty() && given.kept.is_empty();
    let discovery = if named_nothing_readable || (cue.is_empty() && !starlark.is_empty()) {
        froyo_loader::Discovery::default()
    } else {
        froyo_loader::discover(&current_dir, &cue)
    };
    let mut sources = froyo_loader::read_sources(&current_dir, discovery);
    for path in &given.refused {
        let refusal = crate::given::refusal(
            &mut sources.files,
            path,
            "CUE or Starlark",
            "froyo check reads `.cue` and `.star` files; name those, or a workspace directory",
        );
        sources.diagnostics.push(refusal);
    }

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
    let roots = if named_nothing_readable {
        Vec::new()
    } else {
        crate::compile::roots(&current_dir, &given.kept, &discovered)
    };
    for root in roots {
        let loaded = crate::compile::load(&mut database, &current_dir, &root);
        file_count += loaded.starlark_files;
        let mut found = loaded.diagnostics.clone();
        found.extend(
            froyo_db::compile_workspace(&database, loaded.input).diagnostics.iter().cloned(),
        );
        let mut policies = froyo_db::policy_diagnostics(&database, loaded.input, loaded.policies);
        froyo_policy::diagnostics::allow(&mut policies, &args.policy.allowances());
        found.extend(policies);
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
