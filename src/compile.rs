//! The one workspace a command names, compiled for the commands that need
//! its IR (`froyo build`, `froyo graph`, `froyo plan`, `froyo apply`): the
//! work is [`froyo_loader::build`]'s; this module picks the workspace from
//! the paths given and prints what it reports.

use std::path::{Path, PathBuf};

use froyo_diagnostics::Diagnostic;

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
    let roots = froyo_loader::workspace_roots(current_dir, paths, &[]);
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
    let allowances = policy.map(crate::args::PolicyArgs::allowances);
    let built = froyo_loader::build(&mut database, current_dir, &root, allowances.as_deref());
    {
        let mut stderr = std::io::stderr().lock();
        output::write_diagnostics(
            &mut stderr,
            &built.files,
            &built.diagnostics,
            format,
            output::stderr_color(color),
        )?;
    }
    let tally = output::Tally::of(&built.diagnostics);
    span.record("errors", tally.errors);
    if let Some(ir) = &built.ir {
        span.record("resources", ir.resources.len());
    }
    match (built.ir, built.policies) {
        (Some(ir), Some(policies)) => Ok(Ok(Built { root, ir, policies, allowed: built.allowed })),
        _ => {
            output::print_status(&format!(
                "error: {}; {refusal}",
                output::count(tally.errors.max(1), "error")
            ));
            Ok(Err(ExitStatus::Failure))
        }
    }
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
    match froyo_loader::workspace_policies(&mut database, current_dir, root) {
        Ok(set) => Ok(Some(set)),
        Err((files, problems)) => {
            let mut stderr = std::io::stderr().lock();
            crate::output::write_diagnostics(
                &mut stderr,
                &files,
                &problems,
                crate::args::OutputFormat::Human,
                crate::output::stderr_color(color),
            )?;
            Ok(None)
        }
    }
}
