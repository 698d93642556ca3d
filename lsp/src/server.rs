//! The language server: LSP messages in, database inputs and queries, LSP
//! messages out. This is the only module (with [`crate::convert`]) that
//! knows LSP types.
//!
//! Concurrency: one [`State`] behind a mutex holds the database and the open
//! documents. Notifications that change text apply under the lock, in the
//! order they arrive (setting an input cancels queries running on older
//! snapshots: salsa unwinds them, and they answer `ContentModified`).
//! Requests and diagnostics run on a [`Snapshot`] (a clone of the database
//! plus the projects and documents of that moment) on the blocking pool.
//! Diagnostics are debounced (an edit that arrives while a run is going
//! waits [`DEBOUNCE`] for the burst to end; after a pause they run at once)
//! and numbered: a run whose number is no longer the latest publishes
//! nothing, so results for older text never replace newer ones.
//!
//! A bug in a request handler (a panic) is contained to that request: it
//! answers an internal error and the server goes on.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use froyo_ide::Database;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::convert;
use crate::line_index::{Encoding, LineIndex};
use crate::project::{self, Project};

/// How long diagnostics wait for more edits before they run, when an edit
/// arrives while a run is still going (the user is typing a burst). After a
/// pause, they run at once.
const DEBOUNCE: Duration = Duration::from_millis(10);
/// How often unopened files and `cue.mod/module.cue` are checked for changes.
const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// An open document.
#[derive(Debug)]
pub struct Document {
    pub text: String,
    pub version: i32,
    pub line_index: LineIndex,
}

/// Everything the server knows, behind one lock.
pub struct State {
    pub db: Database,
    /// The workspace folders (or root) the client named at `initialize`.
    pub roots: Vec<PathBuf>,
    pub encoding: Encoding,
    pub documents: HashMap<PathBuf, Arc<Document>>,
    pub projects: Vec<Project>,
}

/// What requests and diagnostics read: the database and projects as of one
/// moment. Dropped promptly: an edit waits for every snapshot to go.
pub struct Snapshot {
    pub db: Database,
    pub encoding: Encoding,
    pub documents: HashMap<PathBuf, Arc<Document>>,
    pub projects: Vec<Project>,
}

impl Snapshot {
    /// The project (preferring a module over single-file mode) and file id of `path`.
    pub fn locate(&self, path: &Path) -> Option<(&Project, u32)> {
        let mut found = None;
        for project in &self.projects {
            if let Some(id) = project.file_id(path) {
                if project.single_file.is_none() {
                    return Some((project, id));
                }
                found = Some((project, id));
            }
        }
        found
    }

    /// The text of file `id` of `project`.
    pub fn text<'a>(&'a self, project: &Project, id: u32) -> Option<&'a str> {
        project.text(&self.db, id)
    }
}

struct Shared {
    state: Mutex<State>,
    /// The number of the latest diagnostics run.
    generation: AtomicU64,
    /// The number of the run computing now, or 0.
    in_flight: AtomicU64,
    /// Held while publishing, with the files published non-empty last time.
    published: tokio::sync::Mutex<HashSet<Uri>>,
}

/// The `tower-lsp-server` backend.
pub struct Backend {
    client: Client,
    shared: Arc<Shared>,
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        let state = State {
            db: Database::default(),
            roots: Vec::new(),
            encoding: Encoding::Utf16,
            documents: HashMap::new(),
            projects: Vec::new(),
        };
        Backend {
            client,
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                generation: AtomicU64::new(0),
                in_flight: AtomicU64::new(0),
                published: tokio::sync::Mutex::new(HashSet::new()),
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.shared)
    }

    fn snapshot(&self) -> Snapshot {
        let state = self.lock();
        Snapshot {
            db: state.db.clone(),
            encoding: state.encoding,
            documents: state.documents.clone(),
            projects: state.projects.clone(),
        }
    }

    /// Runs `job` on a snapshot on the blocking pool: `ContentModified` when
    /// an edit cancelled it, an internal error when it panicked.
    async fn on_snapshot<T: Send + 'static>(
        &self,
        job: impl FnOnce(&Snapshot) -> T + Send + 'static,
    ) -> Result<T> {
        let snapshot = self.snapshot();
        let joined = tokio::task::spawn_blocking(move || {
            std::panic::catch_unwind(AssertUnwindSafe(|| job(&snapshot)))
        })
        .await;
        match joined {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(payload)) if froyo_ide::is_cancelled(payload.as_ref()) => Err(Error::content_modified()),
            _ => Err(Error {
                code: ErrorCode::InternalError,
                message: "the froyo language server failed on this request; this is a bug, please report it".into(),
                data: None,
            }),
        }
    }

    /// Starts a diagnostics run after [`DEBOUNCE`], unless a newer one starts first.
    fn schedule_diagnostics(&self) {
        let generation = self.shared.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let shared = self.shared.clone();
        let client = self.client.clone();
        let busy = shared.in_flight.load(Ordering::SeqCst) != 0;
        tokio::spawn(async move {
            if busy {
                tokio::time::sleep(DEBOUNCE).await;
            } else {
                // Let notifications already received apply first.
                tokio::task::yield_now().await;
            }
            if shared.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            shared.in_flight.store(generation, Ordering::SeqCst);
            let done = InFlight { shared: &shared, generation };
            let snapshot = {
                let state = lock(&shared);
                Snapshot {
                    db: state.db.clone(),
                    encoding: state.encoding,
                    documents: state.documents.clone(),
                    projects: state.projects.clone(),
                }
            };
            let computed = tokio::task::spawn_blocking(move || {
                std::panic::catch_unwind(AssertUnwindSafe(|| convert::all_diagnostics(&snapshot)))
            })
            .await;
            drop(done);
            let Ok(Ok(files)) = computed else { return };
            let mut published = shared.published.lock().await;
            if shared.generation.load(Ordering::SeqCst) != generation {
                return;
            }
            let mut now = HashSet::new();
            for (uri, version, diagnostics) in files {
                now.insert(uri.clone());
                client.publish_diagnostics(uri, diagnostics, version).await;
            }
            for uri in published.iter() {
                if !now.contains(uri) {
                    client.publish_diagnostics(uri.clone(), Vec::new(), None).await;
                }
            }
            *published = now;
        });
    }

    /// Makes sure `path` belongs to a loaded project: its module's, or one
    /// of its own (single-file mode).
    fn ensure_project(state: &mut State, path: &Path) {
        if state
            .projects
            .iter()
            .any(|project| project.file_id(path).is_some() || project.embeds(path))
        {
            return;
        }
        let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let read = overlay(&state.documents);
        if let Some(root) = project::find_root(&directory) {
            let index = state
                .projects
                .iter()
                .position(|project| project.single_file.is_none() && project.root == root);
            let previous = index.map(|index| state.projects[index].clone());
            let loaded = project::load(&mut state.db, &root, None, &read, previous.as_ref());
            // A file embedded by `@embed` is the project's too, not a document of its own.
            let contains = loaded.file_id(path).is_some() || loaded.embeds(path);
            match index {
                Some(index) => state.projects[index] = loaded,
                None => state.projects.push(loaded),
            }
            if contains {
                return;
            }
        }
        // A Rego file outside a workspace's `policies/` is no project's: it
        // is not CUE, and froyo evaluates policies only with a workspace.
        if path.extension().is_some_and(|extension| extension == "rego") {
            return;
        }
        let loaded = project::load(&mut state.db, &directory, Some(path), &read, None);
        state.projects.push(loaded);
    }

    /// Reloads every project whose module file changed (with `force`, every
    /// project, re-reading unopened files); whether any input changed.
    fn refresh_projects(state: &mut State, force: bool) -> bool {
        let mut changed = false;
        let read = overlay(&state.documents);
        for index in 0..state.projects.len() {
            let project = state.projects[index].clone();
            if !force && !project.module_changed() {
                continue;
            }
            let root = project.root.clone();
            let single = project.single_file.clone();
            let loaded =
                project::load(&mut state.db, &root, single.as_deref(), &read, Some(&project));
            changed |= loaded.changed;
            state.projects[index] = loaded;
        }
        changed
    }

    /// Reloads the projects that embed `path` (an `@embed`ded file whose
    /// document opened, changed or closed): the loader decodes it again
    /// and sets the inputs that changed. Whether any did.
    fn refresh_embedding(state: &mut State, path: &Path) -> bool {
        let read = overlay(&state.documents);
        let mut changed = false;
        for index in 0..state.projects.len() {
            if !state.projects[index].embeds(path) {
                continue;
            }
            let project = state.projects[index].clone();
            let single = project.single_file.clone();
            let loaded = project::load(
                &mut state.db,
                &project.root,
                single.as_deref(),
                &read,
                Some(&project),
            );
            changed |= loaded.changed;
            state.projects[index] = loaded;
        }
        changed
    }

    /// Sets the text of `path` in every project that has it.
    fn set_text(state: &mut State, path: &Path, text: &str) {
        let sources: Vec<_> = state
            .projects
            .iter()
            .filter_map(|project| {
                project.file_id(path).and_then(|id| project.file(id)).and_then(|file| file.source)
            })
            .collect();
        for source in sources {
            froyo_ide::set_text(&mut state.db, source, text);
        }
    }
}

/// Marks the end of a diagnostics run (however it ends).
struct InFlight<'a> {
    shared: &'a Shared,
    generation: u64,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let _ = self.shared.in_flight.compare_exchange(
            self.generation,
            0,
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
    }
}

fn lock(shared: &Shared) -> MutexGuard<'_, State> {
    // A panic while holding the lock leaves a state that is still whole (each
    // change is one assignment); go on with it.
    shared.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The text of `path`: the open document's, else the file's on disk.
fn read_text(documents: &HashMap<PathBuf, Arc<Document>>, path: &Path) -> Option<String> {
    if let Some(document) = documents.get(path) {
        return Some(document.text.clone());
    }
    froyo_loader::read_file(path).ok()
}

/// The open documents, laid over the disk for loading.
fn overlay(documents: &HashMap<PathBuf, Arc<Document>>) -> froyo_loader::Overlay {
    let mut overlay = froyo_loader::Overlay::new();
    for (path, document) in documents {
        overlay.set(path.clone(), document.text.clone());
    }
    overlay
}

pub fn uri_path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().as_str() != "file" {
        return None;
    }
    uri.to_file_path().map(|path| path.into_owned())
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let utf8 = params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_ref())
            .is_some_and(|encodings| encodings.contains(&PositionEncodingKind::UTF8));
        let encoding = if utf8 { Encoding::Utf8 } else { Encoding::Utf16 };
        #[allow(deprecated)]
        let roots: Vec<PathBuf> = match (&params.workspace_folders, &params.root_uri) {
            (Some(folders), _) if !folders.is_empty() => {
                folders.iter().filter_map(|folder| uri_path(&folder.uri)).collect()
            }
            (_, Some(root)) => uri_path(root).into_iter().collect(),
            _ => Vec::new(),
        };
        {
            let mut state = self.lock();
            state.encoding = encoding;
            state.roots = roots;
        }
        project::write_stdlib();
        let capabilities = ServerCapabilities {
            position_encoding: Some(if utf8 {
                PositionEncodingKind::UTF8
            } else {
                PositionEncodingKind::UTF16
            }),
            text_document_sync: Some(TextDocumentSyncCapability::Options(
                TextDocumentSyncOptions {
                    open_close: Some(true),
                    change: Some(TextDocumentSyncKind::INCREMENTAL),
                    save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                    ..TextDocumentSyncOptions::default()
                },
            )),
            completion_provider: Some(CompletionOptions {
                trigger_characters: Some(vec![
                    ".".into(),
                    "\"".into(),
                    "#".into(),
                    "(".into(),
                    " ".into(),
                ]),
                ..CompletionOptions::default()
            }),
            hover_provider: Some(HoverProviderCapability::Simple(true)),
            definition_provider: Some(OneOf::Left(true)),
            references_provider: Some(OneOf::Left(true)),
            rename_provider: Some(OneOf::Right(RenameOptions {
                prepare_provider: Some(true),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            })),
            document_symbol_provider: Some(OneOf::Left(true)),
            workspace_symbol_provider: Some(OneOf::Left(true)),
            document_formatting_provider: Some(OneOf::Left(true)),
            code_action_provider: Some(CodeActionProviderCapability::Simple(true)),
            semantic_tokens_provider: Some(
                SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
                    legend: convert::semantic_legend(),
                    full: Some(SemanticTokensFullOptions::Bool(true)),
                    range: None,
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
            ),
            inlay_hint_provider: Some(OneOf::Left(true)),
            ..ServerCapabilities::default()
        };
        Ok(InitializeResult {
            capabilities,
            server_info: Some(ServerInfo {
                name: "froyo".into(),
                version: Some(env!("CARGO_PKG_VERSION").into()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        // Load the workspaces the client named, so that their diagnostics
        // and symbols are there before any file is opened.
        let loaded = tokio::task::block_in_place(|| {
            let mut state = self.lock();
            let mut loaded = false;
            for root in state.roots.clone() {
                let Some(module) = project::find_root(&root) else { continue };
                if state
                    .projects
                    .iter()
                    .any(|known| known.single_file.is_none() && known.root == module)
                {
                    continue;
                }
                let read = overlay(&state.documents);
                let project = project::load(&mut state.db, &module, None, &read, None);
                state.projects.push(project);
                loaded = true;
            }
            loaded
        });
        if loaded {
            self.schedule_diagnostics();
        }
        // Poll for changes the client does not report (it may watch no files).
        let shared = Arc::downgrade(&self.shared);
        let backend_client = self.client.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(POLL_INTERVAL).await;
                let Some(shared) = shared.upgrade() else { return };
                // Look at the disk without the lock; reload only what changed.
                let projects = lock(&shared).projects.clone();
                let documents = lock(&shared).documents.keys().cloned().collect::<HashSet<_>>();
                let stale = tokio::task::spawn_blocking(move || {
                    projects.iter().any(|project| project.disk_changed(&documents))
                })
                .await
                .unwrap_or(false);
                let changed = stale
                    && tokio::task::block_in_place(|| {
                        Backend::refresh_projects(&mut lock(&shared), true)
                    });
                if changed {
                    let backend = Backend { client: backend_client.clone(), shared };
                    backend.schedule_diagnostics();
                }
            }
        });
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = uri_path(&params.text_document.uri) else { return };
        tokio::task::block_in_place(|| {
            let mut state = self.lock();
            let text = params.text_document.text;
            let document = Document {
                line_index: LineIndex::new(&text),
                text,
                version: params.text_document.version,
            };
            let text = document.text.clone();
            state.documents.insert(path.clone(), Arc::new(document));
            Backend::ensure_project(&mut state, &path);
            Backend::set_text(&mut state, &path, &text);
            Backend::refresh_embedding(&mut state, &path);
        });
        self.schedule_diagnostics();
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = uri_path(&params.text_document.uri) else { return };
        tokio::task::block_in_place(|| {
            let mut state = self.lock();
            let encoding = state.encoding;
            let Some(document) = state.documents.get(&path) else { return };
            let mut text = document.text.clone();
            let mut index = document.line_index.clone();
            for change in params.content_changes {
                match change.range {
                    Some(range) => {
                        let start = index.offset(&text, convert::line_col(range.start), encoding);
                        let end =
                            index.offset(&text, convert::line_col(range.end), encoding).max(start);
                        text.replace_range(start..end, &change.text);
                    }
                    None => text = change.text,
                }
                index = LineIndex::new(&text);
            }
            let document = Document {
                text: text.clone(),
                version: params.text_document.version,
                line_index: index,
            };
            state.documents.insert(path.clone(), Arc::new(document));
            Backend::set_text(&mut state, &path, &text);
            Backend::refresh_embedding(&mut state, &path);
            if state.projects.iter().any(Project::module_changed) {
                Backend::refresh_projects(&mut state, false);
            }
        });
        self.schedule_diagnostics();
    }

    async fn did_save(&self, _: DidSaveTextDocumentParams) {
        tokio::task::block_in_place(|| Backend::refresh_projects(&mut self.lock(), true));
        self.schedule_diagnostics();
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let Some(path) = uri_path(&params.text_document.uri) else { return };
        tokio::task::block_in_place(|| {
            let mut state = self.lock();
            state.documents.remove(&path);
            state.projects.retain(|project| project.single_file.as_deref() != Some(path.as_path()));
            if let Some(text) = read_text(&state.documents, &path) {
                Backend::set_text(&mut state, &path, &text);
            }
            Backend::refresh_embedding(&mut state, &path);
        });
        self.schedule_diagnostics();
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let position = params.text_document_position;
        self.on_snapshot(move |snapshot| convert::completion(snapshot, &position)).await
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let position = params.text_document_position_params;
        self.on_snapshot(move |snapshot| convert::hover(snapshot, &position)).await
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        self.on_snapshot(move |snapshot| convert::definition(snapshot, &position)).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let position = params.text_document_position;
        let include = params.context.include_declaration;
        self.on_snapshot(move |snapshot| convert::references(snapshot, &position, include)).await
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        self.on_snapshot(move |snapshot| convert::prepare_rename(snapshot, &params)).await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let position = params.text_document_position;
        let new_name = params.new_name;
        self.on_snapshot(move |snapshot| convert::rename(snapshot, &position, &new_name)).await?
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let uri = params.text_document.uri;
        self.on_snapshot(move |snapshot| convert::document_symbols(snapshot, &uri)).await
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let query = params.query;
        self.on_snapshot(move |snapshot| convert::workspace_symbols(snapshot, &query)).await
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let uri = params.text_document.uri;
        self.on_snapshot(move |snapshot| convert::formatting(snapshot, &uri)).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.on_snapshot(move |snapshot| convert::code_actions(snapshot, &params)).await
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let uri = params.text_document.uri;
        self.on_snapshot(move |snapshot| convert::semantic_tokens(snapshot, &uri)).await
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        self.on_snapshot(move |snapshot| convert::inlay_hints(snapshot, &params)).await
    }
}
