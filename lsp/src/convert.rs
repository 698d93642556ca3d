//! Between the IDE features (offsets, file ids, plain data) and LSP types
//! (URIs, positions in the negotiated encoding). Each function here answers
//! one request or notification from a [`Snapshot`].

use std::path::Path;

use froyo_diagnostics::Severity;
use tower_lsp_server::ls_types::*;

use crate::ide;
use crate::line_index::{LineCol, LineIndex};
use crate::project::{FileKind, Project};
use crate::server::{Snapshot, uri_path};

pub fn line_col(position: Position) -> LineCol {
    LineCol { line: position.line, character: position.character }
}

/// The URI of a path.
pub fn uri(path: &Path) -> Option<Uri> {
    Uri::from_file_path(path)
}

/// Offsets ↔ positions in one file of a snapshot.
pub struct FileText<'a> {
    pub text: &'a str,
    index: LineIndex,
    encoding: crate::line_index::Encoding,
}

impl<'a> FileText<'a> {
    pub fn new(snapshot: &'a Snapshot, project: &Project, id: u32) -> Option<FileText<'a>> {
        let text = snapshot.text(project, id)?;
        Some(FileText { text, index: LineIndex::new(text), encoding: snapshot.encoding })
    }

    pub fn position(&self, offset: u32) -> Position {
        let at = self.index.position(self.text, offset as usize, self.encoding);
        Position { line: at.line, character: at.character }
    }

    pub fn range(&self, start: u32, end: u32) -> Range {
        Range { start: self.position(start), end: self.position(end) }
    }

    pub fn offset(&self, position: Position) -> u32 {
        self.index.offset(self.text, line_col(position), self.encoding) as u32
    }
}

/// The diagnostics of every file of every project that has any: (file,
/// document version when open, diagnostics).
pub fn all_diagnostics(snapshot: &Snapshot) -> Vec<(Uri, Option<i32>, Vec<Diagnostic>)> {
    let mut out: Vec<(Uri, Option<i32>, Vec<Diagnostic>)> = Vec::new();
    for project in &snapshot.projects {
        let mut by_file: Vec<Vec<Diagnostic>> = vec![Vec::new(); project.files.len()];
        let mut texts: Vec<Option<FileText<'_>>> = (0..project.files.len()).map(|_| None).collect();
        for diagnostic in ide::project_diagnostics(&snapshot.db, project) {
            let id = diagnostic.primary.span.file.0;
            if let Some(converted) = diagnostic_to_lsp(snapshot, project, &mut texts, &diagnostic) {
                by_file[id as usize].push(converted);
            }
        }
        // What the load could not read, or left out (as `froyo check` reports it).
        for problem in &project.problems {
            let Some(id) = project.file_id(&problem.path) else {
                let Some(uri) = uri(&problem.path) else { continue };
                let diagnostic = problem.diagnostic_in(froyo_diagnostics::FileId(0));
                let text = FileText {
                    text: &problem.text,
                    index: LineIndex::new(&problem.text),
                    encoding: snapshot.encoding,
                };
                let Some(converted) =
                    diagnostic_to_lsp(snapshot, project, &mut [Some(text)], &diagnostic)
                else {
                    continue;
                };
                match out.iter_mut().find(|(known, ..)| *known == uri) {
                    Some(entry) => entry.2.push(converted),
                    None => out.push((uri, None, vec![converted])),
                }
                continue;
            };
            let diagnostic = problem.diagnostic_in(froyo_diagnostics::FileId(id));
            if let Some(converted) = diagnostic_to_lsp(snapshot, project, &mut texts, &diagnostic) {
                by_file[id as usize].push(converted);
            }
        }
        for (id, diagnostics) in by_file.into_iter().enumerate() {
            // Files without diagnostics are left out: the publisher clears
            // those it published before.
            if diagnostics.is_empty() {
                continue;
            }
            let file = &project.files[id];
            // A file of a module project wins over a single-file project of it.
            if project.single_file.is_some()
                && snapshot
                    .projects
                    .iter()
                    .any(|other| other.single_file.is_none() && other.file_id(&file.path).is_some())
            {
                continue;
            }
            let Some(uri) = uri(&file.path) else { continue };
            let version = snapshot.documents.get(&file.path).map(|document| document.version);
            match out.iter_mut().find(|(known, ..)| *known == uri) {
                Some(entry) => entry.2.extend(diagnostics),
                None => out.push((uri, version, diagnostics)),
            }
        }
    }
    out
}

fn diagnostic_to_lsp<'a>(
    snapshot: &'a Snapshot,
    project: &Project,
    texts: &mut [Option<FileText<'a>>],
    diagnostic: &froyo_diagnostics::Diagnostic,
) -> Option<Diagnostic> {
    let mut range_of = |span: froyo_diagnostics::Span| -> Option<Range> {
        let slot = texts.get_mut(span.file.0 as usize)?;
        if slot.is_none() {
            *slot = FileText::new(snapshot, project, span.file.0);
        }
        slot.as_ref().map(|text| text.range(span.start, span.end))
    };
    let range = range_of(diagnostic.primary.span)?;
    let mut message = diagnostic.message.clone();
    if !diagnostic.primary.message.is_empty() {
        message.push_str(&format!("\n{}", diagnostic.primary.message));
    }
    for note in &diagnostic.notes {
        message.push_str(&format!("\nnote: {note}"));
    }
    if let Some(help) = &diagnostic.help {
        message.push_str(&format!("\nhelp: {help}"));
    }
    let related: Vec<DiagnosticRelatedInformation> = diagnostic
        .secondary
        .iter()
        .filter_map(|label| {
            let file = project.file(label.span.file.0)?;
            Some(DiagnosticRelatedInformation {
                location: Location { uri: uri(&file.path)?, range: range_of(label.span)? },
                message: if label.message.is_empty() {
                    "related".into()
                } else {
                    label.message.clone()
                },
            })
        })
        .collect();
    Some(Diagnostic {
        range,
        severity: Some(match diagnostic.severity {
            Severity::Error => DiagnosticSeverity::ERROR,
            Severity::Warning => DiagnosticSeverity::WARNING,
            Severity::Note => DiagnosticSeverity::INFORMATION,
            Severity::Help => DiagnosticSeverity::HINT,
        }),
        code: Some(NumberOrString::String(diagnostic.code.code.to_string())),
        source: Some("froyo".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        ..Diagnostic::default()
    })
}

/// The project, file id and text of a request's document.
fn document<'a>(snapshot: &'a Snapshot, uri: &Uri) -> Option<(&'a Project, u32, FileText<'a>)> {
    let path = uri_path(uri)?;
    let (project, id) = snapshot.locate(&path)?;
    let text = FileText::new(snapshot, project, id)?;
    Some((project, id, text))
}

fn context<'a>(
    snapshot: &'a Snapshot,
    project: &'a Project,
    id: u32,
    text: &'a str,
) -> ide::Context<'a> {
    ide::Context { db: &snapshot.db, project, file: id, text }
}

/// The location of a file range of `project`.
fn location(snapshot: &Snapshot, project: &Project, range: &ide::FileRange) -> Option<Location> {
    let file = project.file(range.file)?;
    let text = FileText::new(snapshot, project, range.file)?;
    Some(Location { uri: uri(&file.path)?, range: text.range(range.start, range.end) })
}

pub fn completion(
    snapshot: &Snapshot,
    position: &TextDocumentPositionParams,
) -> Option<CompletionResponse> {
    let (project, id, text) = document(snapshot, &position.text_document.uri)?;
    let offset = text.offset(position.position);
    let items = ide::completions(&context(snapshot, project, id, text.text), offset);
    let items: Vec<CompletionItem> = items
        .into_iter()
        .map(|item| CompletionItem {
            label: item.label.clone(),
            kind: Some(match item.kind {
                ide::CompletionKind::Field => CompletionItemKind::FIELD,
                ide::CompletionKind::Value => CompletionItemKind::ENUM_MEMBER,
                ide::CompletionKind::Reference => CompletionItemKind::REFERENCE,
                ide::CompletionKind::Module => CompletionItemKind::MODULE,
                ide::CompletionKind::Definition => CompletionItemKind::STRUCT,
                ide::CompletionKind::Function => CompletionItemKind::FUNCTION,
                ide::CompletionKind::Parameter => CompletionItemKind::PROPERTY,
            }),
            detail: item.detail,
            documentation: item.documentation.map(|doc| {
                Documentation::MarkupContent(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: doc,
                })
            }),
            filter_text: item.filter_text,
            text_edit: item.edit.map(|(start, end, new_text)| {
                CompletionTextEdit::Edit(TextEdit { range: text.range(start, end), new_text })
            }),
            insert_text_format: Some(InsertTextFormat::PLAIN_TEXT),
            ..CompletionItem::default()
        })
        .collect();
    let is_incomplete = items.len() >= ide::MAX_ID_ITEMS;
    Some(CompletionResponse::List(CompletionList { is_incomplete, items }))
}

pub fn hover(snapshot: &Snapshot, position: &TextDocumentPositionParams) -> Option<Hover> {
    let (project, id, text) = document(snapshot, &position.text_document.uri)?;
    let offset = text.offset(position.position);
    let info = ide::hover(&context(snapshot, project, id, text.text), offset)?;
    let mut markdown = info.markdown;
    if !info.provenance.is_empty() {
        markdown.push_str("\n\n**Where this value comes from**\n");
        for (what, range) in &info.provenance {
            let Some(location) = location(snapshot, project, range) else { continue };
            markdown.push_str(&format!(
                "\n- {what}: [{}:{}]({}#L{})",
                display_name(project, &location.uri),
                location.range.start.line + 1,
                location.uri.as_str(),
                location.range.start.line + 1
            ));
        }
    }
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind: MarkupKind::Markdown,
            value: markdown,
        }),
        range: Some(text.range(info.start, info.end)),
    })
}

fn display_name(project: &Project, uri: &Uri) -> String {
    let Some(path) = uri_path(uri) else { return uri.as_str().to_string() };
    if let Ok(relative) = path.strip_prefix(&project.root) {
        return relative.to_string_lossy().into_owned();
    }
    if let Ok(relative) = path.strip_prefix(crate::project::stdlib_directory()) {
        return relative.to_string_lossy().into_owned();
    }
    path.to_string_lossy().into_owned()
}

pub fn definition(
    snapshot: &Snapshot,
    position: &TextDocumentPositionParams,
) -> Option<GotoDefinitionResponse> {
    let (project, id, text) = document(snapshot, &position.text_document.uri)?;
    let offset = text.offset(position.position);
    let targets = ide::definition(&context(snapshot, project, id, text.text), offset);
    let locations: Vec<Location> =
        targets.iter().filter_map(|target| location(snapshot, project, target)).collect();
    (!locations.is_empty()).then_some(GotoDefinitionResponse::Array(locations))
}

pub fn references(
    snapshot: &Snapshot,
    position: &TextDocumentPositionParams,
    include_declaration: bool,
) -> Option<Vec<Location>> {
    let (project, id, text) = document(snapshot, &position.text_document.uri)?;
    let offset = text.offset(position.position);
    let found =
        ide::references(&context(snapshot, project, id, text.text), offset, include_declaration)?;
    Some(found.iter().filter_map(|range| location(snapshot, project, range)).collect())
}

pub fn prepare_rename(
    snapshot: &Snapshot,
    position: &TextDocumentPositionParams,
) -> Option<PrepareRenameResponse> {
    let (project, id, text) = document(snapshot, &position.text_document.uri)?;
    let offset = text.offset(position.position);
    let (range, placeholder) =
        ide::rename_target(&context(snapshot, project, id, text.text), offset)?;
    Some(PrepareRenameResponse::RangeWithPlaceholder {
        range: text.range(range.start, range.end),
        placeholder,
    })
}

pub fn rename(
    snapshot: &Snapshot,
    position: &TextDocumentPositionParams,
    new_name: &str,
) -> tower_lsp_server::jsonrpc::Result<Option<WorkspaceEdit>> {
    let Some((project, id, text)) = document(snapshot, &position.text_document.uri) else {
        return Ok(None);
    };
    let offset = text.offset(position.position);
    let edits = ide::rename(&context(snapshot, project, id, text.text), offset, new_name)
        .map_err(tower_lsp_server::jsonrpc::Error::invalid_params)?;
    Ok(Some(workspace_edit(snapshot, project, &edits)))
}

fn workspace_edit(
    snapshot: &Snapshot,
    project: &Project,
    edits: &[(ide::FileRange, String)],
) -> WorkspaceEdit {
    let mut changes: std::collections::HashMap<Uri, Vec<TextEdit>> =
        std::collections::HashMap::new();
    for (range, new_text) in edits {
        let Some(location) = location(snapshot, project, range) else { continue };
        changes
            .entry(location.uri)
            .or_default()
            .push(TextEdit { range: location.range, new_text: new_text.clone() });
    }
    WorkspaceEdit { changes: Some(changes), ..WorkspaceEdit::default() }
}

#[allow(deprecated)]
fn symbol_information(
    name: String,
    kind: SymbolKind,
    location: Location,
    container: Option<String>,
) -> SymbolInformation {
    SymbolInformation {
        name,
        kind,
        tags: None,
        deprecated: None,
        location,
        container_name: container,
    }
}

#[allow(deprecated)]
pub fn document_symbols(snapshot: &Snapshot, uri: &Uri) -> Option<DocumentSymbolResponse> {
    let (project, id, text) = document(snapshot, uri)?;
    let symbols = ide::document_symbols(&context(snapshot, project, id, text.text));
    Some(DocumentSymbolResponse::Nested(
        symbols
            .into_iter()
            .map(|symbol| DocumentSymbol {
                name: symbol.name,
                detail: symbol.detail,
                kind: symbol_kind(symbol.kind),
                tags: None,
                deprecated: None,
                range: text.range(symbol.full.start, symbol.full.end),
                selection_range: text.range(symbol.name_range.start, symbol.name_range.end),
                children: None,
            })
            .collect(),
    ))
}

fn symbol_kind(kind: ide::SymbolKind) -> SymbolKind {
    match kind {
        ide::SymbolKind::Host => SymbolKind::NAMESPACE,
        ide::SymbolKind::Resource => SymbolKind::OBJECT,
    }
}

pub fn workspace_symbols(snapshot: &Snapshot, query: &str) -> Option<WorkspaceSymbolResponse> {
    let mut out = Vec::new();
    for project in &snapshot.projects {
        for symbol in ide::workspace_symbols(&snapshot.db, project, query) {
            let Some(location) = location(snapshot, project, &symbol.name_range) else { continue };
            out.push(symbol_information(
                symbol.name,
                symbol_kind(symbol.kind),
                location,
                symbol.detail,
            ));
        }
    }
    Some(WorkspaceSymbolResponse::Flat(out))
}

pub fn formatting(snapshot: &Snapshot, uri: &Uri) -> Option<Vec<TextEdit>> {
    let (project, id, text) = document(snapshot, uri)?;
    let edits = ide::formatting(&context(snapshot, project, id, text.text))?;
    Some(
        edits
            .into_iter()
            .map(|edit| TextEdit {
                range: text.range(edit.range.start, edit.range.end),
                new_text: edit.text,
            })
            .collect(),
    )
}

pub fn code_actions(snapshot: &Snapshot, params: &CodeActionParams) -> Option<CodeActionResponse> {
    let (project, id, text) = document(snapshot, &params.text_document.uri)?;
    let start = text.offset(params.range.start);
    let end = text.offset(params.range.end);
    let actions = ide::code_actions(&context(snapshot, project, id, text.text), start, end);
    Some(
        actions
            .into_iter()
            .map(|action| {
                let edits: Vec<(ide::FileRange, String)> =
                    action.edits.into_iter().map(|edit| (edit.range, edit.text)).collect();
                CodeActionOrCommand::CodeAction(CodeAction {
                    title: action.title,
                    kind: Some(CodeActionKind::QUICKFIX),
                    is_preferred: Some(action.preferred),
                    edit: Some(workspace_edit(snapshot, project, &edits)),
                    ..CodeAction::default()
                })
            })
            .collect(),
    )
}

pub fn semantic_legend() -> SemanticTokensLegend {
    SemanticTokensLegend {
        token_types: ide::TOKEN_TYPES.iter().map(|name| SemanticTokenType::new(name)).collect(),
        token_modifiers: Vec::new(),
    }
}

pub fn semantic_tokens(snapshot: &Snapshot, uri: &Uri) -> Option<SemanticTokensResult> {
    let (project, id, text) = document(snapshot, uri)?;
    let starlark = project.file(id)?.kind == FileKind::Starlark;
    let tokens = ide::semantic_tokens(text.text, starlark);
    let mut data = Vec::new();
    let mut previous = Position { line: 0, character: 0 };
    for (start, end, token_type) in tokens {
        // Tokens are single-line: split multi-line ones at line ends.
        let mut piece_start = start;
        for (index, character) in text.text[start as usize..end as usize].char_indices() {
            if character == '\n' {
                push_token(
                    &text,
                    &mut data,
                    &mut previous,
                    piece_start,
                    start + index as u32,
                    token_type,
                );
                piece_start = start + index as u32 + 1;
            }
        }
        push_token(&text, &mut data, &mut previous, piece_start, end, token_type);
    }
    Some(SemanticTokensResult::Tokens(SemanticTokens { result_id: None, data }))
}

fn push_token(
    text: &FileText<'_>,
    data: &mut Vec<SemanticToken>,
    previous: &mut Position,
    start: u32,
    end: u32,
    token_type: u32,
) {
    if end <= start {
        return;
    }
    let from = text.position(start);
    let to = text.position(end);
    let delta_line = from.line - previous.line;
    let delta_start =
        if delta_line == 0 { from.character - previous.character } else { from.character };
    data.push(SemanticToken {
        delta_line,
        delta_start,
        length: to.character.saturating_sub(from.character),
        token_type,
        token_modifiers_bitset: 0,
    });
    *previous = from;
}

pub fn inlay_hints(snapshot: &Snapshot, params: &InlayHintParams) -> Option<Vec<InlayHint>> {
    let (project, id, text) = document(snapshot, &params.text_document.uri)?;
    let start = text.offset(params.range.start);
    let end = text.offset(params.range.end);
    let hints = ide::inlay_hints(&context(snapshot, project, id, text.text));
    Some(
        hints
            .into_iter()
            .filter(|(offset, _)| *offset >= start && *offset <= end)
            .map(|(offset, label)| InlayHint {
                position: text.position(offset),
                label: InlayHintLabel::String(label),
                kind: None,
                text_edits: None,
                tooltip: Some(InlayHintTooltip::String("default from the schema".into())),
                padding_left: Some(true),
                padding_right: None,
                data: None,
            })
            .collect(),
    )
}
