//! Files named on the command line, sorted by whether a command reads them.
//!
//! `froyo check` reads CUE (`.cue`) and Starlark (`.star`) files, `froyo fmt`
//! CUE files only. A file of another kind named explicitly (`froyo check
//! README.md`) is refused with `E0104` rather than parsed as CUE, which only
//! gives confusing syntax errors. Directories and paths that do not exist
//! pass through: the walk and the reader report those.

use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, Files, Span, registry};

/// The paths a command was given, sorted out.
#[derive(Debug, Default)]
pub struct Given {
    /// Directories, missing paths and files with an accepted extension, in the order given.
    pub kept: Vec<PathBuf>,
    /// Existing files of another kind, in the order given.
    pub refused: Vec<PathBuf>,
}

/// Sorts `paths` (relative to `current_dir`) by whether they are files with
/// one of `extensions` (without the dot).
pub fn sort_out(current_dir: &Path, paths: &[PathBuf], extensions: &[&str]) -> Given {
    let mut given = Given::default();
    for path in paths {
        let is_file = froyo_loader::absolute(current_dir, path).is_file();
        if is_file && !has_extension(path, extensions) {
            given.refused.push(path.clone());
        } else {
            given.kept.push(path.clone());
        }
    }
    given
}

/// Whether `path`'s extension is one of `extensions`.
pub fn has_extension(path: &Path, extensions: &[&str]) -> bool {
    path.extension()
        .and_then(|extension| extension.to_str())
        .is_some_and(|extension| extensions.contains(&extension))
}

/// `E0104` for a refused file, added to `files` under its name as the user
/// wrote it; `reads` says what the command reads (`CUE or Starlark`).
pub fn refusal(files: &mut Files, path: &Path, reads: &str, help: &str) -> Diagnostic {
    let name = path.display().to_string();
    let file = files.add(name.clone(), "");
    Diagnostic::new(
        &registry::NOT_A_SOURCE_FILE,
        format!("`{name}` is not a {reads} file"),
        Span::new(file, 0, 0),
    )
    .with_help(help.to_string())
}
