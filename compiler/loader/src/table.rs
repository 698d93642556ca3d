//! A workspace loaded for a command that prints what it finds: the
//! database inputs of [`crate::load`] plus a file table ([`Files`]) whose
//! ids are the database's file ids, with files named relative to the
//! current directory (what users read); and which workspaces paths name.
//!
//! A workspace is a CUE module: the package in the directory holding
//! `cue.mod/` (with the module packages it imports and the embedded
//! standard library) and every `*.star` file under that directory. Files
//! are named relative to the workspace root in the database (what `load`
//! resolves against and what the IR records as origins).

use std::path::{Path, PathBuf};

use froyo_diagnostics::{Diagnostic, FileId, Files, Span};

use crate::{FileKind, Overlay, Request, Target, display_path};

/// A workspace set up as database inputs, and the file table its
/// diagnostics point into.
pub struct LoadedWorkspace {
    pub files: Files,
    pub input: froyo_db::Workspace,
    /// The workspace's `policies/*.rego`.
    pub policies: froyo_db::Policies,
    /// Problems found while loading (unreadable files, files of another
    /// package), in the file table.
    pub diagnostics: Vec<Diagnostic>,
    /// How many Starlark files the workspace has.
    pub starlark_files: usize,
}

/// Loads the workspace whose root is `root` with [`crate::load`], naming
/// files relative to `current_dir` in the file table.
pub fn load_workspace(
    database: &mut froyo_db::Database,
    current_dir: &Path,
    root: &Path,
) -> LoadedWorkspace {
    load_workspace_over(database, current_dir, root, &Overlay::new())
}

/// [`load_workspace`] with `overlay` laid over the disk (texts read already).
pub(crate) fn load_workspace_over(
    database: &mut froyo_db::Database,
    current_dir: &Path,
    root: &Path,
    overlay: &Overlay,
) -> LoadedWorkspace {
    let loaded = crate::load(
        database,
        &Request {
            target: Target::Module(root.to_path_buf()),
            overlay,
            previous: None,
            display_base: current_dir,
            stdlib_directory: Path::new(""),
            watch: false,
        },
    );
    let mut files = Files::new();
    for (id, file) in loaded.files.iter().enumerate() {
        let name = match file.kind {
            FileKind::Stdlib => file.path.to_string_lossy().into_owned(),
            _ => display_path(current_dir, &file.path),
        };
        files.add(name, loaded.text(database, id as u32).unwrap_or_default());
    }
    let diagnostics = loaded
        .problems
        .iter()
        .map(|problem| {
            let id = match loaded.file_id(&problem.path) {
                Some(id) => FileId(id),
                None => files.add(display_path(current_dir, &problem.path), problem.text.clone()),
            };
            problem.diagnostic_in(id)
        })
        .collect();
    LoadedWorkspace {
        files,
        input: loaded.input,
        policies: loaded.policies,
        diagnostics,
        starlark_files: loaded.starlark_count(),
    }
}

/// The workspace roots (directories holding `cue.mod/module.cue`) that
/// `paths` name or lie in, and those of the files `discovered`; without
/// paths, the one around `current_dir`. Sorted, without repeats.
pub fn workspace_roots(
    current_dir: &Path,
    paths: &[PathBuf],
    discovered: &[PathBuf],
) -> Vec<PathBuf> {
    let mut roots: Vec<PathBuf> = Vec::new();
    let mut add = |root: Option<PathBuf>| {
        if let Some(root) = root
            && !roots.contains(&root)
        {
            roots.push(root);
        }
    };
    if paths.is_empty() {
        add(crate::find_root(current_dir));
    }
    for path in paths {
        let path = crate::absolute(current_dir, path);
        let directory = if path.is_dir() {
            path.clone()
        } else {
            path.parent().map(Path::to_path_buf).unwrap_or_default()
        };
        add(crate::find_root(&directory));
    }
    for file in discovered {
        add(file.parent().and_then(crate::find_root));
    }
    roots.sort();
    roots
}

/// Moves diagnostics from one file table to another, matching files by name
/// and adding those the target does not have.
pub(crate) fn move_diagnostics(
    from: &Files,
    to: &mut Files,
    diagnostics: Vec<Diagnostic>,
) -> Vec<Diagnostic> {
    let mut map = |file: FileId| -> FileId {
        let Some(source) = from.get(file) else { return file };
        for index in 0..to.len() {
            let id = FileId(index as u32);
            if to.get(id).is_some_and(|existing| existing.name() == source.name()) {
                return id;
            }
        }
        to.add(source.name().to_string(), source.text().to_string())
    };
    diagnostics
        .into_iter()
        .map(|mut diagnostic| {
            let mut move_span = |span: &mut Span| span.file = map(span.file);
            move_span(&mut diagnostic.primary.span);
            for label in &mut diagnostic.secondary {
                move_span(&mut label.span);
            }
            if let Some(fix) = &mut diagnostic.fix {
                for edit in &mut fix.edits {
                    move_span(&mut edit.span);
                }
            }
            diagnostic
        })
        .collect()
}

/// File order (file ids are handed out in path order), then position in the file.
pub fn sort_diagnostics(diagnostics: &mut [Diagnostic]) {
    diagnostics
        .sort_by_key(|diagnostic| (diagnostic.primary.span.file, diagnostic.primary.span.start));
}
