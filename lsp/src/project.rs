//! Projects: the workspaces the server has loaded into the database, read
//! from disk with the editor's open documents laid over the files.
//!
//! A project is a CUE module (the directory holding `cue.mod/module.cue`):
//! the package at its root, the module packages it imports, the standard
//! library and every `*.star` file below the root, in the file order of
//! `froyo_db::Workspace` (so a diagnostic's `FileId(i)` is `files[i]`).
//! Without a module (no root, or no `cue.mod`), a document is a project of
//! its own: *single-file mode*.
//!
//! Loading reuses the inputs of the previous load: a file whose text did not
//! change keeps its `SourceFile` untouched, so salsa keeps what it derived.
//! This module does IO (the compiler crates never do); it knows nothing of
//! LSP types.

use std::collections::{BTreeSet, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use froyo_db::{Database, Package, SourceFile, Workspace};
use froyo_syntax::SyntaxKind;
use salsa::Setter as _;

/// What part of a project a file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A file of the package at the root.
    Cue,
    /// A file of a module package the root package imports.
    Imported,
    /// A file of the embedded standard library (shown from a read-only copy).
    Stdlib,
    Starlark,
}

/// One file of a project.
#[derive(Debug, Clone)]
pub struct ProjectFile {
    pub path: PathBuf,
    pub kind: FileKind,
    /// The database input (none for the standard library).
    pub source: Option<SourceFile>,
}

/// A loaded project.
#[derive(Debug, Clone)]
pub struct Project {
    /// The module root, or in single-file mode the file's directory.
    pub root: PathBuf,
    /// The document of a single-file project.
    pub single_file: Option<PathBuf>,
    pub input: Workspace,
    /// By `FileId`: package, imports, standard library, Starlark.
    pub files: Vec<ProjectFile>,
    /// When `cue.mod/module.cue` was last modified, as last seen.
    pub module_stamp: Option<SystemTime>,
    /// The module path declared by `cue.mod/module.cue`.
    pub module_path: Option<String>,
    /// Whether the load that made this project changed any input.
    pub changed: bool,
    /// When each file was last modified on disk, as read by the load (by `FileId`).
    pub stamps: Vec<Option<SystemTime>>,
    /// The `.cue` files of the root and the `.star` files below it, as listed by the load.
    pub listed: Vec<PathBuf>,
}

impl Project {
    /// The file id of `path` in this project.
    pub fn file_id(&self, path: &Path) -> Option<u32> {
        self.files.iter().position(|file| file.path == path).map(|index| index as u32)
    }

    pub fn file(&self, id: u32) -> Option<&ProjectFile> {
        self.files.get(id as usize)
    }

    /// Whether `module.cue` changed since the project was loaded.
    pub fn module_changed(&self) -> bool {
        self.single_file.is_none() && module_stamp(&self.root) != self.module_stamp
    }

    /// Whether the disk differs from what the load read: `module.cue`, a
    /// file that is not open (`open` lists those that are), or the set of
    /// files. Only looks at metadata and directory listings.
    pub fn disk_changed(&self, open: &std::collections::HashSet<PathBuf>) -> bool {
        if self.module_changed() {
            return true;
        }
        let modified = self.files.iter().zip(&self.stamps).any(|(file, stamp)| {
            file.kind != FileKind::Stdlib
                && !open.contains(&file.path)
                && file_stamp(&file.path) != *stamp
        });
        modified || (self.single_file.is_none() && listing(&self.root) != self.listed)
    }
}

/// The nearest directory at or above `start` with a `cue.mod/module.cue`.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|directory| directory.join("cue.mod").join("module.cue").is_file())
        .map(Path::to_path_buf)
}

fn file_stamp(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|metadata| metadata.modified()).ok()
}

/// The root's `.cue` files and the `.star` files below it, sorted.
fn listing(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(root)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|extension| extension == "cue"))
                .collect()
        })
        .unwrap_or_default();
    files.extend(starlark_files(root));
    files.sort();
    files
}

fn module_stamp(root: &Path) -> Option<SystemTime> {
    fs::metadata(root.join("cue.mod").join("module.cue"))
        .and_then(|metadata| metadata.modified())
        .ok()
}

/// Reads a file's text: the open document's, else the disk's (`None` when it
/// cannot be read as UTF-8).
pub type ReadText<'a> = &'a dyn Fn(&Path) -> Option<String>;

/// Loads (or reloads, reusing `previous`'s inputs) the project at `root`, or
/// the single-file project of `single_file`.
pub fn load(
    db: &mut Database,
    root: &Path,
    single_file: Option<&Path>,
    read: ReadText<'_>,
    previous: Option<&Project>,
) -> Project {
    let module_stamp = if single_file.is_some() { None } else { module_stamp(root) };
    let module_path = if single_file.is_some() {
        None
    } else {
        fs::read_to_string(root.join("cue.mod").join("module.cue"))
            .ok()
            .and_then(|text| declared_module_path(&text))
    };
    let (cue_paths, starlark_paths) = match single_file {
        Some(file) if file.extension().is_some_and(|extension| extension == "star") => {
            (Vec::new(), vec![file.to_path_buf()])
        }
        Some(file) => (vec![file.to_path_buf()], Vec::new()),
        None => (root_package_files(root, read), starlark_files(root)),
    };
    let mut previous_sources: HashMap<&Path, SourceFile> = HashMap::new();
    if let Some(previous) = previous {
        for file in &previous.files {
            if let Some(source) = file.source {
                previous_sources.insert(&file.path, source);
            }
        }
    }
    let mut changed = previous.is_none();
    let mut input_for = |db: &mut Database, path: &Path, text: String| -> SourceFile {
        let name = path
            .strip_prefix(root)
            .map(|relative| relative.to_string_lossy().replace('\\', "/"))
            .unwrap_or_else(|_| path.to_string_lossy().into_owned());
        match previous_sources.get(path) {
            Some(source) => {
                if *source.text(db) != text {
                    source.set_text(db).to(text);
                    changed = true;
                }
                if *source.path(db) != name {
                    source.set_path(db).to(name);
                    changed = true;
                }
                *source
            }
            None => {
                changed = true;
                SourceFile::new(db, name, text)
            }
        }
    };

    let mut files = Vec::new();
    let mut package_inputs = Vec::new();
    let mut package_texts = Vec::new();
    for path in cue_paths {
        let text = read(&path).unwrap_or_default();
        package_texts.push(text.clone());
        let source = input_for(db, &path, text);
        package_inputs.push(source);
        files.push(ProjectFile { path, kind: FileKind::Cue, source: Some(source) });
    }
    let mut imports = Vec::new();
    if let Some(module) = &module_path {
        for (import_path, paths) in module_imports(root, module, &package_texts, read) {
            let mut inputs = Vec::new();
            for (path, text) in paths {
                let source = input_for(db, &path, text);
                inputs.push(source);
                files.push(ProjectFile { path, kind: FileKind::Imported, source: Some(source) });
            }
            imports.push((import_path, inputs));
        }
    }
    let stdlib = stdlib_directory();
    for (name, _) in froyo_db::stdlib_files() {
        files.push(ProjectFile { path: stdlib.join(name), kind: FileKind::Stdlib, source: None });
    }
    let mut starlark_inputs = Vec::new();
    for path in starlark_paths {
        let text = read(&path).unwrap_or_default();
        let source = input_for(db, &path, text);
        starlark_inputs.push(source);
        files.push(ProjectFile { path, kind: FileKind::Starlark, source: Some(source) });
    }

    let input = match previous {
        Some(previous) => {
            let workspace = previous.input;
            let package = *workspace.package(db);
            if *package.files(db) != package_inputs {
                package.set_files(db).to(package_inputs);
                changed = true;
            }
            if *package.imports(db) != imports {
                package.set_imports(db).to(imports);
                changed = true;
            }
            if *workspace.starlark(db) != starlark_inputs {
                workspace.set_starlark(db).to(starlark_inputs);
                changed = true;
            }
            workspace
        }
        None => {
            let package = Package::new(db, package_inputs, None, imports);
            Workspace::new(db, package, starlark_inputs)
        }
    };
    let stamps = files.iter().map(|file| file_stamp(&file.path)).collect();
    let listed = if single_file.is_some() { Vec::new() } else { listing(root) };
    Project {
        stamps,
        listed,
        root: root.to_path_buf(),
        single_file: single_file.map(Path::to_path_buf),
        input,
        files,
        module_stamp,
        module_path,
        changed,
    }
}

/// Where the standard library's files are written for editors to open
/// (go to definition, provenance links): a read-only copy per version.
pub fn stdlib_directory() -> PathBuf {
    std::env::temp_dir().join(format!("froyo-lsp-stdlib-{}", env!("CARGO_PKG_VERSION")))
}

/// Writes the standard library's files under [`stdlib_directory`] (best
/// effort: without them, links into the library do not open).
pub fn write_stdlib() {
    let directory = stdlib_directory();
    for (name, text) in froyo_db::stdlib_files() {
        let path = directory.join(name);
        if fs::read_to_string(&path).is_ok_and(|existing| existing == text) {
            continue;
        }
        if let Some(parent) = path.parent() {
            let _ = fs::create_dir_all(parent);
        }
        let _ = fs::write(&path, text);
    }
}

/// The `*.cue` files of the root directory that belong to its package (the
/// package most of them declare), sorted.
fn root_package_files(root: &Path, read: ReadText<'_>) -> Vec<PathBuf> {
    let mut candidates: Vec<(PathBuf, Option<String>)> = Vec::new();
    let Ok(entries) = fs::read_dir(root) else { return Vec::new() };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_none_or(|extension| extension != "cue") || !path.is_file() {
            continue;
        }
        let name = read(&path).and_then(|text| package_name(&text));
        candidates.push((path, name));
    }
    candidates.sort();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (_, name) in &candidates {
        if let Some(name) = name {
            *counts.entry(name.as_str()).or_default() += 1;
        }
    }
    let chosen = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
        .map(|(name, _)| name.to_string());
    candidates
        .into_iter()
        .filter(|(_, name)| chosen.is_none() || *name == chosen)
        .map(|(path, _)| path)
        .collect()
}

/// The `*.star` files below `root`, skipping hidden directories,
/// `node_modules`, `target` and `cue.mod`.
pub fn starlark_files(root: &Path) -> Vec<PathBuf> {
    let mut found = BTreeSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = fs::read_dir(&directory) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            if file_type.is_dir() {
                if !name.starts_with('.')
                    && !matches!(name.as_str(), "node_modules" | "target" | "cue.mod")
                {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|extension| extension == "star") {
                found.insert(path);
            }
        }
    }
    found.into_iter().collect()
}

/// The module packages `texts` import, transitively: import path and files
/// (path, text) of each, in a stable order.
fn module_imports(
    root: &Path,
    module: &str,
    texts: &[String],
    read: ReadText<'_>,
) -> Vec<(String, Vec<(PathBuf, String)>)> {
    let mut pending: Vec<String> = texts.iter().flat_map(|text| import_paths(text)).collect();
    let mut seen = BTreeSet::new();
    let mut packages = Vec::new();
    while let Some(import) = pending.pop() {
        let (path, explicit) = match import.split_once(':') {
            Some((path, name)) => (path.to_string(), Some(name.to_string())),
            None => (import.clone(), None),
        };
        let Some(relative) = path.strip_prefix(module).and_then(|rest| rest.strip_prefix('/'))
        else {
            continue;
        };
        if !seen.insert(path.clone()) {
            continue;
        }
        let name = explicit.unwrap_or_else(|| path.rsplit('/').next().unwrap_or(&path).to_string());
        let Ok(entries) = fs::read_dir(root.join(relative)) else { continue };
        let mut paths: Vec<PathBuf> = entries
            .flatten()
            .map(|entry| entry.path())
            .filter(|path| {
                path.extension().is_some_and(|extension| extension == "cue") && path.is_file()
            })
            .collect();
        paths.sort();
        let mut files = Vec::new();
        for file in paths {
            let Some(text) = read(&file) else { continue };
            if package_name(&text).as_deref() != Some(name.as_str()) {
                continue;
            }
            pending.extend(import_paths(&text));
            files.push((file, text));
        }
        packages.push((path, files));
    }
    packages
}

/// The module directories of `root` holding `.cue` files, as import paths
/// under `module` (for completing imports).
pub fn module_packages(root: &Path, module: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = fs::read_dir(&directory) else { continue };
        let mut has_cue = false;
        for entry in entries.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !name.starts_with('.')
                    && !matches!(name.as_str(), "node_modules" | "target" | "cue.mod")
                {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|extension| extension == "cue") {
                has_cue = true;
            }
        }
        if has_cue
            && directory != root
            && let Ok(relative) = directory.strip_prefix(root)
        {
            out.push(format!("{module}/{}", relative.to_string_lossy().replace('\\', "/")));
        }
    }
    out.sort();
    out
}

/// Significant tokens (kind, text) at the start of a CUE file.
fn head_tokens(text: &str) -> Vec<(SyntaxKind, &str)> {
    let head = match text.char_indices().nth(64 << 10) {
        Some((cut, _)) => text[..cut].rfind('\n').map_or(&text[..cut], |end| &text[..end]),
        None => text,
    };
    let (tokens, _) = froyo_syntax::lexer::tokenize(head);
    let mut offset = 0usize;
    let mut out = Vec::new();
    for token in tokens {
        let end = offset + token.len as usize;
        if !token.kind.is_trivia() && token.kind != SyntaxKind::ATTRIBUTE {
            out.push((token.kind, head.get(offset..end).unwrap_or("")));
        }
        offset = end;
    }
    out
}

/// The name in a file's package clause.
pub fn package_name(text: &str) -> Option<String> {
    match head_tokens(text).as_slice() {
        [(SyntaxKind::PACKAGE_KW, _), (SyntaxKind::IDENT, name), rest @ ..]
            if !matches!(rest.first(), Some((SyntaxKind::COLON, _))) =>
        {
            Some(name.to_string())
        }
        _ => None,
    }
}

/// The import paths a file declares.
fn import_paths(text: &str) -> Vec<String> {
    let tokens = head_tokens(text);
    let mut paths = Vec::new();
    let mut index = 0;
    while index < tokens.len() {
        if tokens[index].0 == SyntaxKind::IMPORT_KW {
            index += 1;
            let grouped = tokens.get(index).map(|token| token.0) == Some(SyntaxKind::L_PAREN);
            while let Some((kind, literal)) = tokens.get(index) {
                match kind {
                    SyntaxKind::STRING => {
                        if let Some(path) =
                            literal.strip_prefix('"').and_then(|rest| rest.strip_suffix('"'))
                        {
                            paths.push(path.to_string());
                        }
                        if !grouped {
                            break;
                        }
                    }
                    SyntaxKind::R_PAREN => break,
                    _ => {}
                }
                index += 1;
            }
        }
        index += 1;
    }
    paths
}

/// The `module: "…"` path of a `module.cue` text.
fn declared_module_path(text: &str) -> Option<String> {
    let (tokens, _) = froyo_syntax::lexer::tokenize(text);
    let mut offset = 0usize;
    let mut significant = Vec::new();
    for token in tokens {
        let end = offset + token.len as usize;
        if !token.kind.is_trivia() {
            significant.push((token.kind, text.get(offset..end).unwrap_or("")));
        }
        offset = end;
    }
    significant.windows(3).find_map(|window| match window {
        [(SyntaxKind::IDENT, "module"), (SyntaxKind::COLON, _), (SyntaxKind::STRING, literal)] => {
            literal.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')).map(str::to_string)
        }
        _ => None,
    })
}
