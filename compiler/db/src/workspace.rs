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

use froyo_check::Declared;
use froyo_diagnostics::{Diagnostic, FileId};
use froyo_eval::Data;
use froyo_ir::Ir;

use crate::{Package, SourceFile, export_package};

/// The files of one workspace.
#[salsa::input(debug)]
pub struct Workspace {
    /// The CUE package at the workspace root (with its imports).
    pub package: Package,
    /// The `.star` files, paths relative to the workspace root.
    #[returns(ref)]
    pub starlark: Vec<SourceFile>,
}

/// What compiling a workspace gives: the IR when there is no error, and
/// every diagnostic (warnings too).
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    pub ir: Option<Ir>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A batch's generated CUE text, interned so that validation is cached by it.
#[salsa::interned(debug)]
pub struct BatchText<'db> {
    #[returns(ref)]
    pub text: String,
}

/// The id of the first Starlark file: after the package, its imports and
/// the standard library.
fn first_starlark_id(db: &dyn salsa::Database, workspace: Workspace) -> u32 {
    let package = *workspace.package(db);
    let imported: usize = package.imports(db).iter().map(|(_, files)| files.len()).sum();
    (package.files(db).len() + imported + crate::stdlib_files().count()) as u32
}

/// The evaluated package, or its diagnostics. A workspace without CUE files
/// (Starlark only) has empty data.
fn cue_data(db: &dyn salsa::Database, workspace: Workspace) -> Result<&Data, &Vec<Diagnostic>> {
    static EMPTY: Data = Data::Struct(Vec::new());
    let package = *workspace.package(db);
    if package.files(db).is_empty() {
        return Ok(&EMPTY);
    }
    export_package(db, package).as_ref()
}

/// The evaluated package as `config`, or empty data when it did not export.
#[salsa::tracked(returns(ref))]
fn config(db: &dyn salsa::Database, workspace: Workspace) -> Arc<Data> {
    match cue_data(db, workspace) {
        Ok(data) => Arc::new(data.clone()),
        Err(_) => Arc::new(Data::Struct(Vec::new())),
    }
}

/// The resources one Starlark file declares, or its diagnostics.
#[salsa::tracked(returns(ref))]
pub fn starlark_file(
    db: &dyn salsa::Database,
    workspace: Workspace,
    file: SourceFile,
) -> (Vec<Declared>, Vec<Diagnostic>) {
    let first = first_starlark_id(db, workspace);
    let files = StarlarkFiles {
        files: workspace
            .starlark(db)
            .iter()
            .enumerate()
            .map(|(index, source)| {
                (
                    source.path(db).clone(),
                    (FileId(first + index as u32), Arc::from(source.text(db).as_str())),
                )
            })
            .collect(),
    };
    let output = froyo_starlark::run(
        file.path(db),
        &files,
        config(db, workspace).clone(),
        &froyo_starlark::Options::default(),
    );
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

struct StarlarkFiles {
    files: HashMap<String, (FileId, Arc<str>)>,
}

impl froyo_starlark::Files for StarlarkFiles {
    fn read(&self, path: &str) -> Option<(FileId, Arc<str>)> {
        self.files.get(path).cloned()
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

/// The workspace's IR and diagnostics.
#[salsa::tracked(returns(ref))]
pub fn compile_workspace(db: &dyn salsa::Database, workspace: Workspace) -> Compiled {
    let package = *workspace.package(db);
    let cue = match cue_data(db, workspace) {
        Ok(data) => data,
        Err(diagnostics) => {
            let table = FileTable::new(db, workspace);
            let stdlib =
                table.stdlib_start..table.stdlib_start + crate::stdlib_files().count() as u32;
            let diagnostics = diagnostics
                .iter()
                .map(|diagnostic| user_value_first(diagnostic.clone(), &stdlib))
                .collect();
            return Compiled { ir: None, diagnostics };
        }
    };

    let mut diagnostics = Vec::new();
    let mut declared = Vec::new();
    for file in workspace.starlark(db) {
        let (resources, file_diagnostics) = starlark_file(db, workspace, *file);
        declared.extend(resources.iter().cloned());
        for diagnostic in file_diagnostics {
            // A load cycle is found from every file on it; report it once.
            if !diagnostics.iter().any(|known: &Diagnostic| same_cycle(known, diagnostic)) {
                diagnostics.push(diagnostic.clone());
            }
        }
    }

    let cue_texts: Vec<(FileId, &str)> = package
        .files(db)
        .iter()
        .enumerate()
        .map(|(index, file)| (FileId(index as u32), file.text(db).as_str()))
        .collect();
    let collected = froyo_check::collect(cue, &cue_texts, &declared);
    diagnostics.extend(collected.diagnostics.iter().cloned());

    let table = FileTable::new(db, workspace);
    let stdlib_ids: Vec<FileId> = (0..crate::stdlib_files().count())
        .map(|index| FileId(table.stdlib_start + index as u32))
        .collect();
    let text_of = |file: FileId| table.text(file);
    let mut validated = HashMap::new();
    for batch in collected.batches() {
        let result = validate_batch(db, BatchText::new(db, batch.text.clone()));
        match batch.resolve(result, &stdlib_ids, &text_of) {
            Ok(values) => validated.extend(values),
            Err(batch_diagnostics) if batch.len() == 1 => diagnostics.extend(batch_diagnostics),
            // Find which entries fail, so that the others go on to the checks.
            Err(_) => {
                for single in batch.split() {
                    let result = validate_batch(db, BatchText::new(db, single.text.clone()));
                    match single.resolve(result, &stdlib_ids, &text_of) {
                        Ok(values) => validated.extend(values),
                        Err(entry_diagnostics) => diagnostics.extend(entry_diagnostics),
                    }
                }
            }
        }
    }
    let path_of = |file: FileId| table.path(file);
    let (ir, check_diagnostics) = froyo_check::finish(&collected, &validated, &path_of, &text_of);
    diagnostics.extend(check_diagnostics);
    let ir = (!diagnostics.iter().any(Diagnostic::is_error)).then_some(ir);
    let stdlib = table.stdlib_start..table.stdlib_start + stdlib_ids.len() as u32;
    let diagnostics =
        diagnostics.into_iter().map(|diagnostic| user_value_first(diagnostic, &stdlib)).collect();
    Compiled { ir, diagnostics }
}

/// A diagnostic whose primary span is a schema constraint of the standard
/// library, with the user's value as a secondary span, is turned around: the
/// user's value is what to fix, the constraint explains why.
fn user_value_first(mut diagnostic: Diagnostic, stdlib: &std::ops::Range<u32>) -> Diagnostic {
    if !stdlib.contains(&diagnostic.primary.span.file.0) {
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

/// Paths and texts by file id, in the workspace's order.
struct FileTable {
    entries: Vec<(String, String)>,
    stdlib_start: u32,
}

impl FileTable {
    fn new(db: &dyn salsa::Database, workspace: Workspace) -> FileTable {
        let package = *workspace.package(db);
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut push =
            |file: &SourceFile| entries.push((file.path(db).clone(), file.text(db).clone()));
        package.files(db).iter().for_each(&mut push);
        package.imports(db).iter().flat_map(|(_, files)| files).for_each(&mut push);
        let stdlib_start = entries.len() as u32;
        entries
            .extend(crate::stdlib_files().map(|(name, text)| (name.to_string(), text.to_string())));
        workspace.starlark(db).iter().for_each(|file| {
            entries.push((file.path(db).clone(), file.text(db).clone()));
        });
        FileTable { entries, stdlib_start }
    }

    fn path(&self, file: FileId) -> String {
        self.entries.get(file.0 as usize).map(|(path, _)| path.clone()).unwrap_or_default()
    }

    fn text(&self, file: FileId) -> Option<String> {
        self.entries.get(file.0 as usize).map(|(_, text)| text.clone())
    }
}
