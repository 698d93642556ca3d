//! A workspace: the CUE package at its root, its Starlark files, and the
//! queries that compile them into the resource IR.
//!
//! File ids follow one order, which hosts mirror in their file table: the
//! package's files, the module packages it imports, the standard library
//! ([`crate::stdlib_files`]), then the Starlark files.
//!
//! The queries, from the bottom up:
//! - [`starlark_file`] runs one `.star` file with `config` (the package's
//!   evaluated data); it re-runs when that file, a file it loads, or the data
//!   changes.
//! - [`validate_batch`] checks one source file's hosts and resources against
//!   their schemas; the batch is keyed by its generated text, so an edit to
//!   one file re-validates that file's resources only.
//! - [`compile_workspace`] puts it together: the IR and every diagnostic.

use std::collections::HashMap;
use std::sync::Arc;

use froyo_check::by_file::{Declaration, FileFindings, Index, Outline};
use froyo_check::checks::dependency_cycle::Cycle;
use froyo_check::{Collected, Declared, Lowered, Unchecked};
use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use froyo_eval::Data;
use froyo_ir::Ir;

use crate::units::{Unit, package_units, unit_partial};
use crate::{Package, SourceFile};

/// The files of one workspace.
#[salsa::input(debug)]
pub struct Workspace {
    /// The CUE package at the workspace root (with its imports).
    pub package: Package,
    /// The `.star` files, paths relative to the workspace root.
    #[returns(ref)]
    pub starlark: Vec<SourceFile>,
}

/// What compiling a workspace gives: every diagnostic (warnings too), and
/// whether there is an error.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub diagnostics: Vec<Diagnostic>,
    pub has_errors: bool,
}

/// A batch's generated CUE text, interned so that validation is cached by it.
#[salsa::interned(debug)]
pub struct BatchText<'db> {
    #[returns(ref)]
    pub text: String,
}

/// The id of the first Starlark file: after the package, its imports and
/// the standard library.
pub(crate) fn first_starlark_id(db: &dyn salsa::Database, workspace: Workspace) -> u32 {
    let package = *workspace.package(db);
    let imported: usize = package.imports(db).iter().map(|(_, files)| files.len()).sum();
    (package.files(db).len() + imported + crate::stdlib_files().count()) as u32
}

/// The CUE package's errors: files too large to compile, or what its units'
/// evaluation reports. Empty when the package evaluates (or has no files).
#[salsa::tracked(returns(ref))]
pub(crate) fn cue_errors(db: &dyn salsa::Database, workspace: Workspace) -> Vec<Diagnostic> {
    let package = *workspace.package(db);
    if package.files(db).is_empty() {
        return Vec::new();
    }
    let too_large = oversized_cue_files(db, workspace);
    if !too_large.is_empty() {
        return too_large.clone();
    }
    let mut diagnostics = Vec::new();
    for files in package_units(db, package) {
        diagnostics.extend(
            unit_partial(db, Unit::new(db, package, files.clone())).diagnostics.iter().cloned(),
        );
    }
    diagnostics
}

/// The top-level fields of the CUE package that have errors, in name order
/// (all that a unit declares when it does not evaluate at all), or `None`
/// when which they are is not known (a file too large, an error at the
/// root, a unit that does not evaluate and declares fields only evaluation
/// can name).
#[salsa::tracked(returns(ref))]
fn broken_config_names(db: &dyn salsa::Database, workspace: Workspace) -> Option<Vec<String>> {
    let package = *workspace.package(db);
    if !oversized_cue_files(db, workspace).is_empty() {
        return None;
    }
    let mut names = Vec::new();
    for files in package_units(db, package) {
        let partial = unit_partial(db, Unit::new(db, package, files.clone()));
        if partial.data.is_none() {
            for index in files {
                let file = package.files(db).get(*index as usize)?;
                let summary = crate::units::file_summary(db, *file);
                if summary.unreadable || summary.declared.opaque {
                    return None;
                }
                names.extend(summary.declared.children.keys().cloned());
            }
            continue;
        }
        for path in &partial.error_paths {
            names.push(path.first()?.clone());
        }
    }
    names.sort();
    names.dedup();
    Some(names)
}

/// The unit of the package holding its file `index`.
fn unit_of(db: &dyn salsa::Database, package: Package, index: u32) -> Option<Unit<'_>> {
    let files = package_units(db, package).iter().find(|files| files.contains(&index))?;
    Some(Unit::new(db, package, files.clone()))
}

/// The largest CUE or Starlark file a workspace compile evaluates.
pub const MAX_COMPILED_FILE_BYTES: usize = 4 << 20;
/// The largest CUE package (its files together) a workspace compile evaluates.
pub const MAX_COMPILED_PACKAGE_BYTES: usize = 16 << 20;

/// `E0103` for each package file over [`MAX_COMPILED_FILE_BYTES`], or for
/// the package when together they exceed [`MAX_COMPILED_PACKAGE_BYTES`].
#[salsa::tracked(returns(ref))]
fn oversized_cue_files(db: &dyn salsa::Database, workspace: Workspace) -> Vec<Diagnostic> {
    let package = *workspace.package(db);
    let mut diagnostics = Vec::new();
    let mut total = 0;
    for (index, file) in package.files(db).iter().enumerate() {
        let size = file.text(db).len();
        total += size;
        if size > MAX_COMPILED_FILE_BYTES {
            diagnostics.push(too_large(file.path(db), size, FileId(index as u32)));
        }
    }
    if diagnostics.is_empty() && total > MAX_COMPILED_PACKAGE_BYTES {
        diagnostics.push(
            Diagnostic::new(
                &registry::FILE_TOO_LARGE_TO_COMPILE,
                format!(
                    "the CUE package is {total} bytes, more than the {} MiB froyo compiles",
                    MAX_COMPILED_PACKAGE_BYTES >> 20
                ),
                froyo_diagnostics::Span::new(FileId(0), 0, 0),
            )
            .with_help("keep large data out of the workspace, or split the package"),
        );
    }
    diagnostics
}

/// `E0103` for a file of `size` bytes.
pub fn too_large(path: &str, size: usize, file: FileId) -> Diagnostic {
    Diagnostic::new(
        &registry::FILE_TOO_LARGE_TO_COMPILE,
        format!(
            "`{path}` is {size} bytes, more than the {} MiB froyo compiles",
            MAX_COMPILED_FILE_BYTES >> 20
        ),
        froyo_diagnostics::Span::new(file, 0, 0),
    )
    .with_help("keep large data out of the workspace, or split it")
}

/// Which top-level fields of the CUE data a Starlark run may read: `None`
/// for all of them.
#[salsa::interned(debug)]
struct ConfigNames<'db> {
    #[returns(ref)]
    names: Option<Vec<String>>,
}

/// The CUE data a Starlark file sees as `config`: only the top-level fields
/// it names (so that an edit elsewhere does not re-run it), or all of it.
/// When a field it names has errors (or it names all of them, and some
/// have), `Err` with the broken fields it reads (empty when not known): the
/// file is not run, since what it would do depends on the broken value.
#[salsa::tracked(returns(ref))]
fn config<'db>(
    db: &'db dyn salsa::Database,
    workspace: Workspace,
    names: ConfigNames<'db>,
) -> Result<Arc<Data>, Vec<String>> {
    let package = *workspace.package(db);
    if package.files(db).is_empty() {
        return Ok(Arc::new(Data::Struct(Vec::new())));
    }
    let wanted = names.names(db).as_deref();
    if wanted.is_some_and(|wanted| wanted.is_empty()) {
        return Ok(Arc::new(Data::Struct(Vec::new())));
    }
    if !cue_errors(db, workspace).is_empty() {
        let Some(broken) = broken_config_names(db, workspace) else { return Err(Vec::new()) };
        let read: Vec<String> = match wanted {
            Some(wanted) => broken.iter().filter(|name| wanted.contains(name)).cloned().collect(),
            None => broken.clone(),
        };
        if !read.is_empty() {
            return Err(read);
        }
    }
    crate::units::merged_units(db, package, wanted, true).map(Arc::new).map_err(|_| Vec::new())
}

/// The top-level `config` fields a Starlark file (with what it loads) reads,
/// when every use of `config` there is `config.name` or `config["name"]`.
#[salsa::tracked(returns(ref))]
fn starlark_config_names(
    db: &dyn salsa::Database,
    workspace: Workspace,
    file: SourceFile,
) -> Option<Vec<String>> {
    let mut names = Vec::new();
    let mut pending = vec![file.path(db).clone()];
    let mut seen = Vec::new();
    while let Some(path) = pending.pop() {
        if seen.contains(&path) {
            continue;
        }
        seen.push(path.clone());
        let source = workspace.starlark(db).iter().find(|candidate| *candidate.path(db) == path)?;
        let scan = crate::starlark_scan::scan(source.text(db))?;
        names.extend(scan.config_names);
        for load in scan.loads {
            if let Ok(target) = froyo_starlark::resolve_load(&path, &load) {
                pending.push(target);
            }
        }
    }
    names.sort();
    names.dedup();
    Some(names)
}

/// The resources one Starlark file declares, or its diagnostics.
#[salsa::tracked(returns(ref))]
pub fn starlark_file(
    db: &dyn salsa::Database,
    workspace: Workspace,
    file: SourceFile,
) -> (Vec<Declared>, Vec<Diagnostic>) {
    let first = first_starlark_id(db, workspace);
    let size = file.text(db).len();
    if size > MAX_COMPILED_FILE_BYTES {
        let index =
            workspace.starlark(db).iter().position(|candidate| *candidate == file).unwrap_or(0);
        return (Vec::new(), vec![too_large(file.path(db), size, FileId(first + index as u32))]);
    }
    let files = StarlarkFiles { db, workspace, first };
    let names = ConfigNames::new(db, starlark_config_names(db, workspace, file).clone());
    let config = match config(db, workspace, names) {
        Ok(config) => config.clone(),
        Err(broken) => {
            let index =
                workspace.starlark(db).iter().position(|candidate| *candidate == file).unwrap_or(0);
            // At the first use of a broken field, else at the file's start.
            let tokens = froyo_starlark::scan::tokenize(file.text(db));
            let at = froyo_starlark::scan::config_reads(&tokens)
                .into_iter()
                .find(|(name, ..)| broken.contains(name))
                .map(|(_, start, end)| (start, end));
            let (start, end) = at.unwrap_or((0, 0));
            let span = Span::new(FileId(first + index as u32), start, end);
            let mut note = not_run(file.path(db), broken, span);
            if at.is_some() {
                note = note.with_primary_label("this field has errors");
            }
            return (Vec::new(), vec![note]);
        }
    };
    let output =
        froyo_starlark::run(file.path(db), &files, config, &froyo_starlark::Options::default());
    let declared = output
        .resources
        .into_iter()
        .map(|resource| Declared {
            type_name: resource.type_name.to_string(),
            id: resource.id,
            value: resource.value,
            span: resource.span,
        })
        .collect();
    (declared, output.diagnostics)
}

/// The note for a Starlark file that is not run because the CUE data it
/// reads (`broken`, when known) has errors.
fn not_run(path: &str, broken: &[String], span: Span) -> Diagnostic {
    let reads = if broken.is_empty() {
        "the CUE data it reads does not evaluate".to_string()
    } else {
        let names: Vec<String> = broken.iter().map(|name| format!("`config.{name}`")).collect();
        format!("it reads {}, which has errors", names.join(", "))
    };
    Diagnostic::new(
        &registry::NOT_CHECKED_AFTER_ERROR,
        format!("`{path}` was not run: {reads}"),
        span,
    )
    .with_note("its resources are checked once those errors are fixed")
}

/// The workspace's Starlark files as the bridge reads them: a file's text is
/// read (and so becomes a dependency of the query) only when it is loaded.
struct StarlarkFiles<'db> {
    db: &'db dyn salsa::Database,
    workspace: Workspace,
    first: u32,
}

impl froyo_starlark::Files for StarlarkFiles<'_> {
    fn read(&self, path: &str) -> Option<(FileId, Arc<str>)> {
        let files = self.workspace.starlark(self.db);
        let index = files.iter().position(|file| file.path(self.db) == path)?;
        Some((FileId(self.first + index as u32), Arc::from(files[index].text(self.db).as_str())))
    }
}

/// A batch validated against the standard library (see
/// [`froyo_check::schema::validate`] for its file ids).
#[salsa::tracked(returns(ref))]
fn validate_batch<'db>(
    db: &'db dyn salsa::Database,
    batch: BatchText<'db>,
) -> Result<Data, Vec<Diagnostic>> {
    froyo_check::schema::validate(batch.text(db))
}

/// The hosts and resources of one unit of the CUE package, typed, with their
/// origins; those with evaluation errors are unchecked (see
/// [`froyo_check::collect_cue_partial`]).
#[salsa::tracked(returns(ref))]
fn unit_collected<'db>(db: &'db dyn salsa::Database, unit: Unit<'db>) -> Collected {
    let partial = unit_partial(db, unit);
    let package = *unit.package(db);
    let trees: Vec<(FileId, froyo_syntax::SyntaxNode)> = unit
        .files(db)
        .iter()
        .filter_map(|index| {
            let file = package.files(db).get(*index as usize)?;
            Some((FileId(*index), crate::parse_file(db, *file).syntax_node()))
        })
        .collect();
    froyo_check::collect_cue_partial(
        partial.data.as_ref(),
        &trees,
        froyo_check::ErrorPaths(&partial.error_paths),
    )
}

/// How many declarations are validated together: an edit re-validates the
/// chunk of the declaration it changed, and every chunk's evaluation pays
/// for reading the schemas once.
const VALIDATION_CHUNK: usize = 32;

/// The validated, lowered hosts and resources one source file declares: a
/// file of the CUE package or a Starlark file.
#[salsa::tracked(returns(ref))]
pub(crate) fn lowered_file(
    db: &dyn salsa::Database,
    workspace: Workspace,
    file: SourceFile,
) -> Lowered {
    let table = FileTable::new(db, workspace);
    let Some(file_id) = table.id_of(file) else { return Lowered::default() };
    let mut lowered = Lowered::default();
    let path_of = |file: FileId| table.path(file);
    let (batch, mut unchecked) = if table.is_starlark(file_id) {
        let (declared, diagnostics) = starlark_file(db, workspace, file);
        if !diagnostics.is_empty() {
            lowered.incomplete = Some(file.path(db).clone());
        }
        let collected = froyo_check::collect_starlark(declared);
        lowered.diagnostics = collected.diagnostics.clone();
        (collected.batch_of(file_id), collected.unchecked_of(file_id))
    } else {
        // The entries of this file in its unit; the unit's collection reports
        // their typing problems once.
        let package = *workspace.package(db);
        if !oversized_cue_files(db, workspace).is_empty() {
            lowered.incomplete = Some(file.path(db).clone());
            return lowered;
        }
        match unit_of(db, package, file_id.0) {
            Some(unit) => {
                if unit_partial(db, unit).data.is_none() {
                    lowered.incomplete = Some(file.path(db).clone());
                }
                let collected = unit_collected(db, unit);
                (collected.batch_of(file_id), collected.unchecked_of(file_id))
            }
            None => return lowered,
        }
    };
    if batch.is_empty() {
        lowered.add_unchecked(&unchecked, &path_of);
        return lowered;
    }
    let stdlib_ids: Vec<FileId> = (0..crate::stdlib_files().count())
        .map(|index| FileId(table.stdlib_start + index as u32))
        .collect();
    let text_of = |file: FileId| table.text(file);
    let mut validated = HashMap::new();
    // Validated in chunks, each cached by its text: an edit to one
    // declaration re-validates its chunk only. A failing chunk is validated
    // entry by entry, as the whole batch would be, so the diagnostics and
    // values are the same as the whole batch's.
    for chunk in batch.chunks(VALIDATION_CHUNK) {
        let result = validate_batch(db, BatchText::new(db, chunk.text.clone()));
        match chunk.resolve(result, &stdlib_ids, &text_of) {
            Ok(values) => validated.extend(values),
            Err(diagnostics) if chunk.len() == 1 => {
                lowered.diagnostics.extend(diagnostics);
                unchecked.extend(chunk.entries().map(Unchecked::of_entry));
            }
            // Find which entries fail, so that the others go on to the checks.
            Err(_) => {
                for single in chunk.split() {
                    let result = validate_batch(db, BatchText::new(db, single.text.clone()));
                    match single.resolve(result, &stdlib_ids, &text_of) {
                        Ok(values) => validated.extend(values),
                        Err(diagnostics) => {
                            lowered.diagnostics.extend(diagnostics);
                            unchecked.extend(single.entries().map(Unchecked::of_entry));
                        }
                    }
                }
            }
        }
    }
    let values = froyo_check::lower(&batch, &validated, &path_of);
    lowered.hosts = values.hosts;
    lowered.resources = values.resources;
    lowered.diagnostics.extend(values.diagnostics);
    // What failed validation still takes part in the workspace checks,
    // unless a declaration of the same name was validated (CUE unified the
    // two, and both were lowered from that value).
    unchecked.retain(|item| !validated.contains_key(&(item.is_host, item.name.clone())));
    unchecked.sort_by_key(|item| (item.origin.start, item.origin.end));
    lowered.add_unchecked(&unchecked, &path_of);
    lowered
}

/// The workspace's IR and diagnostics.
#[salsa::tracked(returns(ref))]
pub fn compile_workspace(db: &dyn salsa::Database, workspace: Workspace) -> Compiled {
    let table = FileTable::new(db, workspace);
    let stdlib = table.stdlib_start..table.stdlib_start + crate::stdlib_files().count() as u32;
    // Every stage goes on with what the stage before it could give: the CUE
    // values without errors, the Starlark files whose `config` evaluates,
    // and for the workspace checks every declaration, validated or not.
    let package = *workspace.package(db);
    let mut diagnostics = cue_errors(db, workspace).clone();
    for files in package_units(db, package) {
        diagnostics.extend(
            unit_collected(db, Unit::new(db, package, files.clone())).diagnostics.iter().cloned(),
        );
    }
    for file in workspace.starlark(db) {
        for diagnostic in &starlark_file(db, workspace, *file).1 {
            // A load cycle is found from every file on it; report it once.
            if !diagnostics.iter().any(|known: &Diagnostic| same_cycle(known, diagnostic)) {
                diagnostics.push(diagnostic.clone());
            }
        }
    }
    for lowered in lowered_files(db, workspace) {
        diagnostics.extend(lowered.diagnostics.iter().cloned());
    }
    diagnostics.extend(workspace_checks(db, workspace));
    let has_errors = diagnostics.iter().any(Diagnostic::is_error);
    let diagnostics = diagnostics
        .into_iter()
        .map(|diagnostic| froyo_check::schema::redact(user_value_first(diagnostic, &stdlib)))
        .collect();
    Compiled { diagnostics, has_errors }
}

/// Every file's lowered values: CUE files first, then Starlark files (a
/// later declaration of an id is the duplicate).
pub(crate) fn lowered_files(db: &dyn salsa::Database, workspace: Workspace) -> Vec<&Lowered> {
    checked_files(db, workspace).map(|file| lowered_file(db, workspace, file)).collect()
}

/// The source files in the order the checks read them: CUE files first,
/// then Starlark files.
pub(crate) fn checked_files(
    db: &dyn salsa::Database,
    workspace: Workspace,
) -> impl Iterator<Item = SourceFile> + '_ {
    let package = *workspace.package(db);
    package.files(db).iter().chain(workspace.starlark(db)).copied()
}

/// What the workspace-wide checks read of one file: its ids, edges and
/// hosts. Equal after an edit that changes only values or moves text, so
/// that what reads every file's outline is not run again.
#[salsa::tracked(returns(ref))]
fn file_outline(db: &dyn salsa::Database, workspace: Workspace, file: SourceFile) -> Outline {
    Outline::new(lowered_file(db, workspace, file))
}

/// Every file's outline together: where each id is first declared, and
/// every host.
#[salsa::tracked(returns(ref))]
fn check_index(db: &dyn salsa::Database, workspace: Workspace) -> Index {
    let outlines: Vec<&Outline> =
        checked_files(db, workspace).map(|file| file_outline(db, workspace, file)).collect();
    Index::new(&outlines)
}

/// An id named by a `require` or `notify`, interned to key [`suggested_id`].
#[salsa::interned(debug)]
struct Target<'db> {
    #[returns(ref)]
    id: String,
}

/// The declared id closest to an unknown `target`: cached while the ids
/// stay the same, since it compares `target` with every id.
#[salsa::tracked(returns(ref))]
fn suggested_id<'db>(
    db: &'db dyn salsa::Database,
    workspace: Workspace,
    target: Target<'db>,
) -> Option<String> {
    check_index(db, workspace).suggest(target.id(db))
}

/// The dependency cycles; re-run only when ids or edges change.
#[salsa::tracked(returns(ref))]
fn dependency_cycles(db: &dyn salsa::Database, workspace: Workspace) -> Vec<Cycle> {
    let outlines: Vec<&Outline> =
        checked_files(db, workspace).map(|file| file_outline(db, workspace, file)).collect();
    check_index(db, workspace).cycles(&outlines)
}

/// The span of a resource's declaration in the check order's file
/// `declaration.file`.
fn declaration_span(
    db: &dyn salsa::Database,
    workspace: Workspace,
    declaration: Declaration,
) -> Option<Span> {
    let file = checked_files(db, workspace).nth(declaration.file as usize)?;
    let lowered = lowered_file(db, workspace, file);
    lowered.resource_at(declaration.position).map(|(_, span)| *span)
}

/// One file's duplicate ids, unknown dependencies and host selectors
/// matching no host.
#[salsa::tracked(returns(ref))]
fn file_findings(db: &dyn salsa::Database, workspace: Workspace, file: SourceFile) -> FileFindings {
    let Some(position) = checked_files(db, workspace).position(|candidate| candidate == file)
    else {
        return FileFindings::default();
    };
    let table = FileTable::new(db, workspace);
    let text_of = |file: FileId| table.text(file);
    let first_span = |declaration: Declaration| declaration_span(db, workspace, declaration);
    let suggest =
        |target: &str| suggested_id(db, workspace, Target::new(db, target.to_string())).clone();
    froyo_check::by_file::check_file(
        position as u32,
        lowered_file(db, workspace, file),
        check_index(db, workspace),
        &first_span,
        &suggest,
        &text_of,
    )
}

/// The problems of the workspace's hosts; re-run only when the hosts change
/// (it reads the lowered values of the files that declare hosts, only).
#[salsa::tracked(returns(ref))]
fn host_diagnostics(db: &dyn salsa::Database, workspace: Workspace) -> Vec<Diagnostic> {
    let table = FileTable::new(db, workspace);
    let text_of = |file: FileId| table.text(file);
    let hosts: Vec<&[(froyo_ir::Host, Span)]> = checked_files(db, workspace)
        .filter(|file| !file_outline(db, workspace, *file).hosts.is_empty())
        .map(|file| &lowered_file(db, workspace, file).hosts[..])
        .collect();
    froyo_check::by_file::check_hosts(&hosts, &text_of)
}

/// The workspace-wide checks (duplicate ids, hosts, dependencies, host
/// selectors, cycles), as [`froyo_check::check`] reports them, from queries
/// cached per file.
fn workspace_checks(db: &dyn salsa::Database, workspace: Workspace) -> Vec<Diagnostic> {
    let findings: Vec<&FileFindings> =
        checked_files(db, workspace).map(|file| file_findings(db, workspace, file)).collect();
    let cycles = dependency_cycles(db, workspace);
    let cycles = if cycles.is_empty() {
        Vec::new()
    } else {
        let table = FileTable::new(db, workspace);
        let text_of = |file: FileId| table.text(file);
        let index = check_index(db, workspace);
        let span_of = |id: &str| {
            index
                .first(id)
                .and_then(|declaration| declaration_span(db, workspace, declaration))
                .unwrap_or(Span::new(FileId(0), 0, 0))
        };
        cycles
            .iter()
            .map(|cycle| {
                froyo_check::checks::dependency_cycle::diagnostic(cycle, &span_of, &text_of)
            })
            .collect()
    };
    froyo_check::by_file::assemble(&findings, host_diagnostics(db, workspace).clone(), cycles)
}

/// The workspace-wide checks run on every file at once with
/// [`froyo_check::check`], without the per-file queries: what
/// [`compile_workspace`] must report. For tests.
pub fn whole_workspace_checks(db: &dyn salsa::Database, workspace: Workspace) -> Vec<Diagnostic> {
    let table = FileTable::new(db, workspace);
    let text_of = |file: FileId| table.text(file);
    froyo_check::check(&lowered_files(db, workspace), &text_of)
}

/// The workspace-wide checks as [`compile_workspace`] runs them, from the
/// per-file queries (see [`whole_workspace_checks`]). For tests.
pub fn incremental_workspace_checks(
    db: &dyn salsa::Database,
    workspace: Workspace,
) -> Vec<Diagnostic> {
    workspace_checks(db, workspace)
}

/// The workspace's IR, when it compiles without errors (see
/// [`compile_workspace`] for the diagnostics).
#[salsa::tracked(returns(ref))]
pub fn workspace_ir(db: &dyn salsa::Database, workspace: Workspace) -> Option<Ir> {
    if compile_workspace(db, workspace).has_errors {
        return None;
    }
    Some(froyo_check::assemble(&lowered_files(db, workspace)))
}

/// A diagnostic whose primary span is a schema constraint of the standard
/// library, with the user's value as a secondary span, is turned around: the
/// user's value is what to fix, the constraint explains why.
fn user_value_first(mut diagnostic: Diagnostic, stdlib: &std::ops::Range<u32>) -> Diagnostic {
    if !stdlib.contains(&diagnostic.primary.span.file.0) {
        // A schema's constraint beside the user's value says what it is.
        for label in &mut diagnostic.secondary {
            if label.message.is_empty() && stdlib.contains(&label.span.file.0) {
                label.message = "constraint from the schema".into();
            }
        }
        return diagnostic;
    }
    let Some(position) =
        diagnostic.secondary.iter().position(|label| !stdlib.contains(&label.span.file.0))
    else {
        return diagnostic;
    };
    let user = diagnostic.secondary.remove(position);
    let mut schema = std::mem::replace(&mut diagnostic.primary, user);
    if schema.message.is_empty() {
        schema.message = "constraint from the schema".into();
    }
    diagnostic.secondary.insert(0, schema);
    diagnostic
}

/// Whether two diagnostics report the same load cycle (the same loads, seen
/// from different files).
fn same_cycle(a: &Diagnostic, b: &Diagnostic) -> bool {
    let spans = |diagnostic: &Diagnostic| {
        let mut spans: Vec<_> = std::iter::once(diagnostic.primary.span)
            .chain(diagnostic.secondary.iter().map(|label| label.span))
            .map(|span| (span.file, span.start, span.end))
            .collect();
        spans.sort();
        spans
    };
    a.code == b.code && a.code.code == "E0404" && spans(a) == spans(b)
}

/// Paths and texts by file id, in the workspace's order. Texts are read from
/// the database only when asked for, so that a query depends on the texts it
/// reads and no others.
pub(crate) struct FileTable<'db> {
    db: &'db dyn salsa::Database,
    /// Package files, then imported files.
    cue: Vec<SourceFile>,
    starlark: &'db [SourceFile],
    stdlib_start: u32,
    starlark_start: u32,
}

impl<'db> FileTable<'db> {
    pub(crate) fn new(db: &'db dyn salsa::Database, workspace: Workspace) -> FileTable<'db> {
        let package = *workspace.package(db);
        let cue: Vec<SourceFile> = package
            .files(db)
            .iter()
            .chain(package.imports(db).iter().flat_map(|(_, files)| files))
            .copied()
            .collect();
        let stdlib_start = cue.len() as u32;
        let starlark_start = stdlib_start + crate::stdlib_files().count() as u32;
        FileTable { db, cue, starlark: workspace.starlark(db), stdlib_start, starlark_start }
    }

    /// The id of a package or Starlark file of the workspace.
    fn id_of(&self, file: SourceFile) -> Option<FileId> {
        if let Some(index) = self.cue.iter().position(|candidate| *candidate == file) {
            return Some(FileId(index as u32));
        }
        let index = self.starlark.iter().position(|candidate| *candidate == file)?;
        Some(FileId(self.starlark_start + index as u32))
    }

    fn is_starlark(&self, file: FileId) -> bool {
        file.0 >= self.starlark_start
    }

    fn source(&self, file: FileId) -> Option<Result<SourceFile, (&'static str, &'static str)>> {
        let index = file.0;
        if index < self.stdlib_start {
            self.cue.get(index as usize).copied().map(Ok)
        } else if index < self.starlark_start {
            crate::stdlib_files().nth((index - self.stdlib_start) as usize).map(Err)
        } else {
            self.starlark.get((index - self.starlark_start) as usize).copied().map(Ok)
        }
    }

    fn path(&self, file: FileId) -> String {
        match self.source(file) {
            Some(Ok(source)) => source.path(self.db).clone(),
            Some(Err((name, _))) => name.to_string(),
            None => String::new(),
        }
    }

    pub(crate) fn text(&self, file: FileId) -> Option<String> {
        match self.source(file)? {
            Ok(source) => Some(source.text(self.db).clone()),
            Err((_, text)) => Some(text.to_string()),
        }
    }
}
