//! Compiling the one workspace a command names, for the commands that
//! need its IR (`froyo build`, `froyo graph`, `froyo plan`, `froyo apply`):
//! the loading is `froyo_loader`'s ([`froyo_loader::load_workspace`]), the
//! compile the database's; this module prints what they report.

use std::path::{Path, PathBuf};

use froyo_diagnostics::Diagnostic;
use froyo_loader::{load_workspace as load, workspace_roots as roots};

/// What commands that need a workspace say when there is none.
pub const NO_WORKSPACE: &str = "no workspace here: a workspace is a directory with cue.mod/module.cue \
     (create one with `froyo init`, or name its directory)";

/// Compiles the one workspace `paths` name (or the one containing
/// `current_dir`) into the IR, printing its diagnostics to stderr. Returns the
/// workspace root and the IR, or the exit status to end with when there is no
/// single workspace or it has errors (then `refusal` ends the summary line,
/// such as "no IR written"). Policies are not evaluated (see [`build_checked`]).
pub fn build_ir(
    current_dir: &Path,
    paths: &[PathBuf],
    format: crate::args::OutputFormat,
    color: crate::args::ColorWhen,
    refusal: &str,
) -> std::io::Result<Result<(PathBuf, froyo_ir::Ir), crate::ExitStatus>> {
    Ok(build(current_dir, paths, format, color, refusal, None)?.map(|built| (built.root, built.ir)))
}

/// A compiled workspace with its policies.
pub struct Built {
    pub root: PathBuf,
    pub ir: froyo_ir::Ir,
    /// The built-in and workspace policies, loaded with `policy_data`.
    pub policies: std::sync::Arc<froyo_policy::PolicySet>,
    /// Findings of denying check-time policies that `--allow-policy` allowed.
    pub allowed: Vec<Diagnostic>,
}

/// [`build_ir`] with the check-time policies too: a denying policy's
/// finding is an error unless `policy` allows it.
pub fn build_checked(
    current_dir: &Path,
    paths: &[PathBuf],
    color: crate::args::ColorWhen,
    refusal: &str,
    policy: &crate::args::PolicyArgs,
) -> std::io::Result<Result<Built, crate::ExitStatus>> {
    build(current_dir, paths, crate::args::OutputFormat::Human, color, refusal, Some(policy))
}

fn build(
    current_dir: &Path,
    paths: &[PathBuf],
    format: crate::args::OutputFormat,
    color: crate::args::ColorWhen,
    refusal: &str,
    policy: Option<&crate::args::PolicyArgs>,
) -> std::io::Result<Result<Built, crate::ExitStatus>> {
    use crate::ExitStatus;
    use crate::output;
    let roots = roots(current_dir, paths, &[]);
    let root = match roots.as_slice() {
        [root] => root.clone(),
        [] => {
            output::print_error(NO_WORKSPACE);
            return Ok(Err(ExitStatus::Error));
        }
        _ => {
            output::print_error("name one workspace at a time");
            return Ok(Err(ExitStatus::Error));
        }
    };
    let span = tracing::info_span!(
        "compile",
        workspace = %root.display(),
        resources = tracing::field::Empty,
        errors = tracing::field::Empty,
    );
    let _entered = span.enter();
    let mut database = froyo_db::Database::default();
    let loaded = load(&mut database, current_dir, &root);
    let compiled = froyo_db::compile_workspace(&database, loaded.input);
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(compiled.diagnostics.iter().cloned());
    let mut allowed = Vec::new();
    if let Some(policy) = policy {
        let mut found = froyo_db::policy_diagnostics(&database, loaded.input, loaded.policies);
        froyo_policy::diagnostics::allow(&mut found, &policy.allowances());
        allowed.extend(found.iter().filter(|diagnostic| was_allowed(diagnostic)).cloned());
        diagnostics.extend(found);
    }
    froyo_loader::sort_diagnostics(&mut diagnostics);
    {
        let mut stderr = std::io::stderr().lock();
        output::write_diagnostics(
            &mut stderr,
            &loaded.files,
            &diagnostics,
            format,
            output::stderr_color(color),
        )?;
    }
    let tally = output::Tally::of(&diagnostics);
    let ir = froyo_db::workspace_ir(&database, loaded.input);
    span.record("errors", tally.errors);
    if let Some(ir) = &ir {
        span.record("resources", ir.resources.len());
    }
    match ir.as_ref().filter(|_| tally.errors == 0) {
        Some(ir) => Ok(Ok(Built {
            root,
            ir: ir.clone(),
            policies: froyo_db::policy_set(&database, loaded.input, loaded.policies).set.clone(),
            allowed,
        })),
        None => {
            output::print_status(&format!(
                "error: {}; {refusal}",
                output::count(tally.errors.max(1), "error")
            ));
            Ok(Err(ExitStatus::Failure))
        }
    }
}

/// Whether `allow` lowered this diagnostic (it says so in its first note).
pub fn was_allowed(diagnostic: &Diagnostic) -> bool {
    diagnostic.notes.first().is_some_and(|note| note.starts_with("allowed by --allow-policy"))
}

/// The policies of the workspace at `root`, for judging a saved plan:
/// problems with them are printed, and `None` returned, when they do not
/// load cleanly.
pub fn workspace_policies(
    current_dir: &Path,
    root: &Path,
    color: crate::args::ColorWhen,
) -> std::io::Result<Option<std::sync::Arc<froyo_policy::PolicySet>>> {
    let mut database = froyo_db::Database::default();
    let loaded = load(&mut database, current_dir, root);
    let set = froyo_db::policy_set(&database, loaded.input, loaded.policies).set.clone();
    if set.problems.is_empty() {
        return Ok(Some(set));
    }
    let mut problems = froyo_db::policy_diagnostics(&database, loaded.input, loaded.policies);
    problems.retain(|diagnostic| !froyo_policy::diagnostics::is_finding(diagnostic));
    let mut stderr = std::io::stderr().lock();
    crate::output::write_diagnostics(
        &mut stderr,
        &loaded.files,
        &problems,
        crate::args::OutputFormat::Human,
        crate::output::stderr_color(color),
    )?;
    Ok(None)
}
