//! The hostile-input corpus: each input, as a workspace file, goes through
//! `froyo check`, `froyo export` and `froyo fmt --check` (CUE) and the
//! language server, each in its own process under resource limits (address
//! space 4 GiB, 120 s of CPU, and a wall-clock deadline). Each must end with
//! an answer — a diagnostic and exit 1 or 2, or success — never a crash, a
//! signal or a hang; the language server must still answer `shutdown` after
//! the file was opened.
//!
//! The inputs are the attacks of issue 13 and others of their kind; they are
//! generated here because several are large.

use std::io::{Read as _, Write as _};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long one process may take, wall clock.
const DEADLINE: Duration = Duration::from_secs(120);

fn corpus() -> Vec<(&'static str, Vec<u8>)> {
    let disjunctions: Vec<String> =
        (0..20).map(|i| format!("({{x{i}: 1}} | {{y{i}: 2}})")).collect();
    vec![
        ("repeat_bomb.cue", b"a: \"x\" * 16777216\nb: a * 16777216\n".to_vec()),
        ("repeat_sum.cue", b"a: \"x\" * 100000\nb: a * 100000\n".to_vec()),
        (
            "deep_structs.cue",
            format!("a: {}1{}\n", "{b: ".repeat(100_000), "}".repeat(100_000)).into_bytes(),
        ),
        (
            "deep_lists.cue",
            format!("a: {}1{}\n", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
        ),
        ("disjunctions.cue", format!("a: {}\n", disjunctions.join(" & ")).into_bytes()),
        ("regex.cue", b"a: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!\" & =~\"^(a+)+$\"\n".to_vec()),
        ("giant_number.cue", format!("a: {}\nb: a * a * a * a\n", "9".repeat(200_000)).into_bytes()),
        ("exponent.cue", b"a: 1e1000000000\nb: a * a\n".to_vec()),
        ("cycle.cue", b"a: b\nb: a\nc: {d: c}\n".to_vec()),
        ("not_utf8.cue", b"a: \"\xff\xfe\"\n\xc0\xaf: 1\n".to_vec()),
        ("nul.cue", b"a: 1\0\0\0\nb: \"\0\"\n".to_vec()),
        ("unterminated.cue", b"a: \"\"\"\nb: {\n".to_vec()),
        (
            "deep_list.star",
            format!("x = {}{}\n", "[".repeat(20_000), "]".repeat(20_000)).into_bytes(),
        ),
        ("unary.star", format!("x = {}1\n", "-".repeat(20_000)).into_bytes()),
        ("sum.star", format!("x = {}1\n", "1+".repeat(20_000)).into_bytes()),
        ("not.star", format!("x = {}True\n", "not ".repeat(20_000)).into_bytes()),
        (
            "many_resources.star",
            b"for i in range(150000):\n    linux.file(\"f%d\" % i, path = \"/tmp/f\", content = \"\")\n"
                .to_vec(),
        ),
        ("endless.star", b"def f():\n    for i in range(100000000):\n        pass\nf()\n".to_vec()),
        ("recursion.star", b"def f(n):\n    return f(n + 1)\nf(0)\n".to_vec()),
        ("string_growth.star", b"s = \"x\"\nfor i in range(40):\n    s = s + s\n".to_vec()),
        ("list_repeat.star", b"x = [0] * 1000000000\n".to_vec()),
        ("string_repeat.star", b"x = \"x\" * 2000000000\n".to_vec()),
        ("repeat_assign.star", b"x = [0]\nx *= 1000000000\n".to_vec()),
        (
            "comprehension.star",
            b"x = [[0] * 1000 for a in range(1000000) for b in range(1000000)]\n".to_vec(),
        ),
    ]
}

/// Runs `froyo args…` in `directory` under the limits; the exit code, or a
/// description of how it ended otherwise.
fn limited(directory: &Path, args: &[&str], stdin: Stdio) -> Child {
    // util-linux's prlimit sets the limits and execs froyo.
    let mut command = Command::new("prlimit");
    command
        .args(["--as=4294967296", "--cpu=120", "--"])
        .arg(env!("CARGO_BIN_EXE_froyo"))
        .args(args)
        .current_dir(directory)
        .env("NO_COLOR", "1")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command.spawn().unwrap()
}

/// Waits for `child` until the deadline; its exit code and output.
fn finish(mut child: Child, what: &str) -> (i32, String) {
    // Both pipes at once: a child blocked on a full stderr never closes stdout.
    let drain = |mut pipe: Box<dyn std::io::Read + Send>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = pipe.read_to_end(&mut text);
            text
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("{what}: still running after {DEADLINE:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut bytes = stdout.join().unwrap();
    bytes.extend(stderr.join().unwrap());
    let output = String::from_utf8_lossy(&bytes).into_owned();
    let code = status
        .code()
        .unwrap_or_else(|| panic!("{what}: ended by a signal ({status}):\n{}", tail(&output)));
    assert!(!output.contains("internal error"), "{what}: {}", tail(&output));
    (code, output)
}

fn tail(text: &str) -> &str {
    &text[text.len().saturating_sub(2000)..]
}

/// A workspace holding the local host and `name`.
fn workspace(name: &str, contents: &[u8]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(directory.path().join("cue.mod")).unwrap();
    std::fs::write(directory.path().join("cue.mod/module.cue"), "module: \"example.com/h\"\n")
        .unwrap();
    std::fs::write(
        directory.path().join("hosts.cue"),
        "package site\n\nhosts: localhost: transport: \"local\"\n",
    )
    .unwrap();
    let mut text = Vec::new();
    if name.ends_with(".cue") {
        text.extend_from_slice(b"package site\n\n");
    }
    text.extend_from_slice(contents);
    std::fs::write(directory.path().join(name), text).unwrap();
    directory
}

fn frame(body: &str) -> Vec<u8> {
    format!("Content-Length: {}\r\n\r\n{body}", body.len()).into_bytes()
}

/// Reads LSP frames from `output`, sending each message's JSON to `messages`.
fn read_frames(
    mut output: impl std::io::Read,
    messages: std::sync::mpsc::Sender<serde_json::Value>,
) {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 65536];
    loop {
        while let Some(end) = buffer.windows(4).position(|window| window == b"\r\n\r\n") {
            let headers = String::from_utf8_lossy(&buffer[..end]).to_string();
            let length: usize = headers
                .lines()
                .find_map(|line| line.strip_prefix("Content-Length: "))
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            if buffer.len() < end + 4 + length {
                break;
            }
            let body: Vec<u8> = buffer.drain(..end + 4 + length).skip(end + 4).collect();
            if let Ok(value) = serde_json::from_slice(&body)
                && messages.send(value).is_err()
            {
                return;
            }
        }
        match output.read(&mut chunk) {
            Ok(0) | Err(_) => return,
            Ok(read) => buffer.extend_from_slice(&chunk[..read]),
        }
    }
}

/// Opens `name` in `froyo lsp`, asks for its symbols and asks the server to
/// shut down: it must answer each request, then exit.
fn language_server(directory: &Path, name: &str, contents: &[u8]) {
    let mut child = limited(directory, &["lsp"], Stdio::piped());
    let (sender, messages) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || read_frames(stdout, sender));
    let mut input = child.stdin.take().unwrap();
    let mut send = |message: serde_json::Value| {
        let _ = input.write_all(&frame(&message.to_string()));
    };
    let deadline = Instant::now() + DEADLINE;
    let answer = |id: i64| -> serde_json::Value {
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match messages.recv_timeout(left) {
                Ok(message) if message["id"] == id && message.get("method").is_none() => {
                    return message;
                }
                Ok(_) => {}
                Err(error) => panic!("lsp {name}: no answer to request {id}: {error}"),
            }
        }
    };
    let root = format!("file://{}", directory.display());
    let uri = format!("{root}/{name}");
    let language = if name.ends_with(".star") { "starlark" } else { "cue" };
    send(
        serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": null, "rootUri": root, "capabilities": {}}}),
    );
    answer(1);
    send(serde_json::json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    send(
        serde_json::json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": String::from_utf8_lossy(contents)}}}),
    );
    send(
        serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "textDocument/documentSymbol", "params": {"textDocument": {"uri": uri}}}),
    );
    answer(2);
    send(serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "shutdown"}));
    assert_eq!(answer(3)["result"], serde_json::Value::Null, "lsp {name}: shutdown");
    send(serde_json::json!({"jsonrpc": "2.0", "method": "exit"}));
    drop(input);
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.code().is_some(), "lsp {name}: ended by a signal ({status})");
            return;
        }
        assert!(start.elapsed() < Duration::from_secs(30), "lsp {name}: did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn every_hostile_input_gets_an_answer_not_a_crash() {
    for (name, contents) in corpus() {
        let directory = workspace(name, &contents);
        let path = directory.path();
        let (code, output) =
            finish(limited(path, &["check"], Stdio::null()), &format!("check {name}"));
        assert!(matches!(code, 0..=2), "check {name}: exit {code}:\n{}", tail(&output));
        if name.ends_with(".cue") {
            for args in [&["export", name][..], &["fmt", "--check", name]] {
                let (code, output) =
                    finish(limited(path, args, Stdio::null()), &format!("{args:?} {name}"));
                assert!(matches!(code, 0..=2), "{args:?} {name}: exit {code}:\n{}", tail(&output));
            }
        }
        language_server(path, name, &contents);
    }
}
