//! The incremental database shared by the CLI and the language server.
//!
//! Source files are salsa *inputs*; everything else is a *tracked* query
//! derived from them: the syntax diagnostics of a file, and the evaluation of
//! a package (as concrete data for `froyo export`, as CUE text for `froyo
//! eval`). Changing one file's text re-runs only the queries that read it:
//! another package's evaluation is reused as it was.
//!
//! Start at [`Database`], then [`SourceFile`], [`Package`], [`syntax_diagnostics`],
//! [`export_package`] and [`eval_package_text`].
//!
//! Invariant: queries do no IO; hosts (the CLI, tests, the language server)
//! read files and set inputs.

pub mod declarations;
mod partition;
mod placed;
pub mod policies;
mod starlark_scan;
mod units;
mod workspace;

use froyo_diagnostics::{Diagnostic, FileId};
use froyo_eval::{Data, EvalOptions};

pub use declarations::{cue_declarations, starlark_declarations};
pub use placed::compile_workspace;
pub use policies::{Policies, policy_diagnostics, policy_set};
pub use units::{merged_units, partitioned_export, unit_count};
pub use workspace::{
    Compiled, MAX_COMPILED_FILE_BYTES, MAX_COMPILED_PACKAGE_BYTES, Workspace,
    incremental_workspace_checks, starlark_file, too_large, whole_workspace_checks, workspace_ir,
};

/// One source file: its path as shown to users, and its text.
#[salsa::input(debug)]
pub struct SourceFile {
    #[returns(ref)]
    pub path: String,
    #[returns(ref)]
    pub text: String,
}

/// The files of one CUE package (evaluated together), in a stable order.
#[salsa::input(debug)]
pub struct Package {
    #[returns(ref)]
    pub files: Vec<SourceFile>,
    /// `-e` expression to export instead of the whole package.
    #[returns(ref)]
    pub expression: Option<String>,
    /// Packages of the module that the files import: import path and files.
    /// Their diagnostics use file ids after the package's own files, and the
    /// standard library's files follow them ([`stdlib_files`]).
    #[returns(ref)]
    pub imports: Vec<(String, Vec<SourceFile>)>,
    /// What the host found for the `@embed` attributes of the package's
    /// files and its imports' (see [`Embed`]).
    #[default]
    #[returns(ref)]
    pub embeds: Vec<Embed>,
}

/// What the host found for one `@embed` attribute: the embedded files as
/// inputs (their decoded CUE text), so that an edit of one re-evaluates
/// what embeds it, or why they could not be embedded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embed {
    /// The CUE file holding the attribute.
    pub file: SourceFile,
    /// Byte offset of the attribute's `@` in it.
    pub offset: u32,
    /// Each embedded file's key (its path relative to the CUE file's
    /// directory) and input, or the problem.
    pub found: Result<Vec<(String, SourceFile)>, froyo_eval::embed::EmbedError>,
}

/// The syntax tree of one file, parsed once per text for every query that
/// reads the syntax (the partition's summary, declaration origins, syntax
/// diagnostics).
#[salsa::tracked(returns(ref))]
pub fn parse_file(db: &dyn salsa::Database, file: SourceFile) -> froyo_syntax::Parse {
    froyo_syntax::parse(file.text(db))
}

/// The syntax errors of one file, as diagnostics in `FileId(0)`; see
/// [`syntax_diagnostics_in`] for a file table's own id.
#[salsa::tracked(returns(ref))]
pub fn syntax_diagnostics(db: &dyn salsa::Database, file: SourceFile) -> Vec<Diagnostic> {
    let parse = parse_file(db, file);
    parse.errors().iter().map(|error| error.to_diagnostic(FileId(0))).collect()
}

/// The syntax errors of one file, pointing at `file_id`: the id a host's file
/// table gives the file. Not a query: it copies [`syntax_diagnostics`].
pub fn syntax_diagnostics_in(
    db: &dyn salsa::Database,
    file: SourceFile,
    file_id: FileId,
) -> Vec<Diagnostic> {
    syntax_diagnostics(db, file)
        .iter()
        .map(|diagnostic| map_files(diagnostic.clone(), |_| file_id))
        .collect()
}

/// The evaluated, concrete value of a package, as `froyo export` prints it.
/// Diagnostics use `FileId(i)` for the package's `i`th file.
#[salsa::tracked(returns(ref))]
pub fn export_package(db: &dyn salsa::Database, package: Package) -> Result<Data, Vec<Diagnostic>> {
    let (files, options) = evaluator_input(db, package);
    froyo_eval::export(&files, &options)
}

/// The value of a package printed as CUE, as `froyo eval` prints it (it need
/// not be concrete). Diagnostics use `FileId(i)` for the package's `i`th file.
#[salsa::tracked(returns(ref))]
pub fn eval_package_text(
    db: &dyn salsa::Database,
    package: Package,
) -> Result<String, Vec<Diagnostic>> {
    let (files, options) = evaluator_input(db, package);
    froyo_eval::eval_text(&files, &options)
}

/// The evaluator's files and options for `package`, read from the inputs.
fn evaluator_input(
    db: &dyn salsa::Database,
    package: Package,
) -> (Vec<froyo_eval::SourceFile>, EvalOptions) {
    let (files, mut options) = evaluator_input_of(db, package.files(db), package);
    options.expression = package.expression(db).clone();
    (files, options)
}

/// The evaluator's input for `files` with the imports of `package` (its
/// module packages, then the standard library, see [`stdlib_files`]).
fn evaluator_input_of(
    db: &dyn salsa::Database,
    files: &[SourceFile],
    package: Package,
) -> (Vec<froyo_eval::SourceFile>, EvalOptions) {
    let source = |file: &SourceFile| froyo_eval::SourceFile {
        name: file.path(db).clone(),
        text: file.text(db).clone(),
    };
    let sources = files.iter().map(source).collect();
    let imports = package
        .imports(db)
        .iter()
        .map(|(path, files)| froyo_eval::ImportedPackage {
            path: path.clone(),
            files: files.iter().map(source).collect(),
        })
        .chain(froyo_check::schema::stdlib_imports())
        .collect();
    let embeds = evaluator_embeds(db, files, package);
    (sources, EvalOptions { imports, embeds, ..EvalOptions::default() })
}

/// The package's embeds for an evaluation of `files` with the package's
/// module imports: each attribute's file by its index among them.
fn evaluator_embeds(
    db: &dyn salsa::Database,
    files: &[SourceFile],
    package: Package,
) -> Vec<froyo_eval::embed::Embed> {
    let embeds = package.embeds(db);
    if embeds.is_empty() {
        return Vec::new();
    }
    let evaluated: Vec<SourceFile> = files
        .iter()
        .copied()
        .chain(package.imports(db).iter().flat_map(|(_, files)| files.iter().copied()))
        .collect();
    embeds
        .iter()
        .filter_map(|embed| {
            let index = evaluated.iter().position(|file| *file == embed.file)?;
            let found = embed.found.clone().map(|files| {
                files
                    .iter()
                    .map(|(key, source)| froyo_eval::embed::EmbeddedFile {
                        key: key.clone(),
                        source: froyo_eval::SourceFile {
                            name: source.path(db).clone(),
                            text: source.text(db).clone(),
                        },
                    })
                    .collect()
            });
            Some(froyo_eval::embed::Embed { file: index as u32, offset: embed.offset, found })
        })
        .collect()
}

/// `diagnostic` with every file id mapped by `map`.
fn map_files(mut diagnostic: Diagnostic, map: impl Fn(FileId) -> FileId) -> Diagnostic {
    diagnostic.primary.span.file = map(diagnostic.primary.span.file);
    for label in &mut diagnostic.secondary {
        label.span.file = map(label.span.file);
    }
    if let Some(fix) = &mut diagnostic.fix {
        for edit in &mut fix.edits {
            edit.span.file = map(edit.span.file);
        }
    }
    diagnostic
}

/// The standard library's files (name and text), in the order their file ids
/// follow a package's imports in evaluation diagnostics.
pub fn stdlib_files() -> impl Iterator<Item = (&'static str, &'static str)> {
    froyo_stdlib::PACKAGES
        .iter()
        .flat_map(|package| package.files.iter().map(|file| (file.name, file.text)))
}

/// The database: salsa's storage, and nothing else.
#[salsa::db]
#[derive(Clone, Default)]
pub struct Database {
    storage: salsa::Storage<Self>,
}

#[salsa::db]
impl salsa::Database for Database {}

impl Database {
    /// A database that reports every query execution to `on_execute` (for tests
    /// and tracing).
    pub fn with_execution_log(on_execute: impl Fn(String) + Send + Sync + 'static) -> Database {
        let callback = move |event: salsa::Event| {
            if let salsa::EventKind::WillExecute { database_key } = event.kind {
                on_execute(format!("{database_key:?}"));
            }
        };
        Database { storage: salsa::Storage::new(Some(Box::new(callback))) }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use salsa::Setter;

    use super::*;

    #[test]
    fn editing_one_package_does_not_re_evaluate_another() {
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        let mut db = Database::with_execution_log(move |event| sink.lock().unwrap().push(event));
        let a = SourceFile::new(&db, "a/a.cue".into(), "package a\nx: 1\n".into());
        let b = SourceFile::new(&db, "b/b.cue".into(), "package b\ny: 2\n".into());
        let package_a = Package::new(&db, vec![a], None, Vec::new());
        let package_b = Package::new(&db, vec![b], None, Vec::new());

        assert!(export_package(&db, package_a).is_ok());
        assert!(export_package(&db, package_b).is_ok());
        log.lock().unwrap().clear();

        b.set_text(&mut db).to("package b\ny: 3\n".into());
        let a_value = export_package(&db, package_a).clone();
        let b_value = export_package(&db, package_b).clone();
        let executed = log.lock().unwrap().join("\n");
        assert!(
            !executed.contains("export_package(Id(0))")
                || executed.matches("export_package").count() == 1,
            "{executed}"
        );
        assert_eq!(
            executed.matches("export_package").count(),
            1,
            "only package b re-evaluates:\n{executed}"
        );
        assert!(matches!(a_value, Ok(Data::Struct(ref fields)) if fields.len() == 1));
        match b_value {
            Ok(Data::Struct(fields)) => {
                assert_eq!(fields[0].1, Data::Number(froyo_eval::num::Number::from_i64(3)))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn syntax_diagnostics_follow_the_text() {
        let mut db = Database::default();
        let file = SourceFile::new(&db, "a.cue".into(), "a: {".into());
        assert_eq!(syntax_diagnostics(&db, file).len(), 1);
        file.set_text(&mut db).to("a: {}".into());
        assert!(syntax_diagnostics(&db, file).is_empty());
    }

    #[test]
    fn eval_text_prints_incomplete_values_and_follows_edits() {
        let mut db = Database::default();
        let file = SourceFile::new(&db, "a.cue".into(), "package a\nx: int\n".into());
        let package = Package::new(&db, vec![file], None, Vec::new());
        let text = eval_package_text(&db, package).clone().unwrap();
        assert!(text.contains("x: int"), "{text}");
        assert!(export_package(&db, package).is_err(), "an incomplete value does not export");

        file.set_text(&mut db).to("package a\nx: int\nx: 5\n".into());
        let text = eval_package_text(&db, package).clone().unwrap();
        assert!(text.contains("x: 5"), "{text}");
    }

    #[test]
    fn evaluation_diagnostics_point_at_the_package_files() {
        let db = Database::default();
        let a = SourceFile::new(&db, "a.cue".into(), "package p\nx: 1\n".into());
        let b = SourceFile::new(&db, "b.cue".into(), "package p\nx: 2\n".into());
        let package = Package::new(&db, vec![a, b], None, Vec::new());
        // `eval` prints a conflict as bottom, as `cue eval` does; `export` fails.
        let text = eval_package_text(&db, package).clone().unwrap();
        assert!(text.contains("_|_"), "{text}");
        let diagnostics = export_package(&db, package).clone().unwrap_err();
        let files: Vec<FileId> = diagnostics
            .iter()
            .flat_map(|diagnostic| {
                std::iter::once(&diagnostic.primary).chain(&diagnostic.secondary)
            })
            .map(|label| label.span.file)
            .collect();
        assert!(files.iter().all(|file| *file == FileId(0) || *file == FileId(1)), "{files:?}");
        assert!(files.contains(&FileId(1)), "{files:?}");
    }

    #[test]
    fn syntax_diagnostics_in_uses_the_given_file_id() {
        let db = Database::default();
        let file = SourceFile::new(&db, "a.cue".into(), "a: [1,\nb: 2 +\n".into());
        let diagnostics = syntax_diagnostics_in(&db, file, FileId(7));
        assert!(!diagnostics.is_empty());
        for diagnostic in &diagnostics {
            assert_eq!(diagnostic.primary.span.file, FileId(7));
            assert!(diagnostic.secondary.iter().all(|label| label.span.file == FileId(7)));
        }
    }
}
