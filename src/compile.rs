//! Loading a workspace into the database for the commands that compile it
//! (`froyo check`, `froyo build`).
//!
//! A workspace is a CUE module: the package in the directory holding
//! `cue.mod/` (with the module packages it imports and the embedded standard
//! library) and every `*.star` file under that directory. The file table
//! follows the database's order: package files, imports, standard library,
//! Starlark files. Files are named relative to the workspace root in the
//! database (what `load` resolves against and what the IR records as
//! origins) and relative to the current directory in the file table (what
//! users read).

use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, FileId, Files, Span};
use froyo_loader::{FileKind, Overlay, Request, Target, display_path};

/// A workspace set up as database inputs, and the file table its
/// diagnostics point into.
pub struct LoadedWorkspace {
    pub files: Files,
    pub input: froyo_db::Workspace,
    /// The workspace's `policies/*.rego`.
    pub policies: froyo_db::Policies,
    /// Problems found while loading (unreadable files, files of another
    /// package), in the file table.
    pub diagnostics: Vec<Diagnostic>,
    /// How many Starlark files the workspace has.
    pub starlark_files: usize,
}

/// Loads the workspace whose root is `root` with [`froyo_loader::load`],
/// naming files relative to `current_dir` in the file table.
pub fn load(database: &mut froyo_db::Database, current_dir: &Path, root: &Path) -> LoadedWorkspace {
    let overlay = Overlay::new();
    let loaded = froyo_loader::load(
        database,
        &Request {
            target: Target::Module(root.to_path_buf()),
            overlay: &overlay,
            previous: None,
            display_base: current_dir,
            stdlib_directory: Path::new(""),
            watch: false,
        },
    );
    let mut files = Files::new();
    for (id, file) in loaded.files.iter().enumerate() {
        let name = match file.kind {
            FileKind::Stdlib => file.path.to_string_lossy().into_owned(),
            _ => display_path(current_dir, &file.path),
        };
        files.add(name, loaded.text(database, id as u32).unwrap_or_default());
    }
    let diagnostics = loaded
        .problems
        .iter()
        .map(|problem| {
            let id = match loaded.file_id(&problem.path) {
                Some(id) => FileId(id),
                None => files.add(display_path(current_dir, &problem.path), problem.text.clone()),
            };
            problem.diagnostic_in(id)
        })
        .collect();
    LoadedWorkspace {
        files,
        input: loaded.input,
        policies: loaded.policies,
        diagnostics,
        starlark_files: loaded.starlark_count(),
    }
}

/// The workspace roots (directories holding `cue.mod/module.cue`) that
/// `paths` name or lie in; without paths, the one around `current_dir`.
pub fn roots(current_dir: &Path, paths: &[PathBuf], discovered: &[PathBuf]) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut add = |root: Option<PathBuf>| {
        if let Some(root) = root
            && !roots.contains(&root)
        {
            roots.push(root);
        }
    };
    if paths.is_empty() {
        add(froyo_loader::find_root(current_dir));
    }
    for path in paths {
        let path = froyo_loader::absolute(current_dir, path);
        let directory = if path.is_dir() {
            path.clone()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        add(froyo_loader::find_root(&directory));
    }
    for file in discovered {
        add(file.parent().and_then(froyo_loader::find_root));
    }
    roots.sort();
    roots
}

/// Moves diagnostics from one file table to another, matching files by name
/// and adding those the target does not have.
pub fn move_diagnostics(
    from: &Files,
    to: &mut Files,
    diagnostics: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut map = |file: FileId| -> FileId {
        let Some(source) = from.get(file) else { return file };
        for index in 0..to.len() {
            let id = FileId(index as u32);
            if to.get(id).is_some_and(|existing| existing.name() == source.name()) {
                return id;
            }
        }
        to.add(source.name().to_string(), source.text().to_string())
    };
    diagnostics
        .into_iter()
        .map(|mut diagnostic| {
            let mut move_span = |span: &mut Span| span.file = map(span.file);
            move_span(&mut diagnostic.primary.span);
            for label in &mut diagnostic.secondary {
                move_span(&mut label.span);
            }
            if let Some(fix) = &mut diagnostic.fix {
                for edit in &mut fix.edits {
                    move_span(&mut edit.span);
                }
            }
            diagnostic
        })
        .collect()
}

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
    crate::commands::check::sort_diagnostics(&mut diagnostics);
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
