//! The files of one CUE package, for the commands that evaluate (`froyo
//! export`, `froyo eval`).
//!
//! Files named on the command line are taken as given, whatever their
//! package clause: the evaluator reports files of different packages. A
//! directory contributes its own `*.cue` files, not those of subdirectories,
//! as `cue export` does; when they declare more than one package that is an
//! error, and files without a package clause are left out when the others
//! declare one. Without paths, the directory at the root of the workspace is
//! used.
//!
//! Files are read with the limits of [`crate::read`]; their package
//! clauses and imports are read by [`crate::scan`], the scanner the
//! workspace loader uses (evaluation parses each file once and reports
//! syntax errors before evaluating anything), and module imports are
//! resolved by [`crate::imports`].
//! The result is a [`froyo_db::Package`] input of the caller's database, to
//! evaluate with its queries, plus a [`Files`] table whose ids are the
//! package's file indexes, for rendering their diagnostics.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, Files, Span, registry};

use crate::arguments::Argument;
use crate::data::{DataFile, DataKind};
use crate::scan::{PackageClause, package_clause};
use crate::{Discovery, Overlay, Sources, display_path};

/// The package as a database input, and the table its diagnostics point into.
pub struct Package {
    /// `FileId(i)` is the input's `i`th file; an expression given with `-e`
    /// follows the files as one more entry, named `<expression>`.
    pub files: Files,
    pub input: froyo_db::Package,
    /// A data file of several values (JSON Lines, YAML documents), when one
    /// was given: the package is evaluated once per value.
    pub stream: Option<Stream>,
}

/// A data file of several values among the package's inputs. The input
/// holds the first value; [`Stream::select`] sets another.
pub struct Stream {
    pub input: froyo_db::SourceFile,
    pub data: DataFile,
}

impl Stream {
    pub fn len(&self) -> usize {
        self.data.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.data.values.is_empty()
    }

    /// Makes value `index` the one the package is evaluated with.
    pub fn select(&self, database: &mut froyo_db::Database, index: usize) {
        use salsa::Setter as _;
        self.input.set_text(database).to(self.data.value_text(index));
    }
}

/// Why there is nothing to evaluate.
#[derive(Debug)]
pub enum LoadError {
    /// Files that could not be read, syntax errors or mixed packages: render
    /// `diagnostics` against `files`.
    Diagnostics { files: Files, diagnostics: Vec<Diagnostic> },
    /// No `.cue` file was found where the paths point.
    NoFiles { searched: String },
    /// A path argument names nothing that can be evaluated: what is wrong,
    /// and what to do.
    Argument { message: String },
}

/// Finds, reads and parses the files `paths` name (or the workspace root's),
/// and sets them as inputs of `database`.
pub fn load(
    database: &froyo_db::Database,
    current_dir: &Path,
    paths: &[PathBuf],
    expression: Option<&str>,
) -> Result<Package, LoadError> {
    // Inputs are named as users read them: `froyo export` records no origins.
    let input_name = |_: &Path, display: &str| -> String { display.to_string() };
    let arguments: Vec<Argument> = if paths.is_empty() {
        vec![Argument::Package {
            directories: vec![crate::workspace_root(current_dir)],
            package: None,
        }]
    } else {
        let mut arguments = Vec::new();
        for path in paths {
            match crate::arguments::resolve(current_dir, path) {
                Ok(argument) => arguments.push(argument),
                Err(message) => return Err(LoadError::Argument { message }),
            }
        }
        arguments
    };
    let mut roots = Vec::new();
    let mut explicit = BTreeSet::new();
    let mut from_directories: BTreeMap<PathBuf, PathBuf> = BTreeMap::new();
    // Directories whose package was named (`dir:pkg`, or by an import path).
    let mut wanted: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut discovery = Discovery::default();
    for argument in arguments {
        match argument {
            Argument::File(path) => {
                if let Err(error) = fs::metadata(&path) {
                    discovery.errors.push((path.clone(), error));
                } else {
                    explicit.insert(path.clone());
                }
                roots.push(path);
            }
            Argument::Package { directories, package } => {
                for directory in directories {
                    match crate::walk::directory_files(&directory, "cue", &Overlay::new()) {
                        Ok(files) => {
                            for file in files {
                                from_directories.insert(file, directory.clone());
                            }
                        }
                        Err(error) => discovery.errors.push((directory.clone(), error)),
                    }
                    if let Some(package) = &package {
                        wanted.insert(directory.clone(), package.clone());
                    }
                    roots.push(directory);
                }
            }
        }
    }
    let all: BTreeSet<PathBuf> = explicit.iter().chain(from_directories.keys()).cloned().collect();
    discovery.files = all.into_iter().collect();
    if discovery.files.is_empty() && discovery.errors.is_empty() {
        let searched =
            roots.iter().map(|root| display_path(current_dir, root)).collect::<Vec<_>>().join(", ");
        return Err(LoadError::NoFiles { searched });
    }

    let sources = crate::read_sources(current_dir, discovery);
    if !sources.diagnostics.is_empty() {
        return Err(LoadError::Diagnostics {
            files: sources.files,
            diagnostics: sources.diagnostics,
        });
    }

    // Directories need package names; the lexer finds the clause without a
    // full parse (syntax errors come from evaluation, which parses once).
    let package_names: Vec<Option<PackageClause>> =
        sources.loaded.iter().map(|file| package_clause(sources.text(file))).collect();

    let keep = select_packages(&sources, &package_names, &from_directories, &wanted, current_dir);
    let keep = match keep {
        Ok(keep) => keep,
        Err(diagnostics) => {
            return Err(LoadError::Diagnostics { files: sources.files, diagnostics });
        }
    };
    // A package that was named must be there.
    for (directory, package) in &wanted {
        let found = sources
            .loaded
            .iter()
            .zip(&keep)
            .any(|(file, kept)| *kept && from_directories.get(&file.path) == Some(directory));
        if !found {
            let mut others: Vec<&str> = sources
                .loaded
                .iter()
                .zip(&package_names)
                .filter(|(file, _)| from_directories.get(&file.path) == Some(directory))
                .filter_map(|(_, clause)| clause.as_ref().map(|clause| clause.name.as_str()))
                .collect();
            others.sort_unstable();
            others.dedup();
            let there = if others.is_empty() {
                "it has no package".to_string()
            } else {
                format!(
                    "it has {}",
                    others.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ")
                )
            };
            return Err(LoadError::Argument {
                message: format!(
                    "no package `{package}` in {}: {there}; name one with {}:NAME",
                    display_path(current_dir, directory),
                    display_path(current_dir, directory)
                ),
            });
        }
    }

    // Data files (JSON, YAML, TOML, …) named on the command line become CUE text.
    let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
    let mut data: BTreeMap<usize, DataFile> = BTreeMap::new();
    let mut data_errors = Vec::new();
    for (index, file) in sources.loaded.iter().enumerate() {
        let Some(kind) = explicit.contains(&file.path).then(|| DataKind::of(&file.path)).flatten()
        else {
            continue;
        };
        match crate::data::decode(kind, sources.text(file)) {
            Ok(decoded) => {
                data.insert(index, decoded);
            }
            Err(error) => data_errors.push(
                Diagnostic::new(
                    &registry::INVALID_DATA_FILE,
                    format!(
                        "{} is not valid {}: {}",
                        sources.name(file),
                        kind.name(),
                        error.message
                    ),
                    Span::new(file.id, offset(error.range.start), offset(error.range.end)),
                )
                .with_primary_label(error.message)
                .with_help(format!(
                    "fix the {} there; the file's extension says how it is read",
                    kind.name()
                )),
            ),
        }
    }
    if !data_errors.is_empty() {
        return Err(LoadError::Diagnostics { files: sources.files, diagnostics: data_errors });
    }
    let streams: Vec<usize> =
        data.iter().filter(|(_, file)| file.values.len() > 1).map(|(index, _)| *index).collect();
    if let [_, second, ..] = streams[..] {
        let file = &sources.loaded[second];
        let diagnostic = Diagnostic::new(
            &registry::INVALID_DATA_FILE,
            format!(
                "{} holds several values, and so does {}: one such file at a time",
                sources.name(file),
                sources.name(&sources.loaded[streams[0]])
            ),
            Span::new(file.id, 0, 0),
        )
        .with_help("each value of a JSON Lines file or YAML stream is evaluated with the package on its own; give one such file per run");
        return Err(LoadError::Diagnostics { files: sources.files, diagnostics: vec![diagnostic] });
    }

    let mut files = Files::new();
    let mut inputs = Vec::new();
    // Each input's path on disk, for the `@embed` attributes in it.
    let mut input_paths: Vec<PathBuf> = Vec::new();
    let mut stream = None;
    let mut main_dir: Option<PathBuf> = None;
    for (index, (file, kept)) in sources.loaded.iter().zip(keep).enumerate() {
        if kept {
            if main_dir.is_none() && DataKind::of(&file.path).is_none() {
                main_dir = file.path.parent().map(Path::to_path_buf);
            }
            let name = sources.name(file).to_string();
            let (shown, text) = match data.remove(&index) {
                Some(decoded) => {
                    let first = decoded.value_text(0);
                    let shown = decoded.text.clone();
                    if decoded.values.len() > 1 {
                        stream = Some((inputs.len(), decoded));
                    }
                    (shown, first)
                }
                None => {
                    let text = sources.text(file).to_string();
                    (text.clone(), text)
                }
            };
            files.add(name.clone(), shown);
            inputs.push(froyo_db::SourceFile::new(database, input_name(&file.path, &name), text));
            input_paths.push(file.path.clone());
        }
    }
    let stream =
        stream.map(|(position, data): (usize, DataFile)| Stream { input: inputs[position], data });
    // Packages of the module that these files import, transitively.
    let main_texts: Vec<String> =
        (0..inputs.len()).map(|i| inputs[i].text(database).clone()).collect();
    let main_texts: Vec<&str> = main_texts.iter().map(String::as_str).collect();
    let module_dir = main_dir.as_deref().and_then(crate::find_root);
    let mut imports = Vec::new();
    if let Some(root) = &module_dir
        && let Ok(module_text) = crate::read_file(&root.join("cue.mod").join("module.cue"))
        && let Some(module) = crate::scan::module_path(&module_text)
    {
        let mut problems = Vec::new();
        let packages = crate::imports::resolve(
            root,
            &module,
            &main_texts,
            &Overlay::new(),
            current_dir,
            &mut problems,
        );
        if !problems.is_empty() {
            let diagnostics = problems
                .iter()
                .map(|problem| {
                    let id = files.add(display_path(current_dir, &problem.path), "");
                    problem.diagnostic_in(id)
                })
                .collect();
            return Err(LoadError::Diagnostics { files, diagnostics });
        }
        for package in packages {
            let mut package_inputs = Vec::new();
            for (path, text) in package.files {
                let name = display_path(current_dir, &path);
                files.add(name.clone(), text.clone());
                package_inputs.push(froyo_db::SourceFile::new(
                    database,
                    input_name(&path, &name),
                    text,
                ));
                input_paths.push(path);
            }
            imports.push((package.import_path, package_inputs));
        }
    }
    // The standard library follows the imports, as the database numbers it.
    for (name, text) in froyo_db::stdlib_files() {
        files.add(name, text);
    }
    if let Some(expression) = expression {
        files.add("<expression>", expression);
    }
    let all_inputs: Vec<froyo_db::SourceFile> = inputs
        .iter()
        .copied()
        .chain(
            imports
                .iter()
                .flat_map(|(_, files): &(String, Vec<froyo_db::SourceFile>)| files.iter().copied()),
        )
        .collect();
    let embeds = embeds(database, &all_inputs, &input_paths, module_dir.as_deref(), current_dir);
    let input = froyo_db::Package::builder(inputs, expression.map(str::to_string), imports)
        .embeds(embeds)
        .new(database);
    Ok(Package { files, input, stream })
}

/// What the `@embed` attributes of `inputs` (whose paths on disk are
/// `paths`) name, read once: the command line reads the disk as it is.
fn embeds(
    database: &froyo_db::Database,
    inputs: &[froyo_db::SourceFile],
    paths: &[PathBuf],
    module_root: Option<&Path>,
    current_dir: &Path,
) -> Vec<froyo_db::Embed> {
    let overlay = Overlay::new();
    let mut embeds = Vec::new();
    for (input, path) in inputs.iter().zip(paths) {
        for resolved in crate::embed::resolve(path, input.text(database), module_root, &overlay) {
            let found = resolved.found.map(|files| {
                files
                    .into_iter()
                    .map(|read| {
                        let name = display_path(current_dir, &read.path);
                        (read.key, froyo_db::SourceFile::new(database, name, read.text))
                    })
                    .collect()
            });
            embeds.push(froyo_db::Embed { file: *input, offset: resolved.offset, found });
        }
    }
    embeds
}

/// Which loaded files belong to the evaluated package: every explicit file,
/// and from each directory the files of its one package.
fn select_packages(
    sources: &Sources,
    package_names: &[Option<PackageClause>],
    from_directories: &BTreeMap<PathBuf, PathBuf>,
    wanted: &BTreeMap<PathBuf, String>,
    current_dir: &Path,
) -> Result<Vec<bool>, Vec<Diagnostic>> {
    // Directory → the package names its files declare, in file order.
    let mut names_by_directory: BTreeMap<&PathBuf, Vec<&str>> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for (file, name) in sources.loaded.iter().zip(package_names) {
        let (Some(directory), Some(PackageClause { name, start, end })) =
            (from_directories.get(&file.path), name)
        else {
            continue;
        };
        if wanted.contains_key(directory) {
            continue;
        }
        let names = names_by_directory.entry(directory).or_default();
        if let Some(first) = names.first()
            && first != name
            && !names.contains(&name.as_str())
        {
            diagnostics.push(
                Diagnostic::new(
                    &registry::INVALID_DECLARATION,
                    format!(
                        "`{}` holds files of two packages, `{first}` and `{name}`",
                        display_path(current_dir, directory)
                    ),
                    Span::new(file.id, *start, *end),
                )
                .with_primary_label(format!("package `{name}`"))
                .with_help(format!(
                    "name the package to evaluate (`{}:{first}`), or move one package to its own directory",
                    display_path(current_dir, directory)
                )),
            );
        }
        names.push(name.as_str());
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(sources
        .loaded
        .iter()
        .zip(package_names)
        .map(|(file, name)| match from_directories.get(&file.path) {
            None => true,
            Some(directory) if wanted.contains_key(directory) => {
                name.as_ref().is_some_and(|clause| Some(&clause.name) == wanted.get(directory))
            }
            // A file without a package clause joins only a directory without packages.
            Some(directory) => {
                name.is_some() || names_by_directory.get(directory).is_none_or(Vec::is_empty)
            }
        })
        .collect())
}
