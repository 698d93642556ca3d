//! The one declaration index of each source file, as per-file queries: for
//! CUE, `froyo_check::declarations` over the file's one parse; for
//! Starlark, the same index filled from the one Starlark scanner
//! (`froyo_starlark::scan`). The compile places diagnostics with it
//! ([`crate::placed`]) and the editor's features read it. Each is derived
//! from one file's text only, so an edit re-indexes that file alone.

use froyo_check::declarations::{FileIndex, Named};
use froyo_starlark::scan;

use crate::SourceFile;

/// The declaration index of a CUE file.
#[salsa::tracked(returns(ref))]
pub fn cue_declarations(db: &dyn salsa::Database, file: SourceFile) -> FileIndex {
    froyo_check::declarations::index_cue(&crate::parse_file(db, file).syntax_node())
}

/// The declaration index of a Starlark file.
#[salsa::tracked(returns(ref))]
pub fn starlark_declarations(db: &dyn salsa::Database, file: SourceFile) -> FileIndex {
    index_starlark_text(file.text(db))
}

/// The declaration index of a Starlark file's text: its constructor calls
/// with a literal id, the ids in `require`/`notify` lists, and its `load`s.
pub fn index_starlark_text(text: &str) -> FileIndex {
    let tokens = scan::tokenize(text);
    let plain = |(name, start, end): (String, u32, u32)| Named {
        name,
        start,
        end,
        full_start: start,
        full_end: end,
        type_name: None,
        top_level: false,
    };
    let mut index = FileIndex::default();
    for call in scan::calls(&tokens) {
        if let Some((id, start, end)) = call.id {
            index.resources.push(Named {
                name: id,
                start,
                end,
                full_start: call.start,
                full_end: call.end,
                type_name: Some(call.type_name),
                top_level: true,
            });
        }
    }
    index.dependency_refs = scan::dependency_strings(&tokens).into_iter().map(plain).collect();
    index.loads = scan::loads(&tokens).into_iter().map(plain).collect();
    index
}
