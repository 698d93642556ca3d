//! Every editor feature of froyo as plain data in, plain data out, like
//! rust-analyzer's `ide` crate: completion, hover with provenance, go to
//! definition, references, rename, document and workspace symbols,
//! semantic tokens, inlay hints, code actions, formatting and the
//! diagnostics an editor shows. Requests name a file of a loaded project
//! (`froyo_loader::Loaded`) by id and a place in it by byte offset; answers
//! are byte ranges of project files and this crate's own small structs.
//!
//! Everything reads the same salsa database the CLI uses (`froyo_db`)
//! through queries, and the (possibly broken) text of the file being
//! edited, and answers nothing rather than failing.
//!
//! Start at [`completions`] and [`hover`]; [`index`] holds the per-file
//! salsa queries they share.
//!
//! **Invariant:** no LSP types: positions are byte offsets, files are ids
//! of the project; converting to a protocol is the caller's job.
//! **Invariant:** no input panics a feature; a feature that cannot answer
//! answers nothing.
//! **Boundary:** the language server (`lsp/`) is a protocol adapter over
//! this crate; tests call it directly, without a client.

mod actions;
mod completion;
pub mod cue;
mod diagnostics;
mod format;
mod hints;
mod hover;
pub mod index;
mod navigation;
mod symbols;
mod tokens;

/// The one reader of the standard library's schemas (`froyo_check::definitions`).
pub use froyo_check::definitions as schema;
pub use froyo_db::{Database, SourceFile, stdlib_files};
pub use froyo_loader::{FileKind, Loaded as Project};
/// The one Starlark scanner (`froyo_starlark::scan`), shared with the database.
pub use froyo_starlark::scan as starlark;

pub use actions::{Action, code_actions};
pub use completion::{MAX_ID_ITEMS, completions};
pub use diagnostics::{project_diagnostics, user_diagnostic};
pub use format::{Edit, formatting};
pub use hints::inlay_hints;
pub use hover::hover;
pub use navigation::{definition, references, rename, rename_target};
pub use symbols::{document_symbols, workspace_symbols};
pub use tokens::{TOKEN_TYPES, semantic_tokens};

/// Sets the text of an input file (an edit from the editor); salsa cancels
/// queries still running on older snapshots.
pub fn set_text(db: &mut Database, file: SourceFile, text: &str) {
    use salsa::Setter as _;
    if file.text(db) != text {
        file.set_text(db).to(text.to_string());
    }
}

/// Whether a panic's payload is salsa's cancellation of a query on an old
/// snapshot (an edit arrived), rather than a bug.
pub fn is_cancelled(payload: &(dyn std::any::Any + Send)) -> bool {
    payload.is::<salsa::Cancelled>()
}

/// The file a request is about.
pub struct Context<'a> {
    pub db: &'a Database,
    pub project: &'a Project,
    /// The file's id in `project`.
    pub file: u32,
    /// The file's text (as the database has it).
    pub text: &'a str,
}

impl Context<'_> {
    pub fn is_starlark(&self) -> bool {
        self.project.file(self.file).is_some_and(|file| file.kind == FileKind::Starlark)
    }
}

/// A byte range of a project file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileRange {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

/// What a completion item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionKind {
    Field,
    Value,
    Reference,
    Module,
    Definition,
    Function,
    Parameter,
}

/// One completion item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: Option<String>,
    pub documentation: Option<String>,
    /// Replace `start..end` of the file with this text (the partial word,
    /// `#` included, so that clients filtering by word keep the item).
    pub edit: Option<(u32, u32, String)>,
    pub filter_text: Option<String>,
}

/// A hover's Markdown and the range it is about, with the places that
/// contributed to the value (rendered as links by the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoverInfo {
    pub markdown: String,
    pub start: u32,
    pub end: u32,
    pub provenance: Vec<(String, FileRange)>,
}

/// What a symbol is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SymbolKind {
    Host,
    Resource,
}

/// A host or resource declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub detail: Option<String>,
    pub full: FileRange,
    pub name_range: FileRange,
}

/// The index of file `id` of `project`.
pub fn file_index<'db>(
    db: &'db Database,
    project: &Project,
    id: u32,
) -> Option<&'db index::FileIndex> {
    let file = project.file(id)?;
    let source = file.source?;
    Some(match file.kind {
        FileKind::Starlark => index::starlark_index(db, source),
        FileKind::Cue | FileKind::Imported => index::cue_index(db, source),
        FileKind::Stdlib | FileKind::Policy => return None,
    })
}

/// Every file of the package and every Starlark file, with its index.
pub fn indexes<'db>(db: &'db Database, project: &Project) -> Vec<(u32, &'db index::FileIndex)> {
    (0..project.files.len() as u32)
        .filter(|id| {
            project
                .file(*id)
                .is_some_and(|file| matches!(file.kind, FileKind::Cue | FileKind::Starlark))
        })
        .filter_map(|id| Some((id, file_index(db, project, id)?)))
        .collect()
}

/// The declarations of resource `name` in the project.
pub fn resource_declarations<'db>(
    db: &'db Database,
    project: &Project,
    name: &str,
) -> Vec<(u32, &'db index::Named)> {
    let mut out = Vec::new();
    for (id, index) in indexes(db, project) {
        for resource in &index.resources {
            if resource.name == name {
                out.push((id, resource));
            }
        }
    }
    out
}

/// The project file id of a standard library file (`froyo.dev/linux/file.cue`).
pub fn stdlib_file_id(project: &Project, name: &str) -> Option<u32> {
    project
        .files
        .iter()
        .position(|file| file.kind == FileKind::Stdlib && file.path.ends_with(name))
        .map(|index| index as u32)
}

/// The word (identifier characters, `#` and `$` included) that ends at `offset`.
pub fn word_before(text: &str, offset: usize) -> (usize, &str) {
    let offset = offset.min(text.len());
    let Some(before) = text.get(..offset) else { return (offset, "") };
    let start = before
        .char_indices()
        .rev()
        .take_while(|(_, character)| {
            character.is_alphanumeric() || matches!(character, '_' | '#' | '$')
        })
        .last()
        .map_or(offset, |(index, _)| index);
    (start, &text[start..offset])
}

/// The resource property `field` of resource `id` in the compiled IR, as
/// JSON (redacted when sensitive); `None` when the workspace does not compile.
pub fn evaluated_property(
    db: &Database,
    project: &Project,
    id: &str,
    field: Option<&str>,
) -> Option<String> {
    let ir = froyo_db::workspace_ir(db, project.input).as_ref()?;
    let resource = ir.resources.iter().find(|resource| resource.id == id)?;
    let Some(field) = field else {
        let mut properties = resource.properties.clone();
        for name in &resource.sensitive {
            if let Some(value) = properties.get_mut(name) {
                *value = value.redacted();
            }
        }
        return serde_json::to_string_pretty(&properties).ok();
    };
    let value = match field {
        "on" => serde_json::to_string(&resource.on).ok()?,
        "require" => serde_json::to_string(&resource.require).ok()?,
        "notify" => serde_json::to_string(&resource.notify).ok()?,
        "type" => serde_json::to_string(&resource.type_name).ok()?,
        _ => {
            let value = resource.properties.get(field)?;
            if resource.sensitive.iter().any(|name| name == field) {
                serde_json::to_string(&value.redacted()).ok()?
            } else {
                serde_json::to_string(value).ok()?
            }
        }
    };
    Some(value)
}

/// A host's value of `field` in the compiled IR, as JSON.
pub fn evaluated_host_field(
    db: &Database,
    project: &Project,
    name: &str,
    field: &str,
) -> Option<String> {
    let ir = froyo_db::workspace_ir(db, project.input).as_ref()?;
    let host = ir.hosts.iter().find(|host| host.name == name)?;
    let json = serde_json::to_value(host).ok()?;
    json.get(field).map(|value| value.to_string())
}
