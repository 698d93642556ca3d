//! Document and workspace symbols: the hosts and resources files declare.

use froyo_db::Database;

use super::{Context, FileRange, Symbol, SymbolKind, file_index, indexes};
use crate::Project;

fn symbols_of(file: u32, index: &super::index::FileIndex) -> Vec<Symbol> {
    let host = index.hosts.iter().map(|named| (named, SymbolKind::Host));
    let resources = index.resources.iter().map(|named| (named, SymbolKind::Resource));
    host.chain(resources)
        .map(|(named, kind)| Symbol {
            name: named.name.clone(),
            kind,
            detail: named
                .type_name
                .clone()
                .or_else(|| (kind == SymbolKind::Host).then(|| "host".to_string())),
            full: FileRange { file, start: named.full_start, end: named.full_end.max(named.end) },
            name_range: FileRange { file, start: named.start, end: named.end },
        })
        .collect()
}

/// The hosts and resources the context's file declares.
pub fn document_symbols(context: &Context<'_>) -> Vec<Symbol> {
    file_index(context.db, context.project, context.file)
        .map(|index| symbols_of(context.file, index))
        .unwrap_or_default()
}

/// The hosts and resources of the project whose names contain `query`
/// (case-insensitive).
pub fn workspace_symbols(db: &Database, project: &Project, query: &str) -> Vec<Symbol> {
    let query = query.to_lowercase();
    indexes(db, project)
        .into_iter()
        .flat_map(|(file, index)| symbols_of(file, index))
        .filter(|symbol| symbol.name.to_lowercase().contains(&query))
        .collect()
}
