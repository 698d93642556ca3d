//! Projects: the workspaces the server has loaded into the database, read
//! from disk with the editor's open documents laid over the files.
//!
//! Discovery, reading and input reuse are `froyo_loader`'s, the same code
//! `froyo check` uses, so the editor and the CLI see the same workspace.
//! This module only says where the server keeps the standard library's
//! files and turns the open documents into an overlay; it knows nothing of
//! LSP types.
//! Without a module (no root, or no `cue.mod`), a document is a project of
//! its own: *single-file mode*.

use std::fs;
use std::path::{Path, PathBuf};

use froyo_ide::Database;
use froyo_loader::{Overlay, Request, Target};

pub use froyo_loader::find_root;
pub use froyo_loader::walk::module_packages;
pub use froyo_loader::{FileKind, Loaded as Project, WorkspaceFile as ProjectFile};

/// Loads (or reloads, reusing `previous`'s inputs) the project at `root`, or
/// the single-file project of `single_file`, with `overlay` (the open
/// documents) laid over the disk.
pub fn load(
    db: &mut Database,
    root: &Path,
    single_file: Option<&Path>,
    overlay: &Overlay,
    previous: Option<&Project>,
) -> Project {
    let target = match single_file {
        Some(file) => Target::SingleFile(file.to_path_buf()),
        None => Target::Module(root.to_path_buf()),
    };
    let stdlib = stdlib_directory();
    froyo_loader::load(
        db,
        &Request {
            target,
            overlay,
            previous,
            display_base: root,
            stdlib_directory: &stdlib,
            watch: true,
        },
    )
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
    for (name, text) in froyo_ide::stdlib_files() {
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
