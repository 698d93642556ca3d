//! Finding the files a command works on.
//!
//! Without paths, a command works on the workspace: the nearest directory,
//! from the current one upwards, that contains `cue.mod/` (or the current
//! directory when there is none). Directories are searched recursively for
//! `*.cue` files, skipping hidden directories, `node_modules`, `target` and the
//! dependency folders of a CUE module (`cue.mod/pkg`, `cue.mod/gen`,
//! `cue.mod/usr`). Files named explicitly are taken as given, whatever their
//! extension. Symbolic links to files are followed; to directories, not (so a
//! link cannot make the walk loop).
//!
//! The result is sorted by path so that output is deterministic. Nothing here
//! reads file contents; see [`crate::source`].

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};

/// What a search found: files in path order, and paths that could not be searched.
#[derive(Debug, Default)]
pub struct Discovery {
    /// Absolute paths, sorted, without duplicates.
    pub files: Vec<PathBuf>,
    /// Paths that do not exist or whose directory could not be listed, with the reason.
    pub errors: Vec<(PathBuf, io::Error)>,
}

/// Finds the files named by `paths`, or the workspace's files when `paths` is empty.
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
            Ok(metadata) if metadata.is_dir() => walk(&root, "cue", &mut files, &mut errors),
            Ok(_) => {
                files.insert(root);
            }
            Err(error) => errors.push((root, error)),
        }
    }
    errors.sort_by(|left, right| left.0.cmp(&right.0));
    Discovery { files: files.into_iter().collect(), errors }
}

/// The nearest directory at or above `start` that contains `cue.mod/`, else `start`.
pub fn workspace_root(start: &Path) -> PathBuf {
    start
        .ancestors()
        .find(|directory| directory.join("cue.mod").is_dir())
        .unwrap_or(start)
        .to_path_buf()
}

/// `path` made absolute against `current_dir`, with `.` and `..` resolved lexically.
pub fn absolute(current_dir: &Path, path: &Path) -> PathBuf {
    let mut result = PathBuf::new();
    for component in current_dir.join(path).components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                result.pop();
            }
            other => result.push(other),
        }
    }
    result
}

/// How a path is shown to users: relative to `current_dir` when under it, else as is.
pub fn display_path(current_dir: &Path, path: &Path) -> String {
    match path.strip_prefix(current_dir) {
        Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
        Ok(relative) => relative.to_string_lossy().into_owned(),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// Directory names never searched, wherever they are.
const SKIPPED_DIRECTORIES: &[&str] = &["node_modules", "target"];

/// Directories inside `cue.mod/` that hold other modules' code, not this one's.
const SKIPPED_IN_CUE_MOD: &[&str] = &["pkg", "gen", "usr"];

fn walk(
    directory: &Path,
    extension: &str,
    files: &mut BTreeSet<PathBuf>,
    errors: &mut Vec<(PathBuf, io::Error)>,
) {
    // An explicit stack rather than recursion: directory depth is user-shaped.
    let mut pending = vec![directory.to_path_buf()];
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
                if !is_skipped_directory(&directory, &entry.file_name().to_string_lossy()) {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|found| found == extension) {
                // A symbolic link counts when it points at a file.
                if file_type.is_file()
                    || fs::metadata(&path).is_ok_and(|metadata| metadata.is_file())
                {
                    files.insert(path);
                }
            }
        }
    }
}

fn is_skipped_directory(parent: &Path, name: &str) -> bool {
    name.starts_with('.')
        || SKIPPED_DIRECTORIES.contains(&name)
        || (parent.file_name().is_some_and(|parent_name| parent_name == "cue.mod")
            && SKIPPED_IN_CUE_MOD.contains(&name))
}

/// The Starlark files (`*.star`) under `root`, searched as CUE files are.
pub fn discover_starlark(root: &Path) -> Discovery {
    let mut files = BTreeSet::new();
    let mut errors = Vec::new();
    walk(root, "star", &mut files, &mut errors);
    Discovery { files: files.into_iter().collect(), errors }
}
