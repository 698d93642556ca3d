//! A scripted LSP client for in-process protocol tests: the server runs on
//! an in-memory duplex pipe with real files in a temporary directory.
//!
//! Fixtures are one string: files introduced by `//- path` lines, `$0`
//! marking the cursor (removed from the text). URIs in answers are shown
//! relative to the fixture's root (`file:///ROOT/…`) for snapshots.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{
    AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream, ReadHalf, WriteHalf,
};

pub struct Fixture {
    pub dir: tempfile::TempDir,
    /// The cursor: file (relative path) and byte offset.
    pub cursor: Option<(String, usize)>,
    pub files: Vec<(String, String)>,
}

impl Fixture {
    pub fn new(spec: &str) -> Fixture {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut files: Vec<(String, String)> = Vec::new();
        for line in spec.lines() {
            if let Some(path) = line.strip_prefix("//- ") {
                files.push((path.trim().to_string(), String::new()));
            } else if let Some((_, text)) = files.last_mut() {
                text.push_str(line);
                text.push('\n');
            }
        }
        let mut cursor = None;
        for (path, text) in &mut files {
            if let Some(offset) = text.find("$0") {
                text.replace_range(offset..offset + 2, "");
                cursor = Some((path.clone(), offset));
            }
            let full = dir.path().join(&*path);
            std::fs::create_dir_all(full.parent().expect("parent")).expect("create dirs");
            std::fs::write(&full, &*text).expect("write fixture file");
        }
        Fixture { dir, cursor, files }
    }

    pub fn root(&self) -> PathBuf {
        self.dir.path().canonicalize().expect("canonical root")
    }

    pub fn uri(&self, path: &str) -> String {
        format!("file://{}", self.root().join(path).display())
    }

    pub fn text(&self, path: &str) -> String {
        self.files
            .iter()
            .find(|(name, _)| name == path)
            .map(|(_, text)| text.clone())
            .expect("fixture file")
    }

    /// The LSP position (UTF-16) of the cursor.
    pub fn cursor_position(&self) -> (String, Value) {
        let (path, offset) = self.cursor.clone().expect("fixture has a $0 cursor");
        let text = self.text(&path);
        (path, position(&text, offset))
    }

    /// Replaces every occurrence of the root's URI and path by `ROOT`.
    pub fn redact(&self, value: &Value) -> Value {
        let text = value.to_string();
        let root = self.root().display().to_string();
        let stdlib = froyo_lsp::project::stdlib_directory().display().to_string();
        serde_json::from_str(&text.replace(&root, "/ROOT").replace(&stdlib, "/STDLIB"))
            .expect("json")
    }
}

/// The UTF-16 position of byte `offset` of `text`.
pub fn position(text: &str, offset: usize) -> Value {
    let before = &text[..offset];
    let line = before.matches('\n').count();
    let line_start = before.rfind('\n').map_or(0, |index| index + 1);
    let character: usize = before[line_start..].chars().map(char::len_utf16).sum();
    json!({"line": line, "character": character})
}

pub struct Client {
    pub writer: WriteHalf<DuplexStream>,
    incoming: tokio::sync::mpsc::UnboundedReceiver<Value>,
    pending: VecDeque<Value>,
    next_id: i64,
    pub server: tokio::task::JoinHandle<()>,
}

impl Client {
    /// Starts a server and initializes it with `root` (or none) and the
    /// client's capabilities.
    pub async fn start(root: Option<&Path>, capabilities: Value) -> (Client, Value) {
        let (client_side, server_side) = tokio::io::duplex(1 << 20);
        let (server_read, server_write) = tokio::io::split(server_side);
        let server = tokio::spawn(froyo_lsp::serve(server_read, server_write));
        let (client_read, writer) = tokio::io::split(client_side);
        let (sender, incoming) = tokio::sync::mpsc::unbounded_channel();
        tokio::spawn(read_messages(client_read, sender));
        let mut client = Client { writer, incoming, pending: VecDeque::new(), next_id: 1, server };
        let root_uri = root.map(|root| format!("file://{}", root.display()));
        let result = client
            .request(
                "initialize",
                json!({"processId": null, "rootUri": root_uri, "capabilities": capabilities}),
            )
            .await;
        client.notify("initialized", json!({})).await;
        (client, result)
    }

    pub async fn send(&mut self, message: Value) {
        let body = message.to_string();
        let frame = format!("Content-Length: {}\r\n\r\n{body}", body.len());
        self.writer.write_all(frame.as_bytes()).await.expect("write to server");
    }

    pub async fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params})).await;
    }

    /// Sends a request and waits for its response; returns its `result`
    /// (or the whole response when it is an error).
    pub async fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})).await;
        loop {
            let message = self.next_message().await;
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return match message.get("result") {
                    Some(result) => result.clone(),
                    None => message,
                };
            }
            self.pending.push_back(message);
        }
    }

    /// Waits for the response to request `id` (sent with [`Client::send`]).
    pub async fn response(&mut self, id: i64) -> Value {
        loop {
            let message = self.next_message().await;
            if message.get("id") == Some(&json!(id)) && message.get("method").is_none() {
                return message;
            }
            self.pending.push_back(message);
        }
    }

    /// The messages received so far that no request has claimed.
    pub fn unclaimed(&mut self) -> Vec<Value> {
        self.pending.drain(..).collect()
    }

    async fn next_message(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(60), self.incoming.recv())
            .await
            .expect("the server answers within 60 s")
            .expect("the server is running")
    }

    /// Waits for diagnostics published for `uri` that satisfy `accept`.
    pub async fn diagnostics_until(
        &mut self,
        uri: &str,
        accept: impl Fn(&Vec<Value>) -> bool,
    ) -> Vec<Value> {
        let mut kept = VecDeque::new();
        let found = loop {
            let message = match self.pending.pop_front() {
                Some(message) => message,
                None => self.next_message().await,
            };
            if message.get("method") == Some(&json!("textDocument/publishDiagnostics"))
                && message["params"]["uri"] == json!(uri)
            {
                let diagnostics =
                    message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
                if accept(&diagnostics) {
                    break diagnostics;
                }
                continue;
            }
            kept.push_back(message);
        };
        kept.extend(self.pending.drain(..));
        self.pending = kept;
        found
    }

    /// The diagnostics published for `uri` among the messages received but
    /// not yet consumed: (version, diagnostics).
    pub fn published(&mut self, uri: &str) -> Vec<(Option<i64>, Vec<Value>)> {
        let mut out = Vec::new();
        while let Ok(message) = self.incoming.try_recv() {
            self.pending.push_back(message);
        }
        for message in &self.pending {
            if message.get("method") == Some(&json!("textDocument/publishDiagnostics"))
                && message["params"]["uri"] == json!(uri)
            {
                let diagnostics =
                    message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
                out.push((message["params"]["version"].as_i64(), diagnostics));
            }
        }
        out
    }

    pub async fn open(&mut self, fixture: &Fixture, path: &str) {
        let language = if path.ends_with(".star") { "starlark" } else { "cue" };
        let params = json!({"textDocument": {"uri": fixture.uri(path), "languageId": language, "version": 1, "text": fixture.text(path)}});
        self.notify("textDocument/didOpen", params).await;
    }

    pub async fn change(&mut self, uri: &str, version: i32, text: &str) {
        let params = json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]});
        self.notify("textDocument/didChange", params).await;
    }

    pub async fn shutdown(mut self) {
        let _ = self.request("shutdown", json!(null)).await;
        self.notify("exit", json!(null)).await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.server).await;
    }
}

async fn read_messages(
    reader: ReadHalf<DuplexStream>,
    sender: tokio::sync::mpsc::UnboundedSender<Value>,
) {
    let mut reader = BufReader::new(reader);
    loop {
        let mut length = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse::<usize>().ok();
            }
        }
        let Some(length) = length else { return };
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let Ok(message) = serde_json::from_slice(&body) else { return };
        if sender.send(message).is_err() {
            return;
        }
    }
}
