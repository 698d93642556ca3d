//! Loading one workspace into the database: discovery, reading and input
//! reuse, for the CLI and the language server alike.
//!
//! A workspace is a CUE module (the directory holding `cue.mod/module.cue`):
//! the package at its root, the module packages it imports, the embedded
//! standard library and every `*.star` file below the root, in the file
//! order of [`froyo_db::Workspace`], so that a diagnostic's `FileId(i)` is
//! [`Loaded::files`]`[i]`. A document outside any module (or outside its
//! module's workspace) is a workspace of its own: [`Target::SingleFile`].
//!
//! The root package is the one most of the root directory's `.cue` files
//! declare (on a tie, the first name in order); files without a package
//! clause join only when no file declares one; a file of another package is
//! left out with an `E0210` problem on its package clause. A file that
//! cannot be read keeps its place with no text and gets a problem, so file
//! ids do not shift.
//!
//! With a previous load, a file whose text and name did not change keeps its
//! [`SourceFile`] untouched, so salsa keeps what it derived from it.
//! **Invariant:** the only IO is reading through the [`Overlay`] and
//! listing directories; nothing is written.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use froyo_db::{Database, Package, SourceFile};
use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use salsa::Setter as _;

use crate::imports;
use crate::overlay::Overlay;
use crate::paths::{display_path, input_name};
use crate::read::{Problem, ReadError};
use crate::scan;
use crate::walk::{self, directory_files, starlark_files};

/// What to load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// The workspace of the module whose root (holding `cue.mod/module.cue`) this is.
    Module(PathBuf),
    /// One file on its own (`.star` as Starlark, anything else as CUE).
    SingleFile(PathBuf),
}

/// A load: what, over which overlay, reusing which previous load.
pub struct Request<'a> {
    pub target: Target,
    /// Texts laid over the disk (the editor's open documents).
    pub overlay: &'a Overlay,
    /// The load this one replaces: unchanged files keep their inputs.
    pub previous: Option<&'a Loaded>,
    /// Problems name files relative to this directory.
    pub display_base: &'a Path,
    /// Where the standard library's files are said to be (their
    /// [`WorkspaceFile::path`] is this joined with the library's file name).
    pub stdlib_directory: &'a Path,
    /// Record what [`Loaded::disk_changed`] compares (modification times
    /// and the directory listing), for a long-lived host.
    pub watch: bool,
}

/// What part of a workspace a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A file of the package at the root.
    Cue,
    /// A file of a module package the root package imports.
    Imported,
    /// A file of the embedded standard library.
    Stdlib,
    Starlark,
    /// A Rego policy of the workspace (`policies/*.rego`).
    Policy,
}

/// One file of a workspace.
#[derive(Debug, Clone)]
pub struct WorkspaceFile {
    pub path: PathBuf,
    pub kind: FileKind,
    /// The database input (none for the standard library).
    pub source: Option<SourceFile>,
    /// When the file was last modified on disk, as the load saw it (with `watch`).
    pub stamp: Option<SystemTime>,
}

/// A loaded workspace.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The module root, or in single-file mode the file's directory.
    pub root: PathBuf,
    /// The document of a single-file workspace.
    pub single_file: Option<PathBuf>,
    pub input: froyo_db::Workspace,
    /// The workspace's Rego policies (`policies/*.rego`).
    pub policies: froyo_db::Policies,
    /// By `FileId`: package, imports, standard library, Starlark, policies.
    pub files: Vec<WorkspaceFile>,
    /// Files that could not be read or were left out, directories that could not be listed.
    pub problems: Vec<Problem>,
    /// When `cue.mod/module.cue` was last modified, as last seen (with `watch`).
    pub module_stamp: Option<SystemTime>,
    /// The module path declared by `cue.mod/module.cue`.
    pub module_path: Option<String>,
    /// Whether this load changed any input (always, without a previous load).
    pub changed: bool,
    /// The root's `.cue` files and the `.star` files below it on disk (with `watch`).
    pub listed: Vec<PathBuf>,
    /// The files `@embed` attributes embed: inputs of the database, but not
    /// files of the file table (diagnostics never point into them).
    pub embedded: Vec<EmbeddedInput>,
    /// What `@embed` attributes look for, so that a change on disk is seen.
    pub embed_watch: Vec<EmbedWatch>,
}

/// One embedded file as a database input: its decoded CUE text.
#[derive(Debug, Clone)]
pub struct EmbeddedInput {
    pub path: PathBuf,
    pub file_type: froyo_eval::embed::FileType,
    pub source: SourceFile,
}

/// What one `@embed` attribute looked for, and what the disk had then:
/// read again the same way, a difference means the attribute finds
/// something else now (whether or not it could be embedded then).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmbedWatch {
    /// A file, and when it was modified (`None`: not there).
    File { path: PathBuf, stamp: Option<SystemTime> },
    /// A glob in a directory, and each match with when it was modified
    /// (`None` when the glob could not be matched).
    Glob { directory: PathBuf, pattern: String, found: Option<Vec<(String, Option<SystemTime>)>> },
}

impl EmbedWatch {
    fn glob(directory: &Path, pattern: &str) -> EmbedWatch {
        let found =
            crate::embed::glob(directory, pattern, &Overlay::new(), None).ok().map(|keys| {
                keys.into_iter()
                    .map(|key| {
                        let stamp = file_stamp(&crate::embed::join(directory, &key));
                        (key, stamp)
                    })
                    .collect()
            });
        EmbedWatch::Glob { directory: directory.to_path_buf(), pattern: pattern.to_string(), found }
    }

    fn file(path: &Path) -> EmbedWatch {
        EmbedWatch::File { path: path.to_path_buf(), stamp: file_stamp(path) }
    }
}

impl Loaded {
    /// The file id of `path`.
    pub fn file_id(&self, path: &Path) -> Option<u32> {
        self.files.iter().position(|file| file.path == path).map(|index| index as u32)
    }

    pub fn file(&self, id: u32) -> Option<&WorkspaceFile> {
        self.files.get(id as usize)
    }

    /// The text of file `id`: its input's, or the standard library's.
    pub fn text<'db>(&self, db: &'db Database, id: u32) -> Option<&'db str> {
        let file = self.file(id)?;
        match file.source {
            Some(source) => Some(source.text(db).as_str()),
            None => {
                let index =
                    self.files.iter().take(id as usize).filter(|f| f.source.is_none()).count();
                froyo_db::stdlib_files().nth(index).map(|(_, text)| text)
            }
        }
    }

    /// How many Starlark files the workspace has.
    pub fn starlark_count(&self) -> usize {
        self.files.iter().filter(|file| file.kind == FileKind::Starlark).count()
    }

    /// Whether `module.cue` changed since the load.
    pub fn module_changed(&self) -> bool {
        self.single_file.is_none() && module_stamp(&self.root) != self.module_stamp
    }

    /// Whether the disk differs from what the load read: `module.cue`, a
    /// file that is not open (`open` lists those that are), or the set of
    /// files. Looks only at metadata and directory listings.
    pub fn disk_changed(&self, open: &HashSet<PathBuf>) -> bool {
        if self.module_changed() {
            return true;
        }
        // A file that was only an open document (never on disk) and is no
        // longer open has gone too.
        let modified = self.files.iter().any(|file| {
            file.kind != FileKind::Stdlib && !open.contains(&file.path) && {
                let stamp = file_stamp(&file.path);
                stamp != file.stamp || stamp.is_none()
            }
        });
        modified
            || (self.single_file.is_none() && walk::listing(&self.root) != self.listed)
            || self.embeds_changed(open)
    }

    /// Whether `path` is a file an `@embed` attribute embeds, or one its
    /// glob would match.
    pub fn embeds(&self, path: &Path) -> bool {
        self.embedded.iter().any(|file| file.path == path)
            || self.embed_watch.iter().any(|watch| match watch {
                EmbedWatch::File { path: named, .. } => named == path,
                EmbedWatch::Glob { directory, pattern, .. } => {
                    crate::embed::glob_matches_path(directory, pattern, path)
                }
            })
    }

    /// Whether what an `@embed` attribute finds on disk changed: a file
    /// (not open) modified, added or removed, or a glob's matches.
    fn embeds_changed(&self, open: &HashSet<PathBuf>) -> bool {
        self.embed_watch.iter().any(|watch| match watch {
            EmbedWatch::File { path, .. } if open.contains(path) => false,
            EmbedWatch::File { path, .. } => EmbedWatch::file(path) != *watch,
            EmbedWatch::Glob { directory, pattern, .. } => {
                EmbedWatch::glob(directory, pattern) != *watch
            }
        })
    }
}

fn file_stamp(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|metadata| metadata.modified()).ok()
}

fn module_file(root: &Path) -> PathBuf {
    root.join("cue.mod").join("module.cue")
}

fn module_stamp(root: &Path) -> Option<SystemTime> {
    file_stamp(&module_file(root))
}

/// Sets inputs, reusing a previous load's where the path is the same.
struct Inputs<'a> {
    root: &'a Path,
    previous: HashMap<&'a Path, SourceFile>,
    changed: bool,
}

impl Inputs<'_> {
    fn input(&mut self, db: &mut Database, path: &Path, text: String) -> SourceFile {
        let name = input_name(self.root, path);
        match self.previous.get(path) {
            Some(source) => {
                if *source.text(db) != text {
                    source.set_text(db).to(text);
                    self.changed = true;
                }
                if *source.path(db) != name {
                    source.set_path(db).to(name);
                    self.changed = true;
                }
                *source
            }
            None => {
                self.changed = true;
                SourceFile::new(db, name, text)
            }
        }
    }
}

/// The files of the root package, read: path and text (empty when
/// unreadable), and the imports they declare.
fn root_package(
    root: &Path,
    overlay: &Overlay,
    display_base: &Path,
    problems: &mut Vec<Problem>,
) -> (Vec<(PathBuf, String)>, Vec<String>) {
    let paths = match directory_files(root, "cue", overlay) {
        Ok(paths) => paths,
        Err(error) => {
            problems.push(Problem::unreadable(display_base, root, &ReadError::Io(error)));
            return (Vec::new(), Vec::new());
        }
    };
    let mut read = Vec::new();
    for path in paths {
        match overlay.read(&path) {
            Ok(text) => {
                let header = scan::header(&text);
                read.push((path, Ok(text), header.clause, header.imports));
            }
            Err(error) => read.push((path, Err(error), None, Vec::new())),
        }
    }
    // The package most files declare; on a tie, the first name in order.
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (_, _, clause, _) in &read {
        if let Some(clause) = clause {
            *counts.entry(clause.name.as_str()).or_default() += 1;
        }
    }
    let chosen = counts
        .iter()
        .max_by(|left, right| left.1.cmp(right.1).then_with(|| right.0.cmp(left.0)))
        .map(|(name, _)| name.to_string());
    let mut files = Vec::new();
    let mut imports = Vec::new();
    for (path, text, clause, declared) in read {
        match (text, clause, &chosen) {
            (Err(error), ..) => {
                problems.push(Problem::unreadable(display_base, &path, &error));
                files.push((path, String::new()));
            }
            (Ok(text), Some(clause), Some(chosen)) if clause.name != *chosen => {
                problems.push(other_package(display_base, root, &path, text, &clause, chosen));
            }
            // A file without a package clause joins only a directory without packages.
            (Ok(_), None, Some(_)) => {}
            (Ok(text), ..) => {
                imports.extend(declared);
                files.push((path, text));
            }
        }
    }
    (files, imports)
}

fn other_package(
    display_base: &Path,
    root: &Path,
    path: &Path,
    text: String,
    clause: &scan::PackageClause,
    chosen: &str,
) -> Problem {
    let other = &clause.name;
    let diagnostic = Diagnostic::new(
        &registry::INVALID_DECLARATION,
        format!(
            "`{}` holds files of two packages, `{chosen}` and `{other}`; `{}` is left out",
            display_path(display_base, root),
            display_path(display_base, path),
        ),
        Span::new(FileId(0), clause.start, clause.end),
    )
    .with_primary_label(format!("package `{other}`"))
    .with_help(format!(
        "the workspace is package `{chosen}`, which most of its files declare; move package `{other}` to its own directory"
    ));
    Problem { path: path.to_path_buf(), text, diagnostic }
}

/// The workspace's Rego files: `policies/*.rego` under the root, sorted.
fn policy_files(
    root: &Path,
    overlay: &Overlay,
    display_base: &Path,
    problems: &mut Vec<Problem>,
) -> Vec<PathBuf> {
    let directory = root.join(POLICY_DIRECTORY);
    match directory_files(&directory, "rego", overlay) {
        Ok(files) => files,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(error) => {
            problems.push(Problem::unreadable(display_base, &directory, &ReadError::Io(error)));
            Vec::new()
        }
    }
}

/// Where a workspace keeps its Rego policies, under its root.
pub const POLICY_DIRECTORY: &str = "policies";

/// Loads (or reloads, reusing `request.previous`'s inputs) a workspace.
pub fn load(db: &mut Database, request: &Request<'_>) -> Loaded {
    let overlay = request.overlay;
    let display_base = request.display_base;
    let mut problems = Vec::new();
    let (root, single_file) = match &request.target {
        Target::Module(root) => (root.clone(), None),
        Target::SingleFile(file) => {
            (file.parent().map(Path::to_path_buf).unwrap_or_default(), Some(file.clone()))
        }
    };
    let module_path = match single_file {
        Some(_) => None,
        None => overlay.read(&module_file(&root)).ok().and_then(|text| scan::module_path(&text)),
    };
    let read_one = |path: &Path, problems: &mut Vec<Problem>| match overlay.read(path) {
        Ok(text) => text,
        Err(error) => {
            problems.push(Problem::unreadable(display_base, path, &error));
            String::new()
        }
    };
    let (package_files, package_imports, starlark_paths) = match &single_file {
        Some(file) if file.extension().is_some_and(|extension| extension == "star") => {
            (Vec::new(), Vec::new(), vec![file.clone()])
        }
        Some(file) => (vec![(file.clone(), read_one(file, &mut problems))], Vec::new(), Vec::new()),
        None => {
            let (package, imports) = root_package(&root, overlay, display_base, &mut problems);
            let discovery = starlark_files(&root, overlay);
            for (path, error) in discovery.errors {
                problems.push(Problem::unreadable(display_base, &path, &ReadError::Io(error)));
            }
            (package, imports, discovery.files)
        }
    };
    let imported = match &module_path {
        Some(module) => imports::resolve_paths(
            &root,
            module,
            package_imports,
            overlay,
            display_base,
            &mut problems,
        ),
        None => Vec::new(),
    };

    let mut inputs = Inputs { root: &root, previous: HashMap::new(), changed: false };
    if let Some(previous) = request.previous {
        for file in &previous.files {
            if let Some(source) = file.source {
                inputs.previous.insert(&file.path, source);
            }
        }
    } else {
        inputs.changed = true;
    }
    let stamp = |path: &Path| if request.watch { file_stamp(path) } else { None };
    let mut files = Vec::new();
    // Each (path, text) becomes an input and a file of `kind`; returns the inputs.
    let mut add_package =
        |db: &mut Database, texts: Vec<(PathBuf, String)>, kind: FileKind| -> Vec<SourceFile> {
            let mut package_inputs = Vec::with_capacity(texts.len());
            for (path, text) in texts {
                let source = inputs.input(db, &path, text);
                package_inputs.push(source);
                files.push(WorkspaceFile { stamp: stamp(&path), path, kind, source: Some(source) });
            }
            package_inputs
        };
    let package_inputs = add_package(db, package_files, FileKind::Cue);
    let mut import_inputs = Vec::new();
    for package in imported {
        let package_inputs = add_package(db, package.files, FileKind::Imported);
        import_inputs.push((package.import_path, package_inputs));
    }
    let module_root = single_file.is_none().then_some(root.as_path());
    let (embeds, embedded, embed_watch) =
        load_embeds(db, &files, module_root, overlay, request, &mut inputs);
    for (name, _) in froyo_db::stdlib_files() {
        files.push(WorkspaceFile {
            path: request.stdlib_directory.join(name),
            kind: FileKind::Stdlib,
            source: None,
            stamp: None,
        });
    }
    let mut starlark_inputs = Vec::new();
    for path in starlark_paths {
        let text = read_one(&path, &mut problems);
        let source = inputs.input(db, &path, text);
        starlark_inputs.push(source);
        files.push(WorkspaceFile {
            stamp: stamp(&path),
            path,
            kind: FileKind::Starlark,
            source: Some(source),
        });
    }

    let policy_paths = match &single_file {
        Some(_) => Vec::new(),
        None => policy_files(&root, overlay, display_base, &mut problems),
    };
    let mut policy_inputs = Vec::new();
    for path in policy_paths {
        let text = read_one(&path, &mut problems);
        let source = inputs.input(db, &path, text);
        policy_inputs.push(source);
        files.push(WorkspaceFile {
            stamp: stamp(&path),
            path,
            kind: FileKind::Policy,
            source: Some(source),
        });
    }

    let mut changed = inputs.changed;
    let policies = match request.previous {
        Some(previous) => {
            if *previous.policies.files(db) != policy_inputs {
                previous.policies.set_files(db).to(policy_inputs);
                changed = true;
            }
            previous.policies
        }
        None => froyo_db::Policies::new(db, policy_inputs),
    };
    let input = match request.previous {
        Some(previous) => {
            let workspace = previous.input;
            let package = *workspace.package(db);
            if *package.files(db) != package_inputs {
                package.set_files(db).to(package_inputs);
                changed = true;
            }
            if *package.imports(db) != import_inputs {
                package.set_imports(db).to(import_inputs);
                changed = true;
            }
            if *package.embeds(db) != embeds {
                package.set_embeds(db).to(embeds);
                changed = true;
            }
            if *workspace.starlark(db) != starlark_inputs {
                workspace.set_starlark(db).to(starlark_inputs);
                changed = true;
            }
            workspace
        }
        None => {
            let package =
                Package::builder(package_inputs, None, import_inputs).embeds(embeds).new(db);
            froyo_db::Workspace::new(db, package, starlark_inputs)
        }
    };
    let watch_module = request.watch && single_file.is_none();
    Loaded {
        module_stamp: if watch_module { module_stamp(&root) } else { None },
        listed: if watch_module { walk::listing(&root) } else { Vec::new() },
        root,
        single_file,
        input,
        policies,
        files,
        problems,
        module_path,
        changed,
        embedded,
        embed_watch,
    }
}

/// Reads what the `@embed` attributes of the CUE files among `files` (the
/// package's and its imports') name, and makes each embedded file an input.
fn load_embeds(
    db: &mut Database,
    files: &[WorkspaceFile],
    module_root: Option<&Path>,
    overlay: &Overlay,
    request: &Request<'_>,
    inputs: &mut Inputs<'_>,
) -> (Vec<froyo_db::Embed>, Vec<EmbeddedInput>, Vec<EmbedWatch>) {
    let previous: HashMap<(&Path, froyo_eval::embed::FileType), SourceFile> = request
        .previous
        .iter()
        .flat_map(|previous| &previous.embedded)
        .map(|file| ((file.path.as_path(), file.file_type), file.source))
        .collect();
    let mut embeds = Vec::new();
    let mut embedded: Vec<EmbeddedInput> = Vec::new();
    let mut watch = Vec::new();
    for file in files {
        let Some(source) = file.source else { continue };
        let found = crate::embed::resolve(&file.path, source.text(db), module_root, overlay);
        for resolved in found {
            if request.watch {
                if let Some(path) = &resolved.file {
                    watch.push(EmbedWatch::file(path));
                }
                if let Some((directory, pattern)) = &resolved.glob {
                    watch.push(EmbedWatch::glob(directory, pattern));
                }
            }
            let found = resolved.found.map(|files| {
                files
                    .into_iter()
                    .map(|read| {
                        let key = (read.path.as_path(), read.file_type);
                        let existing = embedded
                            .iter()
                            .find(|known| (known.path.as_path(), known.file_type) == key)
                            .map(|known| known.source);
                        let input = match existing {
                            Some(input) => input,
                            None => {
                                let name = input_name(inputs.root, &read.path);
                                let input = match previous.get(&key) {
                                    Some(input) => {
                                        if *input.text(db) != read.text {
                                            input.set_text(db).to(read.text);
                                            inputs.changed = true;
                                        }
                                        if *input.path(db) != name {
                                            input.set_path(db).to(name);
                                            inputs.changed = true;
                                        }
                                        *input
                                    }
                                    None => {
                                        inputs.changed = true;
                                        SourceFile::new(db, name, read.text)
                                    }
                                };
                                embedded.push(EmbeddedInput {
                                    path: read.path.clone(),
                                    file_type: read.file_type,
                                    source: input,
                                });
                                input
                            }
                        };
                        (read.key, input)
                    })
                    .collect()
            });
            embeds.push(froyo_db::Embed { file: source, offset: resolved.offset, found });
        }
    }
    (embeds, embedded, watch)
}
