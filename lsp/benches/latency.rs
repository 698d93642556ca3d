//! Latency of `froyo lsp` over stdio, with a scripted client, on a generated
//! workspace (`bench/lsp-latency` generates it and builds the binary):
//! initial load (initialize + open until a hover needing the compiled IR
//! answers), diagnostics after one-character edits (an error appears, then
//! clears: the time until the matching `publishDiagnostics`), completion of
//! schema fields and of resource ids, and the server's peak resident memory.
//!
//! Usage: FROYO_BIN=target/release/froyo FROYO_WORKSPACE=/tmp/ws cargo bench -p froyo-lsp --bench latency

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

struct Server {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    incoming: mpsc::Receiver<Value>,
    next_id: i64,
}

impl Server {
    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let message =
                self.incoming.recv_timeout(Duration::from_secs(120)).expect("server answers");
            if message["id"] == json!(id) && message.get("method").is_none() {
                return message["result"].clone();
            }
        }
    }

    /// Waits for diagnostics of `uri` that are empty (`false`) or not (`true`).
    fn diagnostics(&mut self, uri: &str, non_empty: bool) {
        loop {
            let message =
                self.incoming.recv_timeout(Duration::from_secs(120)).expect("diagnostics arrive");
            if message["method"] == "textDocument/publishDiagnostics"
                && message["params"]["uri"] == uri
                && message["params"]["diagnostics"]
                    .as_array()
                    .is_some_and(|d| d.is_empty() != non_empty)
            {
                return;
            }
        }
    }
}

fn read_frames(stdout: std::process::ChildStdout, sender: mpsc::Sender<Value>) {
    let mut reader = BufReader::new(stdout);
    loop {
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some(value) = line.strip_prefix("Content-Length: ") {
                length = value.parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        if let Ok(message) = serde_json::from_slice(&body)
            && sender.send(message).is_err()
        {
            return;
        }
    }
}

/// The LSP line and character (UTF-16; the generated files are ASCII) of `offset`.
fn line_character(text: &str, offset: usize) -> (usize, usize) {
    let line = text[..offset].matches('\n').count();
    (line, offset - text[..offset].rfind('\n').map_or(0, |i| i + 1))
}

fn percentile(samples: &mut [Duration], fraction: f64) -> Duration {
    samples.sort();
    let index = ((samples.len() as f64 - 1.0) * fraction).round() as usize;
    samples[index.min(samples.len() - 1)]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}

fn main() {
    let (Some(binary), Some(workspace)) =
        (std::env::var_os("FROYO_BIN"), std::env::var_os("FROYO_WORKSPACE"))
    else {
        eprintln!("lsp latency bench: set FROYO_BIN and FROYO_WORKSPACE (bench/lsp-latency does)");
        return;
    };
    let root = std::path::PathBuf::from(workspace).canonicalize().expect("workspace");
    let mut child = Command::new(binary)
        .arg("lsp")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start froyo lsp");
    let stdin = child.stdin.take().expect("stdin");
    let stdout = child.stdout.take().expect("stdout");
    let (sender, incoming) = mpsc::channel();
    std::thread::spawn(move || read_frames(stdout, sender));
    let mut server = Server { child, stdin, incoming, next_id: 1 };

    let path = root.join("app000.cue");
    let uri = format!("file://{}", path.display());
    let text = std::fs::read_to_string(&path).expect("app000.cue");
    let started = Instant::now();
    server.request("initialize", json!({"processId": null, "rootUri": format!("file://{}", root.display()), "capabilities": {}}));
    server.notify("initialized", json!({}));
    server.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "cue", "version": 1, "text": text}}),
    );
    // A hover on the first resource needs the compiled IR: the whole workspace loaded.
    let label = text.find("\"c0-0\"").expect("first resource") + 1;
    let line = text[..label].matches('\n').count();
    let character = label - text[..label].rfind('\n').map_or(0, |i| i + 1);
    let hover = server.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}),
    );
    let load = started.elapsed();
    assert!(hover.to_string().contains("Evaluated properties"), "the workspace compiled: {hover}");

    // One-character edits, each giving a text never seen before (so that the
    // edited file's resources are validated again, as when typing): first a
    // `require` of the first file gets an unknown id (`["c0-0x"]`), then
    // characters are typed into a path, one at a time; each edit publishes
    // the file's diagnostics (the unknown id stays).
    let anchor = text.find("require: [\"c0-0\"]").expect("a require") + "require: [\"c0-0".len();
    let (line, character) = line_character(&text, anchor);
    let insert = json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}, "text": "x"});
    server.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [insert]}),
    );
    server.diagnostics(&uri, true);
    let path_at = text.find("/d0\"").expect("a path") + "/d0".len();
    let (line, mut character) = line_character(&text, path_at);
    let mut edits = Vec::new();
    for version in 3..43 {
        let letter = char::from(b'a' + (version % 26) as u8).to_string();
        let change = json!({"range": {"start": {"line": line, "character": character}, "end": {"line": line, "character": character}}, "text": letter});
        character += 1;
        let before = Instant::now();
        server.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [change]}),
        );
        server.diagnostics(&uri, true);
        edits.push(before.elapsed());
    }

    // Completion: fields of a schema (label position in a resource) and resource ids.
    let field_at =
        text.find("linux.#Package & {").expect("a package resource") + "linux.#Package & {".len();
    let ids_at = anchor - "c0-0".len();
    let text = text.replacen("require: [\"c0-0\"]", "require: [\"c0-0x\"]", 1);
    let mut fields = Vec::new();
    let mut ids = Vec::new();
    for _ in 0..30 {
        for (offset, samples) in [(field_at, &mut fields), (ids_at, &mut ids)] {
            let line = text[..offset].matches('\n').count();
            let character = offset - text[..offset].rfind('\n').map_or(0, |i| i + 1);
            let before = Instant::now();
            let result = server.request("textDocument/completion", json!({"textDocument": {"uri": uri}, "position": {"line": line, "character": character}}));
            samples.push(before.elapsed());
            assert!(
                result["items"].as_array().is_some_and(|items| !items.is_empty()),
                "completion answered: {result}"
            );
        }
    }
    let status =
        std::fs::read_to_string(format!("/proc/{}/status", server.child.id())).unwrap_or_default();
    let peak =
        status.lines().find(|line| line.starts_with("VmHWM:")).unwrap_or("VmHWM: ?").to_string();
    server.request("shutdown", json!(null));
    server.notify("exit", json!(null));
    let _ = server.child.wait();

    println!("initial load (initialize + open until a hover needing the IR answers): {}", ms(load));
    println!(
        "diagnostics after a one-character edit ({} edits): p50 {}, p95 {}",
        edits.len(),
        ms(percentile(&mut edits, 0.5)),
        ms(percentile(&mut edits, 0.95))
    );
    println!(
        "completion of schema fields (30): p50 {}, p95 {}",
        ms(percentile(&mut fields, 0.5)),
        ms(percentile(&mut fields, 0.95))
    );
    println!(
        "completion of resource ids (30): p50 {}, p95 {}",
        ms(percentile(&mut ids, 0.5)),
        ms(percentile(&mut ids, 0.95))
    );
    println!("peak resident memory of the server: {}", peak.trim_start_matches("VmHWM:").trim());
}
