//! In-process protocol tests: a scripted client talks LSP to the server
//! over an in-memory pipe, on real files in a temporary directory, and the
//! answers are compared with snapshots (`cargo insta review` to update).

mod support;

use serde_json::{Value, json};
use support::{Client, Fixture};

const WORKSPACE: &str = r#"
//- cue.mod/module.cue
module: "example.com/site"
//- hosts.cue
package site

hosts: web1: {address: "10.0.0.1", labels: role: "web"}
hosts: db1: {address: "10.0.0.2", labels: {role: "db", zone: "eu"}}
//- dirs.cue
package site

import "froyo.dev/linux"

resources: dir: linux.#Directory & {on: role: "web", path: "/srv/site"}
//- site.cue
package site

import "froyo.dev/linux"

root: "/srv/site"

resources: {
	conf: linux.#File & {
		on: role: "web"
		path:    "\(root)/conf"
		content: "x"
		require: ["dir"]
	}
}
//- extra.star
linux.file("motd", on = {"role": "web"}, path = "/etc/motd", content = "hi", require = ["dir"])
"#;

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

fn codes(diagnostics: &[Value]) -> Vec<String> {
    diagnostics
        .iter()
        .map(|d| {
            format!(
                "{} {}",
                d["code"].as_str().unwrap_or(""),
                d["message"].as_str().unwrap_or("").lines().next().unwrap_or("")
            )
        })
        .collect()
}

async fn start(fixture: &Fixture) -> Client {
    let (client, _) = Client::start(Some(&fixture.root()), json!({})).await;
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn diagnostics_follow_edits_across_files_and_clear() {
    let fixture = Fixture::new(WORKSPACE);
    let mut client = start(&fixture).await;
    client.open(&fixture, "dirs.cue").await;
    let site = fixture.uri("site.cue");
    let star = fixture.uri("extra.star");
    let dirs = fixture.uri("dirs.cue");
    // Rename the directory: the `require` in another CUE file and in Starlark break.
    let renamed = fixture.text("dirs.cue").replace("resources: dir:", "resources: rootdir:");
    client.change(&dirs, 2, &renamed).await;
    let in_site = client.diagnostics_until(&site, |d| !d.is_empty()).await;
    insta::assert_snapshot!("cross_file_site", pretty(&fixture.redact(&json!(in_site))));
    let in_star = client.diagnostics_until(&star, |d| !d.is_empty()).await;
    assert_eq!(codes(&in_star).len(), 1, "{in_star:?}");
    assert!(codes(&in_star)[0].starts_with("E0303"), "{in_star:?}");
    // Back as it was: empty lists clear both files.
    client.change(&dirs, 3, &fixture.text("dirs.cue")).await;
    client.diagnostics_until(&site, Vec::is_empty).await;
    client.diagnostics_until(&star, Vec::is_empty).await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_file_keeps_the_server_and_other_results() {
    let fixture = Fixture::new(WORKSPACE);
    let mut client = start(&fixture).await;
    client.open(&fixture, "site.cue").await;
    client.open(&fixture, "hosts.cue").await;
    let site = fixture.uri("site.cue");
    let hosts = fixture.uri("hosts.cue");
    // A wrong enum value in hosts.cue, and site.cue broken mid-typing.
    client.change(&hosts, 2, "package site\n\nhosts: web1: {address: \"10.0.0.1\", transport: \"telnet\", labels: role: \"web\"}\n").await;
    let text = fixture.text("site.cue");
    for (version, cut) in [(2, 40), (3, 60), (4, 90)] {
        client.change(&site, version, &text[..cut]).await;
    }
    let broken = client.diagnostics_until(&site, |d| !d.is_empty()).await;
    assert!(codes(&broken).iter().all(|code| code.starts_with("E0")), "{broken:?}");
    // The server still answers.
    let symbols = client
        .request("textDocument/documentSymbol", json!({"textDocument": {"uri": hosts}}))
        .await;
    assert_eq!(symbols.as_array().map(Vec::len), Some(1), "{symbols}");
    client.change(&site, 5, &text).await;
    let in_hosts = client.diagnostics_until(&hosts, |d| !d.is_empty()).await;
    assert!(
        codes(&in_hosts).iter().any(|code| code.contains("telnet") || code.starts_with("E02")),
        "{in_hosts:?}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utf8_is_negotiated_when_offered_and_utf16_otherwise() {
    let spec = "//- cue.mod/module.cue\nmodule: \"example.com/x\"\n//- a.cue\npackage x\n\nmotd: \"héllo 😀\" & 5\n";
    for (offered, expected_start, expected_end) in
        [(json!(["utf-8", "utf-16"]), 6, 19), (json!(["utf-16"]), 6, 16), (json!(null), 6, 16)]
    {
        let fixture = Fixture::new(spec);
        let capabilities = json!({"general": {"positionEncodings": offered}});
        let (mut client, result) = Client::start(Some(&fixture.root()), capabilities).await;
        let encoding = result["capabilities"]["positionEncoding"].clone();
        client.open(&fixture, "a.cue").await;
        let diagnostics = client.diagnostics_until(&fixture.uri("a.cue"), |d| !d.is_empty()).await;
        let range = &diagnostics[0]["range"];
        assert_eq!(
            (range["start"]["character"].as_u64(), range["end"]["character"].as_u64()),
            (Some(expected_start), Some(expected_end)),
            "{encoding} {diagnostics:?}"
        );
        assert_eq!(
            encoding,
            if offered.to_string().contains("utf-8") { json!("utf-8") } else { json!("utf-16") }
        );
        client.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn single_file_mode_without_root_or_module() {
    let fixture = Fixture::new(
        "//- loose/a.cue\npackage a\n\nimport \"froyo.dev/linux\"\n\nresources: f: linux.#File & {path: \"relative\"}\n",
    );
    let (mut client, result) = Client::start(None, json!({})).await;
    assert!(result["capabilities"]["completionProvider"].is_object(), "{result}");
    client.open(&fixture, "loose/a.cue").await;
    let diagnostics =
        client.diagnostics_until(&fixture.uri("loose/a.cue"), |d| !d.is_empty()).await;
    insta::assert_snapshot!("single_file", pretty(&fixture.redact(&json!(diagnostics))));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn module_file_changes_are_noticed_without_file_watching() {
    let spec = "//- cue.mod/module.cue\nmodule: \"example.com/old\"\n//- lib/lib.cue\npackage lib\n\nport: 8080\n//- a.cue\npackage a\n\nimport \"example.com/new/lib\"\n\nport: lib.port\n";
    let fixture = Fixture::new(spec);
    let mut client = start(&fixture).await;
    client.open(&fixture, "a.cue").await;
    let a = fixture.uri("a.cue");
    client.diagnostics_until(&a, |d| !d.is_empty()).await;
    std::fs::write(fixture.root().join("cue.mod/module.cue"), "module: \"example.com/new\"\n")
        .expect("write module.cue");
    // Any edit (or the poll) notices the new module path.
    client.change(&a, 2, &format!("{}\n", fixture.text("a.cue"))).await;
    client.diagnostics_until(&a, Vec::is_empty).await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_exits_when_its_input_closes() {
    let fixture = Fixture::new(WORKSPACE);
    let client = start(&fixture).await;
    let support::Client { mut writer, server, .. } = client;
    tokio::io::AsyncWriteExt::shutdown(&mut writer).await.expect("close the server's input");
    tokio::time::timeout(std::time::Duration::from_secs(10), server)
        .await
        .expect("server ends")
        .expect("no panic");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rapid_edits_end_with_the_latest_versions_diagnostics() {
    let fixture = Fixture::new(WORKSPACE);
    let mut client = start(&fixture).await;
    client.open(&fixture, "site.cue").await;
    let site = fixture.uri("site.cue");
    let text = fixture.text("site.cue");
    // Twenty edits in a row; only the last one breaks the `require`.
    for version in 2..22 {
        let edited = if version == 21 {
            text.replace("[\"dir\"]", "[\"dirx\"]")
        } else {
            format!("{text}// {version}\n")
        };
        client.change(&site, version, &edited).await;
    }
    let last = client.diagnostics_until(&site, |d| d.iter().any(|d| d["code"] == "E0303")).await;
    assert_eq!(last.len(), 1, "{last:?}");
    // Nothing older follows: whatever else arrives for the file still has the error.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    client.request("textDocument/documentSymbol", json!({"textDocument": {"uri": site}})).await;
    let later = client.published(&site);
    assert!(
        later.iter().all(|(version, diagnostics)| *version == Some(21) && !diagnostics.is_empty()),
        "{later:?}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn starlark_errors_are_published_for_the_starlark_file() {
    let fixture = Fixture::new(WORKSPACE);
    let mut client = start(&fixture).await;
    client.open(&fixture, "extra.star").await;
    let star = fixture.uri("extra.star");
    client.change(&star, 2, "linux.file(\"motd\", path = \"/etc/motd\", mode = 644, require = [\"dir\"])\nundefined_name()\n").await;
    let diagnostics = client.diagnostics_until(&star, |d| !d.is_empty()).await;
    insta::assert_snapshot!("starlark_errors", codes(&diagnostics).join("\n"));
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_cancels_a_request_running_on_older_text() {
    // A workspace large enough that compiling it (for a hover's evaluated
    // value) takes a while in a test build.
    let mut spec = String::from(
        "//- cue.mod/module.cue\nmodule: \"example.com/big\"\n//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: {\n",
    );
    for index in 0..400usize {
        let require =
            if index == 0 { String::new() } else { format!(", require: [\"f{}\"]", index - 1) };
        spec.push_str(&format!("\t\"f{index}\": linux.#File & {{path: \"/srv/f{index}\", content: \"{index}\"{require}}}\n"));
    }
    spec.push_str("}\n");
    let fixture = Fixture::new(&spec);
    let mut client = start(&fixture).await;
    client.open(&fixture, "site.cue").await;
    let site = fixture.uri("site.cue");
    let text = fixture.text("site.cue");
    let label = text.find("\"f0\"").expect("f0") + 1;
    let position = support::position(&text, label);
    // The hover and then, before it can finish, an edit.
    client.send(json!({"jsonrpc": "2.0", "id": 900, "method": "textDocument/hover", "params": {"textDocument": {"uri": site}, "position": position}})).await;
    client.change(&site, 2, &text.replace("content: \"0\"", "content: \"zero\"")).await;
    let answer = client.response(900).await;
    // Either it finished first (a hover) or it was cancelled (ContentModified);
    // it never hangs, and the server goes on.
    let cancelled = answer["error"]["code"] == json!(-32801);
    assert!(cancelled || answer["result"]["contents"].is_object(), "{answer}");
    eprintln!("hover on older text was {}", if cancelled { "cancelled" } else { "answered first" });
    let hover = client
        .request("textDocument/hover", json!({"textDocument": {"uri": site}, "position": position}))
        .await;
    assert!(
        hover["contents"]["value"].as_str().is_some_and(|value| value.contains("\"zero\"")),
        "{hover}"
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_root_workspace_is_checked_before_any_file_is_opened() {
    let fixture = Fixture::new(&WORKSPACE.replace("require: [\"dir\"]\n", "require: [\"dirt\"]\n"));
    let mut client = start(&fixture).await;
    let diagnostics = client.diagnostics_until(&fixture.uri("site.cue"), |d| !d.is_empty()).await;
    assert_eq!(
        codes(&diagnostics),
        vec!["E0303 resource `conf` requires `dirt`, which does not exist"]
    );
    let symbols = client.request("workspace/symbol", json!({"query": ""})).await;
    let mut names: Vec<String> = symbols
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| s["name"].as_str().unwrap_or("").to_string())
        .collect();
    names.sort();
    assert_eq!(names, vec!["conf", "db1", "dir", "motd", "web1"]);
    client.shutdown().await;
}

/// The editor reports what `froyo check` reports about loading (both use
/// `froyo_loader`): a root file of another package is left out with
/// `E0210`, and a file that cannot be read as text gets `E0100`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loading_problems_are_published_as_the_cli_reports_them() {
    let fixture = Fixture::new(&format!(
        "{WORKSPACE}\n//- tools.cue\npackage tools\n//- binary.star\nx = 1\0\n"
    ));
    let mut client = start(&fixture).await;
    let tools = client.diagnostics_until(&fixture.uri("tools.cue"), |d| !d.is_empty()).await;
    assert_eq!(
        codes(&tools),
        vec!["E0210 `.` holds files of two packages, `site` and `tools`; `tools.cue` is left out"]
    );
    assert_eq!(tools[0]["range"]["start"], json!({"line": 0, "character": 8}), "{tools:?}");
    let binary = client.diagnostics_until(&fixture.uri("binary.star"), |d| !d.is_empty()).await;
    assert_eq!(
        codes(&binary),
        vec!["E0100 `binary.star` looks like a binary file (NUL byte at line 1, column 6)"]
    );
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_messages_are_answered_and_the_server_goes_on() {
    use tokio::io::AsyncWriteExt as _;
    let fixture = Fixture::new(WORKSPACE);
    let mut client = start(&fixture).await;
    let frames: [&[u8]; 4] = [
        // Truncated JSON.
        b"Content-Length: 12\r\n\r\n{\"jsonrpc\": ",
        // Not UTF-8.
        b"Content-Length: 2\r\n\r\n\xff\xfe",
        // No Content-Length.
        b"X-Nonsense: 1\r\n\r\n",
        // JSON, but no JSON-RPC message.
        b"Content-Length: 9\r\n\r\n{\"id\": 7}",
    ];
    for frame in frames {
        client.writer.write_all(frame).await.expect("write to server");
    }
    let invalid = client.response(7).await;
    assert_eq!(invalid["error"]["code"], -32600, "{invalid}");
    let parse_errors: Vec<Value> = client
        .unclaimed()
        .into_iter()
        .filter(|message| message["error"]["code"] == -32700)
        .collect();
    assert_eq!(parse_errors.len(), 3, "{parse_errors:?}");
    assert!(parse_errors.iter().all(|error| error["id"].is_null()));
    // And the server still answers.
    let symbols = client.request("shutdown", Value::Null).await;
    assert_eq!(symbols, Value::Null);
}

const POLICY_WORKSPACE: &str = r#"
//- cue.mod/module.cue
module: "example.com/site"
//- hosts.cue
package site

hosts: web1: {address: "10.0.0.1", labels: role: "web"}
//- site.cue
package site

import "froyo.dev/linux"

resources: notes: linux.#File & {
	path:    "/srv/notes.txt"
	content: "x"
	mode:    "0644"
}
//- policies/no_srv.rego
package no_srv

policy := {"name": "no-srv", "level": "warn"}

violations contains {"msg": "under /srv", "resource": r.id, "path": ["path"]} if {
	some r in input.resources
	startswith(r.properties.path, "/srv/")
}
"#;

/// The line (0-based) and code of each diagnostic.
fn lines_and_codes(diagnostics: &[Value]) -> Vec<(i64, String)> {
    let mut found: Vec<(i64, String)> = diagnostics
        .iter()
        .map(|d| {
            (
                d["range"]["start"]["line"].as_i64().unwrap_or(-1),
                d["code"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    found.sort();
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_findings_are_published_on_the_value_as_you_type() {
    let fixture = Fixture::new(POLICY_WORKSPACE);
    let mut client = start(&fixture).await;
    client.open(&fixture, "site.cue").await;
    let site = fixture.uri("site.cue");
    // The workspace policy's warning, on the `path:` line (line 5).
    let first = client.diagnostics_until(&site, |d| !d.is_empty()).await;
    assert_eq!(lines_and_codes(&first), vec![(5, "no-srv".to_string())], "{first:?}");
    // Typing a world-writable mode: the built-in's error joins, on the `mode:` line.
    let edited = fixture.text("site.cue").replace("\"0644\"", "\"0666\"");
    client.change(&site, 2, &edited).await;
    let second = client.diagnostics_until(&site, |d| d.len() == 2).await;
    insta::assert_snapshot!("policy_world_writable", pretty(&fixture.redact(&json!(second))));
    assert_eq!(
        lines_and_codes(&second),
        vec![(5, "no-srv".to_string()), (7, "P0001".to_string())],
        "{second:?}"
    );
    // And fixing it clears it.
    client.change(&site, 3, &fixture.text("site.cue")).await;
    client.diagnostics_until(&site, |d| d.len() == 1).await;
    client.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rego_syntax_error_is_published_in_the_rego_file() {
    let fixture = Fixture::new(POLICY_WORKSPACE);
    let mut client = start(&fixture).await;
    let rego = fixture.uri("policies/no_srv.rego");
    let params = json!({"textDocument": {"uri": rego, "languageId": "rego", "version": 1, "text": fixture.text("policies/no_srv.rego")}});
    client.notify("textDocument/didOpen", params).await;
    let broken =
        fixture.text("policies/no_srv.rego").replace("some r in input.resources", "some r in (");
    client.change(&rego, 2, &broken).await;
    let diagnostics = client.diagnostics_until(&rego, |d| !d.is_empty()).await;
    let found = lines_and_codes(&diagnostics);
    assert_eq!(found.len(), 1, "{diagnostics:?}");
    assert_eq!(found[0].1, "E0500", "{diagnostics:?}");
    assert!((5..=7).contains(&found[0].0), "{diagnostics:?}");
    client.change(&rego, 3, &fixture.text("policies/no_srv.rego")).await;
    client.diagnostics_until(&rego, Vec::is_empty).await;
    client.shutdown().await;
}

/// The workspace of `examples/broken/<name>` as a fixture.
fn example_fixture(name: &str) -> Fixture {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/broken").join(name);
    let mut paths = Vec::new();
    let mut directories = vec![root.clone()];
    while let Some(directory) = directories.pop() {
        for entry in std::fs::read_dir(&directory).expect("example directory") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                directories.push(path);
            } else if path
                .extension()
                .is_some_and(|extension| extension == "cue" || extension == "star")
            {
                paths.push(path.strip_prefix(&root).expect("inside").to_path_buf());
            }
        }
    }
    paths.sort();
    let mut spec = String::new();
    for path in paths {
        let text = std::fs::read_to_string(root.join(&path)).expect("example file");
        spec.push_str(&format!("//- {}\n{text}", path.display()));
    }
    Fixture::new(&spec)
}

/// What `froyo check --format json` reports for the example (its snapshot
/// in `tests/snapshots/`, kept true by `tests/cli.rs`), per file: each
/// diagnostic's zero-based range (the examples are ASCII, so columns are
/// the same in every encoding) and code.
fn cli_diagnostics(name: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    let snapshot = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../tests/snapshots/cli__json_{}.snap", name.replace('-', "_")));
    let text = std::fs::read_to_string(snapshot).expect("the CLI's snapshot");
    let stdout = text.split("--- stdout\n").nth(1).and_then(|rest| rest.split("--- stderr").next());
    let mut found = std::collections::BTreeMap::<String, Vec<String>>::new();
    for line in stdout.expect("stdout in the snapshot").lines() {
        let diagnostic: Value = serde_json::from_str(line).expect("a JSON line");
        let at = |key: &str| diagnostic[key].as_i64().unwrap_or(0) - 1;
        found.entry(diagnostic["file"].as_str().unwrap_or("").to_string()).or_default().push(
            format!(
                "{}:{}-{}:{} {}",
                at("line"),
                at("column"),
                at("end_line"),
                at("end_column"),
                diagnostic["code"].as_str().unwrap_or("")
            ),
        );
    }
    for lines in found.values_mut() {
        lines.sort();
    }
    found
}

/// The editor shows what one `froyo check` run reports, no less and at the
/// same ranges, for every workspace of `examples/broken/`: among them the
/// `many-errors-*` ones, with errors of every stage (CUE evaluation,
/// Starlark, schemas, types, dependencies, cycles) in CUE, Starlark and
/// mixed workspaces.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_independent_error_is_published_as_the_cli_reports_it() {
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/broken");
    let mut names: Vec<String> = std::fs::read_dir(examples)
        .expect("examples/broken")
        .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in ["many-errors-cue", "many-errors-starlark", "many-errors-mixed"] {
        assert!(names.iter().any(|known| known == name), "{name} in {names:?}");
        assert!(cli_diagnostics(name).values().map(Vec::len).sum::<usize>() >= 5, "{name}");
    }
    for name in &names {
        let name = name.as_str();
        let fixture = example_fixture(name);
        let mut client = start(&fixture).await;
        let expected = cli_diagnostics(name);
        let mut published = std::collections::BTreeMap::new();
        for path in expected.keys() {
            let diagnostics = client.diagnostics_until(&fixture.uri(path), |d| !d.is_empty()).await;
            let mut lines: Vec<String> = diagnostics
                .iter()
                .map(|diagnostic| {
                    let range = &diagnostic["range"];
                    format!(
                        "{}:{}-{}:{} {}",
                        range["start"]["line"],
                        range["start"]["character"],
                        range["end"]["line"],
                        range["end"]["character"],
                        diagnostic["code"].as_str().unwrap_or("")
                    )
                })
                .collect();
            lines.sort();
            published.insert(path.clone(), lines);
        }
        assert_eq!(published, expected, "{name}: the editor's diagnostics differ from the CLI's");
        client.shutdown().await;
    }
}

/// `@embed`: the embedded file is read by the server; editing it (as an open
/// document, or on disk, seen by polling) re-checks what embeds it, and the
/// diagnostic is at the attribute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_an_embedded_file_rechecks_the_file_that_embeds_it() {
    let spec = "//- cue.mod/module.cue\nmodule: \"example.com/site\"\n//- site.cue\n@extern(embed)\n\npackage site\n\nconfig: _ @embed(file=config.json)\nconfig: port: int & <1024\n//- config.json\n{\"port\": 80}\n";
    let fixture = Fixture::new(spec);
    let mut client = start(&fixture).await;
    client.open(&fixture, "site.cue").await;
    let site = fixture.uri("site.cue");

    // Opened and edited in the editor: its text, not the disk's, counts.
    client.open(&fixture, "config.json").await;
    let config = fixture.uri("config.json");
    client.change(&config, 2, "{\"port\": 8080}").await;
    let broken = client.diagnostics_until(&site, |d| !d.is_empty()).await;
    assert_eq!(lines_and_codes(&broken), vec![(5, "E0207".to_string())], "{broken:?}");
    assert!(client.published(&config).iter().all(|(_, d)| d.is_empty()), "not a CUE document");
    client.change(&config, 3, "{\"port\": 443}").await;
    client.diagnostics_until(&site, Vec::is_empty).await;

    // Closed, then changed on disk: the poll notices.
    client.notify("textDocument/didClose", json!({"textDocument": {"uri": config}})).await;
    std::fs::write(fixture.root().join("config.json"), "{\"port\": \"http\"}").expect("write");
    let broken = client.diagnostics_until(&site, |d| !d.is_empty()).await;
    assert!(codes(&broken)[0].starts_with("E0200"), "{broken:?}");
    client.shutdown().await;
}
