//! `froyo check`: everything that can be wrong before anything touches a host.
//!
//! This module sorts out the paths given (a named file that is neither CUE
//! nor Starlark is refused with `E0104`, and a named Starlark file is
//! checked with its workspace, exit 2 outside one), reads them and prints;
//! what is reported is [`froyo_loader::check`]'s: every CUE file parsed,
//! then each workspace the files belong to (a directory with `cue.mod/`)
//! compiled (CUE evaluation, Starlark, schemas, ids, dependencies, host
//! selectors and cycles) with the built-in and workspace policies
//! (`--allow-policy NAME --reason TEXT` lowers a denying policy's findings
//! to warnings). Diagnostics go to stdout (human, JSON
//! lines or SARIF), the one-line summary to stderr. Exit 1 when any error was
//! reported, 2 when no paths were given and no workspace contains the current
//! directory.

use std::io::{self, Write as _};

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

    let discovered: Vec<_> = sources.loaded.iter().map(|file| file.path.clone()).collect();
    let roots = if named_nothing_readable {
        Vec::new()
    } else {
        froyo_loader::workspace_roots(&current_dir, &given.kept, &discovered)
    };
    let mut database = froyo_db::Database::default();
    let froyo_loader::Checked { files, diagnostics, file_count } = froyo_loader::check(
        &mut database,
        &current_dir,
        sources,
        &roots,
        &args.policy.allowances(),
    );

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
