//! What the database needs of a Starlark file before running it: the
//! paths it loads and the top-level `config` fields it reads, so that a
//! file re-runs only when those change. The scanning is the one Starlark
//! scanner's, `froyo_starlark::scan` (shared with the editor's features).

pub use froyo_starlark::scan::reads as scan;
