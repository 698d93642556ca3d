//! The command line and the editor agree on where every diagnostic is: for
//! each example workspace and a few with planted errors, the primary
//! locations `froyo check --format json` prints and the ranges `froyo lsp`
//! publishes (after it loads the workspace named at `initialize`) are the
//! same, compared as (file, line, column, end line, end column, code) with
//! 1-based lines and character columns.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "support/copy.rs"]
mod copy;
use copy::copy_dir;

type Location = (String, u64, u64, u64, u64, String);

fn froyo() -> &'static str {
    env!("CARGO_BIN_EXE_froyo")
}

/// Where `froyo check --format json` run at `root` puts each diagnostic.
fn cli_locations(root: &Path) -> BTreeSet<Location> {
    let output = Command::new(froyo())
        .args(["check", "--format", "json", "--color", "never"])
        .current_dir(root)
        .output()
        .expect("run froyo check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let value: Value = serde_json::from_str(line).expect("a JSON diagnostic");
            let number = |key: &str| value[key].as_u64().unwrap_or(0);
            (
                value["file"].as_str().unwrap_or("").to_string(),
                number("line"),
                number("column"),
                number("end_line"),
                number("end_column"),
                value["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// A `froyo lsp` child and the messages it sends.
struct Server {
    child: std::process::Child,
    stdin: std::process::ChildStdin,
    incoming: mpsc::Receiver<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(froyo())
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start froyo lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, incoming) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            loop {
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(value) = line.strip_prefix("Content-Length:") {
                        length = value.trim().parse().unwrap_or(0);
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
        });
        Server { child, stdin, incoming }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.stdin, "Content-Length: {}\r\n\r\n{body}", body.len()).expect("write");
        self.stdin.flush().expect("flush");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The ranges `froyo lsp` publishes for the workspace at `root`, once it has
/// published for every file in `expected` and then been quiet for a while.
fn lsp_locations(root: &Path, expected: &BTreeSet<Location>) -> BTreeSet<Location> {
    let mut server = Server::start();
    let root_uri = format!("file://{}", root.display());
    server.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "processId": null, "rootUri": root_uri, "capabilities": {}}}));
    // `initialized` follows the answer to `initialize`.
    while let Ok(message) = server.incoming.recv_timeout(Duration::from_secs(60)) {
        if message["id"] == 1 {
            break;
        }
    }
    server.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let files: BTreeSet<String> = expected.iter().map(|location| location.0.clone()).collect();
    let mut published: std::collections::BTreeMap<String, Vec<Location>> = Default::default();
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut last = Instant::now();
    loop {
        let all_files = files.iter().all(|file| published.contains_key(file));
        let quiet = if all_files { Duration::from_secs(2) } else { Duration::from_secs(8) };
        if (all_files || files.is_empty()) && last.elapsed() >= quiet {
            break;
        }
        if Instant::now() >= deadline {
            break;
        }
        let Ok(message) = server.incoming.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        if message["method"] != "textDocument/publishDiagnostics" {
            continue;
        }
        last = Instant::now();
        let uri = message["params"]["uri"].as_str().unwrap_or("");
        let path = uri.strip_prefix("file://").unwrap_or(uri);
        let file = Path::new(path)
            .strip_prefix(root)
            .map(|relative| relative.display().to_string())
            .unwrap_or_else(|_| path.to_string());
        let diagnostics = message["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        let locations = diagnostics
            .iter()
            .map(|diagnostic| {
                let at =
                    |end: &str, key: &str| diagnostic["range"][end][key].as_u64().unwrap_or(0) + 1;
                (
                    file.clone(),
                    at("start", "line"),
                    at("start", "character"),
                    at("end", "line"),
                    at("end", "character"),
                    diagnostic["code"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        published.insert(file, locations);
    }
    server.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    server.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    published.into_values().flatten().collect()
}

/// Workspaces with errors the examples do not have: a required field left
/// out (CUE, and Starlark), a schema value and an unknown dependency with a
/// fix, and a policy finding.
fn planted(directory: &Path) -> Vec<PathBuf> {
    let module = "module: \"example.com/site\"\n";
    let header = "package site\n\nimport \"froyo.dev/linux\"\n\nhosts: local: {transport: \"local\", labels: role: \"web\"}\n\n";
    let workspaces: [(&str, &[(&str, String)]); 4] = [
        (
            "missing-cue",
            &[(
                "site.cue",
                format!(
                    "{header}resources: {{\n\tf: linux.#File & {{on: role: \"web\"}}\n\tg: linux.#Directory & {{\n\t\ton: role: \"web\"\n\t\tmode: \"0755\"\n\t}}\n}}\n"
                ),
            )],
        ),
        (
            "missing-starlark",
            &[
                ("site.cue", header.to_string()),
                (
                    "more.star",
                    "linux.directory(\"d\", on = {\"role\": \"web\"}, mode = \"0755\")\n"
                        .to_string(),
                ),
            ],
        ),
        (
            "unknown-dependency",
            &[(
                "site.cue",
                format!(
                    "{header}resources: dir: linux.#Directory & {{on: role: \"web\", path: \"/srv\"}}\nresources: f: linux.#File & {{\n\ton: role: \"web\"\n\tpath: \"/srv/f\"\n\trequire: [\"dri\"]\n}}\n"
                ),
            )],
        ),
        (
            "policy",
            &[(
                "site.cue",
                format!(
                    "{header}resources: f: linux.#File & {{\n\ton: role: \"web\"\n\tpath: \"/srv/f\"\n\tmode: \"0666\"\n}}\n"
                ),
            )],
        ),
    ];
    let mut roots = Vec::new();
    for (name, files) in workspaces {
        let root = directory.join(name);
        std::fs::create_dir_all(root.join("cue.mod")).expect("cue.mod");
        std::fs::write(root.join("cue.mod/module.cue"), module).expect("module.cue");
        for (file, text) in files {
            std::fs::write(root.join(file), text).expect("write");
        }
        roots.push(root);
    }
    roots
}

#[test]
fn check_and_the_language_server_report_the_same_locations() {
    let work = tempfile::tempdir().expect("temporary directory");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut roots = Vec::new();
    let mut pending = vec![examples.clone()];
    while let Some(directory) = pending.pop() {
        if directory.join("cue.mod").is_dir() {
            let relative = directory.strip_prefix(&examples).expect("under examples");
            let copy = work.path().join("examples").join(relative);
            copy_dir(&directory, &copy);
            roots.push(copy);
            continue;
        }
        for entry in std::fs::read_dir(&directory).into_iter().flatten().flatten() {
            if entry.path().is_dir() {
                pending.push(entry.path());
            }
        }
    }
    roots.sort();
    assert!(roots.len() >= 5, "examples found: {roots:?}");
    roots.extend(planted(&work.path().join("planted")));
    let mut compared = 0;
    for root in roots {
        let cli = cli_locations(&root);
        let lsp = lsp_locations(&root, &cli);
        assert_eq!(
            cli,
            lsp,
            "froyo check (left) and froyo lsp (right) differ for {}",
            root.display()
        );
        compared += cli.len();
    }
    assert!(compared >= 10, "only {compared} diagnostics compared");
}
