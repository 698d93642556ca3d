//! Finding files: the one set of rules for which directories are searched.
//!
//! Two searches share the walk:
//! - [`Search::SourceFiles`] finds every `*.cue` file under the paths a
//!   command names (`froyo check`'s syntax pass, `froyo fmt`): it skips
//!   hidden directories, `node_modules`, `target` and the dependency folders
//!   of a CUE module (`cue.mod/pkg`, `cue.mod/gen`, `cue.mod/usr`), and
//!   descends into nested modules (each is checked as its own workspace).
//! - [`Search::Workspace`] finds a workspace's `*.star` files (and its
//!   module packages, for completion): it skips the same hidden and
//!   dependency directories, all of `cue.mod/`, and nested modules
//!   (directories with a `cue.mod/module.cue` of their own), whose files
//!   belong to that module's workspace.
//!
//! Symbolic links to files count; to directories, they are not followed, so
//! a link cannot make the walk loop. The walk uses an explicit stack, not
//! recursion, since directory depth is user-shaped. Results are sorted.
//! Nothing here reads file contents; see [`crate::read`].

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::overlay::Overlay;
use crate::paths::{absolute, workspace_root};

/// What a search found: files in path order, and paths that could not be searched.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Absolute paths, sorted, without duplicates.
    pub files: Vec<PathBuf>,
    /// Paths that do not exist or whose directory could not be listed, with the reason.
    pub errors: Vec<(PathBuf, io::Error)>,
}

/// Which rules a walk follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Search {
    /// Every source file under a path, nested modules included.
    SourceFiles,
    /// One workspace's files: not `cue.mod/`, not nested modules.
    Workspace,
}

/// Directory names never searched, wherever they are.
const SKIPPED_DIRECTORIES: &[&str] = &["node_modules", "target"];

/// Directories inside `cue.mod/` that hold other modules' code, not this one's.
const SKIPPED_IN_CUE_MOD: &[&str] = &["pkg", "gen", "usr"];

/// Whether the directory `path` (named `name`, in `parent`) is left out of a search.
pub fn is_skipped_directory(search: Search, parent: &Path, name: &str, path: &Path) -> bool {
    if name.starts_with('.') || SKIPPED_DIRECTORIES.contains(&name) {
        return true;
    }
    match search {
        Search::SourceFiles => {
            parent.file_name().is_some_and(|parent_name| parent_name == "cue.mod")
                && SKIPPED_IN_CUE_MOD.contains(&name)
        }
        Search::Workspace => name == "cue.mod" || path.join("cue.mod").join("module.cue").is_file(),
    }
}

/// Finds the `*.cue` files named by `paths` (directories searched with
/// [`Search::SourceFiles`], files taken as given, whatever their
/// extension), or the workspace's files when `paths` is empty.
pub fn discover(current_dir: &Path, paths: &[PathBuf]) -> Discovery {
    let roots: Vec<PathBuf> = if paths.is_empty() {
        vec![workspace_root(current_dir)]
    } else {
        paths.iter().map(|path| absolute(current_dir, path)).collect()
    };
    let mut files = BTreeSet::new();
    let mut errors = Vec::new();
    for root in roots {
        match fs::metadata(&root) {
            Ok(metadata) if metadata.is_dir() => {
                walk(&root, "cue", Search::SourceFiles, &mut files, &mut errors)
            }
            Ok(_) => {
                files.insert(root);
            }
            Err(error) => errors.push((root, error)),
        }
    }
    errors.sort_by(|left, right| left.0.cmp(&right.0));
    Discovery { files: files.into_iter().collect(), errors }
}

/// The `*.star` files of the workspace at `root` ([`Search::Workspace`]),
/// with the overlay's added files and without its deleted ones.
pub fn starlark_files(root: &Path, overlay: &Overlay) -> Discovery {
    let mut files = BTreeSet::new();
    let mut errors = Vec::new();
    walk(root, "star", Search::Workspace, &mut files, &mut errors);
    files.retain(|path| !overlay.is_deleted(path));
    for path in overlay.texts() {
        if has_extension(path, "star") && in_workspace(root, path) {
            files.insert(path.to_path_buf());
        }
    }
    Discovery { files: files.into_iter().collect(), errors }
}

/// The files with `extension` directly in `directory` (symbolic links to
/// files count), with the overlay's added files and without its deleted
/// ones, sorted.
pub fn directory_files(
    directory: &Path,
    extension: &str,
    overlay: &Overlay,
) -> io::Result<Vec<PathBuf>> {
    let mut files = BTreeSet::new();
    let listed = fs::read_dir(directory);
    let added: Vec<&Path> = overlay
        .texts()
        .filter(|path| path.parent() == Some(directory) && has_extension(path, extension))
        .collect();
    match listed {
        Ok(entries) => {
            for entry in entries {
                let path = entry?.path();
                if has_extension(&path, extension) && overlay.is_file(&path) {
                    files.insert(path);
                }
            }
        }
        // A directory that exists only in the editor holds its open documents.
        Err(error) if added.is_empty() => return Err(error),
        Err(_) => {}
    }
    files.extend(added.into_iter().map(Path::to_path_buf));
    Ok(files.into_iter().collect())
}

/// The directories of the module at `root` that hold `.cue` files, as
/// import paths under `module` (for completing imports), sorted.
pub fn module_packages(root: &Path, module: &str) -> Vec<String> {
    let mut directories = BTreeSet::new();
    let mut files = BTreeSet::new();
    let mut errors = Vec::new();
    walk(root, "cue", Search::Workspace, &mut files, &mut errors);
    for file in &files {
        if let Some(directory) = file.parent()
            && directory != root
            && let Ok(relative) = directory.strip_prefix(root)
        {
            directories
                .insert(format!("{module}/{}", relative.to_string_lossy().replace('\\', "/")));
        }
    }
    directories.into_iter().collect()
}

/// What a workspace's load lists on disk: the root's `.cue` files and the
/// `.star` files below it and its `policies/*.rego`, sorted (a change means
/// the load is stale).
pub fn listing(root: &Path) -> Vec<PathBuf> {
    let mut files = directory_files(root, "cue", &Overlay::new()).unwrap_or_default();
    let mut starlark = BTreeSet::new();
    walk(root, "star", Search::Workspace, &mut starlark, &mut Vec::new());
    files.extend(starlark);
    files.extend(
        directory_files(&root.join(crate::POLICY_DIRECTORY), "rego", &Overlay::new())
            .unwrap_or_default(),
    );
    files.sort();
    files
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension().is_some_and(|found| found == extension)
}

/// Whether `path` lies under `root` in a directory a workspace search enters.
fn in_workspace(root: &Path, path: &Path) -> bool {
    let Ok(relative) = path.strip_prefix(root) else { return false };
    let mut directory = root.to_path_buf();
    let components: Vec<_> = relative.components().collect();
    for component in components.iter().take(components.len().saturating_sub(1)) {
        let name = component.as_os_str().to_string_lossy().into_owned();
        let next = directory.join(&name);
        if is_skipped_directory(Search::Workspace, &directory, &name, &next) {
            return false;
        }
        directory = next;
    }
    true
}

fn walk(
    start: &Path,
    extension: &str,
    search: Search,
    files: &mut BTreeSet<PathBuf>,
    errors: &mut Vec<(PathBuf, io::Error)>,
) {
    let mut pending = vec![start.to_path_buf()];
    while let Some(directory) = pending.pop() {
        let entries = match fs::read_dir(&directory) {
            Ok(entries) => entries,
            Err(error) => {
                errors.push((directory, error));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(error) => {
                    errors.push((directory.clone(), error));
                    continue;
                }
            };
            let path = entry.path();
            let Ok(file_type) = entry.file_type() else { continue };
            if file_type.is_dir() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if !is_skipped_directory(search, &directory, &name, &path) {
                    pending.push(path);
                }
            } else if has_extension(&path, extension)
                && (file_type.is_file()
                    || fs::metadata(&path).is_ok_and(|metadata| metadata.is_file()))
            {
                files.insert(path);
            }
        }
    }
}
