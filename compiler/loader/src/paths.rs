//! Paths: where a workspace's root is, and how a file is named.
//!
//! A *module root* is a directory holding `cue.mod/module.cue` (what the
//! compile of a workspace needs); the *workspace root* of a command without
//! paths is the nearest directory holding `cue.mod/` at all. Names are
//! derived lexically: nothing here resolves symbolic links.

use std::path::{Component, Path, PathBuf};

/// The nearest directory at or above `start` with a `cue.mod/module.cue` file.
pub fn find_root(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|directory| directory.join("cue.mod").join("module.cue").is_file())
        .map(Path::to_path_buf)
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

/// How a path is shown to users: relative to `base` when under it, else as is.
pub fn display_path(base: &Path, path: &Path) -> String {
    match path.strip_prefix(base) {
        Ok(relative) if relative.as_os_str().is_empty() => ".".to_string(),
        Ok(relative) => relative.to_string_lossy().into_owned(),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// The name of a workspace file as the database knows it: relative to the
/// root with `/` separators (what Starlark's `load` resolves against and
/// what the IR records as origins), or the whole path outside the root.
pub fn input_name(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(relative) => relative.to_string_lossy().replace('\\', "/"),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}
