//! Loading a workspace from disk into the compiler's database, for the CLI
//! and the language server alike.
//!
//! The compiler crates do no IO; this crate is the one place that reads a
//! workspace for them.
//! It finds the module root (`cue.mod/module.cue`) and module path
//! ([`paths`]), the root package's files by their package clauses
//! ([`scan`]), the module packages they import, transitively
//! ([`imports`]), and the `*.star` files below the root ([`walk`], with
//! the one set of skip rules), reads every file with the same limits and
//! turns every failure into a diagnostic ([`read`]), lays the editor's open
//! documents over the disk ([`overlay`]), and sets the result as
//! [`froyo_db::Workspace`] inputs, reusing the inputs of a previous load so
//! that salsa keeps what it derived from unchanged files ([`workspace`]).
//!
//! For the command line, [`table`] loads a workspace with a file table for
//! rendering and finds the workspaces paths name, [`check`] is everything
//! `froyo check` reports in one call, and [`package`] says which files make
//! the package `froyo export` and `froyo eval` evaluate.
//!
//! Start reading at [`load`].
//!
//! **Invariant:** no input panics the loader: unreadable, oversized,
//! non-UTF-8 and binary files, directories that cannot be listed and
//! symbolic-link loops end in [`Problem`]s or are skipped.
//! **Invariant:** file ids follow the database's order: package files,
//! module imports, standard library, Starlark files.
//! **Boundary:** the CLI (`src/compile.rs`, `froyo check`, `froyo export`,
//! `froyo eval` and `froyo fmt`) and the language server (`lsp/src/project.rs`).

pub mod arguments;
pub mod build;
pub mod check;
pub mod data;
pub mod embed;
pub mod imports;
pub mod module;
pub mod overlay;
pub mod package;
pub mod paths;
pub mod read;
pub mod scan;
pub mod table;
pub mod walk;
pub mod workspace;

pub use build::{Built, build, was_allowed, workspace_policies};
pub use check::{Checked, check};
pub use overlay::Overlay;
pub use paths::{absolute, display_path, find_root, workspace_root};
pub use read::{
    LoadedFile, MAX_SOURCE_BYTES, Problem, ReadError, Sources, describe_io_error,
    read_error_diagnostic, read_file, read_sources, read_stdin,
};
pub use table::{LoadedWorkspace, load_workspace, sort_diagnostics, workspace_roots};
pub use walk::{Discovery, discover};
pub use workspace::{
    EmbedWatch, EmbeddedInput, FileKind, Loaded, POLICY_DIRECTORY, Request, Target, WorkspaceFile,
    load,
};
