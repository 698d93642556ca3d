//! Per-file indexes for the IDE features, as salsa queries of the shared
//! database: the one declaration index (`froyo_check::declarations`) of a
//! CUE file, from the database's parse of it, and of a Starlark file, from
//! the one Starlark scanner. Each is derived from one file's text only, so
//! an edit re-indexes that file alone.

use froyo_db::SourceFile;

pub use froyo_check::declarations::{FileIndex, Named, index_cue_text, resource_type_of};

use super::starlark;

/// The index of a CUE file.
#[salsa::tracked(returns(ref))]
pub fn cue_index(db: &dyn salsa::Database, file: SourceFile) -> FileIndex {
    froyo_check::declarations::index_cue(&froyo_db::parse_file(db, file).syntax_node())
}

/// The index of a Starlark file.
#[salsa::tracked(returns(ref))]
pub fn starlark_index(db: &dyn salsa::Database, file: SourceFile) -> FileIndex {
    index_starlark_text(file.text(db))
}

pub fn index_starlark_text(text: &str) -> FileIndex {
    let tokens = starlark::tokenize(text);
    let mut index = FileIndex::default();
    for call in starlark::calls(&tokens) {
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
    for (name, start, end) in starlark::dependency_strings(&tokens) {
        index.dependency_refs.push(Named {
            name,
            start,
            end,
            full_start: start,
            full_end: end,
            type_name: None,
            top_level: false,
        });
    }
    for (name, start, end) in starlark::loads(&tokens) {
        index.loads.push(Named {
            name,
            start,
            end,
            full_start: start,
            full_end: end,
            type_name: None,
            top_level: false,
        });
    }
    index
}
