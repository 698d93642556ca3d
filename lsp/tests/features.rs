//! In-process tests of each capability: a fixture with a `$0` cursor, one
//! request, and the answer rendered compactly and compared with an insta
//! snapshot (`cargo insta review` to update).

mod support;

use serde_json::{Value, json};
use support::{Client, Fixture};

const MODULE: &str = "//- cue.mod/module.cue\nmodule: \"example.com/site\"\n//- hosts.cue\npackage site\n\nhosts: web1: {address: \"10.0.0.1\", labels: {role: \"web\", zone: \"eu\"}}\nhosts: db1: {address: \"10.0.0.2\", labels: role: \"db\"}\n";

/// Starts a server on the fixture (with `hosts.cue` and a module), opens the
/// cursor's file, and sends `method` at the cursor with `extra` params.
async fn at_cursor(spec: &str, method: &str, extra: Value) -> (Fixture, Value) {
    let fixture = Fixture::new(&format!("{MODULE}{spec}"));
    let (mut client, _) = Client::start(Some(&fixture.root()), json!({})).await;
    let (path, position) = fixture.cursor_position();
    client.open(&fixture, &path).await;
    let mut params = json!({"textDocument": {"uri": fixture.uri(&path)}, "position": position});
    if let (Some(params), Some(extra)) = (params.as_object_mut(), extra.as_object()) {
        params.extend(extra.clone());
    }
    let result = client.request(method, params).await;
    client.shutdown().await;
    let redacted = fixture.redact(&result);
    (fixture, redacted)
}

fn completion_lines(result: &Value) -> String {
    let items = result["items"].as_array().cloned().unwrap_or_default();
    let mut lines: Vec<String> = items
        .iter()
        .map(|item| {
            let edit = &item["textEdit"];
            format!(
                "{} | {} | edit {}:{}-{}:{} {:?}",
                item["label"].as_str().unwrap_or(""),
                item["detail"].as_str().unwrap_or(""),
                edit["range"]["start"]["line"],
                edit["range"]["start"]["character"],
                edit["range"]["end"]["line"],
                edit["range"]["end"]["character"],
                edit["newText"].as_str().unwrap_or("")
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

async fn complete(spec: &str) -> String {
    let (_, result) = at_cursor(spec, "textDocument/completion", json!({})).await;
    completion_lines(&result)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_schema_fields_with_type_and_doc() {
    let (_, result) = at_cursor(
        "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: motd: linux.#File & {\n\tpath: \"/etc/motd\"\n\tco$0\n}\n",
        "textDocument/completion",
        json!({}),
    )
    .await;
    insta::assert_snapshot!(completion_lines(&result));
    let content = result["items"]
        .as_array()
        .and_then(|items| items.iter().find(|item| item["label"] == "content"))
        .cloned();
    let doc = content.map(|item| item["documentation"]["value"].clone()).unwrap_or_default();
    assert_eq!(doc, json!("The whole content of the file, as text."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_enum_members_in_a_string_and_after_a_colon() {
    insta::assert_snapshot!(
        "enum_in_string",
        complete("//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: svc: linux.#Service & {\n\tname: \"x\"\n\tstate: \"st$0\n}\n").await
    );
    insta::assert_snapshot!(
        "disjunction_after_colon",
        complete(
            "//- hosts2.cue\npackage site\n\nhosts: h3: {address: \"10.0.0.3\", transport: $0}\n"
        )
        .await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_resource_ids_in_require_and_host_labels_in_on() {
    let spec = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: {\n\tdir: linux.#Directory & {path: \"/srv\"}\n\tconf: linux.#File & {\n\t\tpath: \"/srv/conf\"\n\t\trequire: [\"$0\n\t}\n}\n//- more.star\nlinux.package(\"nginx\", name = \"nginx\")\n";
    insta::assert_snapshot!("require_ids", complete(spec).await);
    let on = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: dir: linux.#Directory & {path: \"/srv\", on: role: \"$0\"}\n";
    insta::assert_snapshot!("on_label_values", complete(on).await);
    let keys = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: dir: linux.#Directory & {\n\tpath: \"/srv\"\n\ton: {\n\t\t$0\n\t}\n}\n";
    insta::assert_snapshot!("on_label_keys", complete(keys).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_imports_and_package_members_with_an_edit_over_the_hash() {
    insta::assert_snapshot!(
        "import_paths",
        complete("//- lib/lib.cue\npackage lib\n//- site.cue\npackage site\n\nimport \"fro$0\"\n")
            .await
    );
    insta::assert_snapshot!(
        "package_members",
        complete("//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: x: linux.#Fi$0\n").await
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn completes_starlark_prelude_functions_and_parameters() {
    insta::assert_snapshot!("starlark_functions", complete("//- a.star\nlinux.di$0\n").await);
    insta::assert_snapshot!(
        "starlark_parameters",
        complete("//- a.star\nlinux.directory(\"d\", path = \"/srv\", $0)\n").await
    );
}

fn hover_text(result: &Value) -> String {
    result["contents"]["value"].as_str().unwrap_or("(no hover)").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hover_shows_doc_type_value_and_provenance() {
    let spec = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nroot: \"/srv/site\"\n\nresources: conf: linux.#File & {\n\tpa$0th: \"\\(root)/conf\"\n\tcontent: \"x\"\n}\n";
    let (_, result) = at_cursor(spec, "textDocument/hover", json!({})).await;
    insta::assert_snapshot!("hover_field", hover_text(&result));
    let sensitive = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: deploy: linux.#User & {\n\tname: \"deploy\"\n\tpass$0word: \"hunter2\"\n}\n";
    let (_, result) = at_cursor(sensitive, "textDocument/hover", json!({})).await;
    let text = hover_text(&result);
    assert!(!text.contains("hunter2"), "{text}");
    insta::assert_snapshot!("hover_sensitive", text);
    let resource = spec.replace("pa$0th", "path").replace("conf: linux", "co$0nf: linux");
    let (_, result) = at_cursor(&resource, "textDocument/hover", json!({})).await;
    insta::assert_snapshot!("hover_resource", hover_text(&result));
    let host =
        "//- more_hosts.cue\npackage site\n\nhosts: web2: {address: \"10.0.0.3\", po$0rt: 2222}\n";
    let (_, result) = at_cursor(host, "textDocument/hover", json!({})).await;
    insta::assert_snapshot!("hover_host_field", hover_text(&result));
    let definition = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: x: linux.#Ser$0vice & {name: \"x\"}\n";
    let (_, result) = at_cursor(definition, "textDocument/hover", json!({})).await;
    insta::assert_snapshot!("hover_definition", hover_text(&result));
}

fn locations(result: &Value) -> String {
    let mut lines: Vec<String> = result
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|location| {
            let range = &location["range"];
            format!(
                "{} {}:{}-{}:{}",
                location["uri"].as_str().unwrap_or(""),
                range["start"]["line"],
                range["start"]["character"],
                range["end"]["line"],
                range["end"]["character"]
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

const NAVIGATION: &str = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nroot: \"/srv\"\n\nresources: {\n\tdir: linux.#Directory & {path: root}\n\tconf: linux.#File & {path: \"/srv/conf\", require: [\"d$0ir\"]}\n}\n//- more.star\nlinux.file(\"motd\", path = \"/etc/motd\", require = [\"dir\"])\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definition_and_references_of_resource_ids_names_and_schemas() {
    let (_, result) = at_cursor(NAVIGATION, "textDocument/definition", json!({})).await;
    insta::assert_snapshot!("definition_of_require", locations(&result));
    let (_, result) = at_cursor(
        NAVIGATION,
        "textDocument/references",
        json!({"context": {"includeDeclaration": true}}),
    )
    .await;
    insta::assert_snapshot!("references_of_id", locations(&result));
    let name =
        NAVIGATION.replace("[\"d$0ir\"]", "[\"dir\"]").replace("{path: root}", "{path: ro$0ot}");
    let (_, result) = at_cursor(&name, "textDocument/definition", json!({})).await;
    insta::assert_snapshot!("definition_of_name", locations(&result));
    let schema =
        NAVIGATION.replace("[\"d$0ir\"]", "[\"dir\"]").replace("linux.#File", "linux.#Fi$0le");
    let (_, result) = at_cursor(&schema, "textDocument/definition", json!({})).await;
    insta::assert_snapshot!("definition_of_schema", locations(&result));
    let load = "//- lib/util.star\nX = 1\n//- a.star\nload(\"//lib/ut$0il.star\", \"X\")\n";
    let (_, result) = at_cursor(load, "textDocument/definition", json!({})).await;
    insta::assert_snapshot!("definition_of_load", locations(&result));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_of_a_resource_id_edits_cue_and_starlark() {
    let (_, result) =
        at_cursor(NAVIGATION, "textDocument/rename", json!({"newName": "site-root"})).await;
    let mut lines = Vec::new();
    if let Some(changes) = result["changes"].as_object() {
        for (uri, edits) in changes {
            for edit in edits.as_array().cloned().unwrap_or_default() {
                let range = &edit["range"];
                lines.push(format!(
                    "{uri} {}:{}-{}:{} {}",
                    range["start"]["line"],
                    range["start"]["character"],
                    range["end"]["line"],
                    range["end"]["character"],
                    edit["newText"]
                ));
            }
        }
    }
    lines.sort();
    insta::assert_snapshot!(lines.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rename_of_a_field_edits_its_references_in_cue_and_config_in_starlark() {
    let spec = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nro$0ot: \"/srv\"\n\nresources: dir: linux.#Directory & {path: root}\nother: {root: 1, x: root}\n//- more.star\nlinux.directory(\"d2\", path = config.root + \"/d2\")\n";
    let (_, result) = at_cursor(spec, "textDocument/rename", json!({"newName": "base"})).await;
    insta::assert_snapshot!(rename_lines(&result));
    let (_, references) = at_cursor(
        spec,
        "textDocument/references",
        json!({"context": {"includeDeclaration": false}}),
    )
    .await;
    insta::assert_snapshot!("field_references", locations(&references));
}

fn rename_lines(result: &Value) -> String {
    let mut lines = Vec::new();
    if let Some(changes) = result["changes"].as_object() {
        for (uri, edits) in changes {
            for edit in edits.as_array().cloned().unwrap_or_default() {
                let range = &edit["range"];
                lines.push(format!(
                    "{uri} {}:{}-{}:{} {}",
                    range["start"]["line"],
                    range["start"]["character"],
                    range["end"]["line"],
                    range["end"]["character"],
                    edit["newText"]
                ));
            }
        }
    }
    lines.sort();
    lines.join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn symbols_formatting_actions_tokens_and_hints() {
    let spec = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: {\n\tsrvdir:   linux.#Directory & {path: \"/srv\"}\n\tconf: linux.#File & {path: \"/srv/conf\", require: [\"srvdri\"]}$0\n}\n";
    let fixture = Fixture::new(&format!("{MODULE}{spec}"));
    let (mut client, _) = Client::start(Some(&fixture.root()), json!({})).await;
    client.open(&fixture, "site.cue").await;
    let uri = fixture.uri("site.cue");
    let document = json!({"textDocument": {"uri": uri}});
    // Wait for the first diagnostics, so that the code action sees them.
    let diagnostics = client.diagnostics_until(&uri, |d| !d.is_empty()).await;

    let symbols = client.request("textDocument/documentSymbol", document.clone()).await;
    let names: Vec<String> = symbols
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| format!("{} {} {}", s["name"], s["kind"], s["detail"]))
        .collect();
    let workspace = client.request("workspace/symbol", json!({"query": "web"})).await;
    let workspace_names: Vec<String> = workspace
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| s["name"].to_string())
        .collect();

    let formatting = client
        .request(
            "textDocument/formatting",
            json!({"textDocument": {"uri": uri}, "options": {"tabSize": 4, "insertSpaces": false}}),
        )
        .await;
    let formatted = formatting[0]["newText"].as_str().unwrap_or("").to_string();

    let actions = client
        .request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": diagnostics[0]["range"], "context": {"diagnostics": diagnostics}}))
        .await;
    let action_lines: Vec<String> = actions
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|a| {
            let edits = a["edit"]["changes"]
                .as_object()
                .map(|changes| {
                    changes
                        .values()
                        .flat_map(|e| e.as_array().cloned().unwrap_or_default())
                        .map(|e| e["newText"].to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!("{} -> {edits}", a["title"].as_str().unwrap_or(""))
        })
        .collect();

    let tokens = client.request("textDocument/semanticTokens/full", document.clone()).await;
    let data: Vec<u64> = tokens["data"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    let token_lines: Vec<String> = decode_tokens(&fixture.text("site.cue"), &data);

    let hints = client.request("textDocument/inlayHint", json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 0, "character": 0}, "end": {"line": 99, "character": 0}}})).await;
    let hint_lines: Vec<String> = hints
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|h| format!("{}:{} {}", h["position"]["line"], h["position"]["character"], h["label"]))
        .collect();
    client.shutdown().await;

    insta::assert_snapshot!(format!(
        "document symbols:\n{}\n\nworkspace symbols (web):\n{}\n\nformatted:\n{formatted}\ncode actions:\n{}\n\nsemantic tokens:\n{}\n\ninlay hints:\n{}",
        names.join("\n"),
        workspace_names.join("\n"),
        action_lines.join("\n"),
        token_lines.join("\n"),
        hint_lines.join("\n")
    ));
}

/// Semantic tokens as `text: type` lines (positions are UTF-16 = bytes here).
fn decode_tokens(text: &str, data: &[u64]) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut line = 0usize;
    let mut character = 0usize;
    let mut out = Vec::new();
    for chunk in data.chunks(5) {
        let [delta_line, delta_start, length, token_type, _] = chunk else { continue };
        if *delta_line > 0 {
            line += *delta_line as usize;
            character = *delta_start as usize;
        } else {
            character += *delta_start as usize;
        }
        let source = lines
            .get(line)
            .and_then(|l| l.get(character..character + *length as usize))
            .unwrap_or("?");
        out.push(format!(
            "{source}: {}",
            froyo_lsp::ide::TOKEN_TYPES.get(*token_type as usize).unwrap_or(&"?")
        ));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_required_field_is_shown_at_the_declaration_with_a_fix() {
    let cue = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\nresources: motd: linux.#File & {\n\tcontent: \"hi\"\n}\n";
    let star = "//- more.star\nlinux.directory(\"d\", mode = \"0755\")\n";
    let mut lines = Vec::new();
    for (spec, path) in [(cue, "site.cue"), (star, "more.star")] {
        let fixture = Fixture::new(&format!("{MODULE}{spec}"));
        let (mut client, _) = Client::start(Some(&fixture.root()), json!({})).await;
        let uri = fixture.uri(path);
        let diagnostics = client.diagnostics_until(&uri, |d| !d.is_empty()).await;
        let actions = client
            .request("textDocument/codeAction", json!({"textDocument": {"uri": uri}, "range": diagnostics[0]["range"], "context": {"diagnostics": diagnostics}}))
            .await;
        for diagnostic in &diagnostics {
            let range = &diagnostic["range"];
            lines.push(format!(
                "{path} {}:{}-{}:{} {} {}",
                range["start"]["line"],
                range["start"]["character"],
                range["end"]["line"],
                range["end"]["character"],
                diagnostic["code"].as_str().unwrap_or(""),
                diagnostic["message"].as_str().unwrap_or("").lines().next().unwrap_or("")
            ));
        }
        for action in actions.as_array().cloned().unwrap_or_default() {
            let edits: Vec<String> = action["edit"]["changes"]
                .as_object()
                .map(|changes| {
                    changes
                        .values()
                        .flat_map(|e| e.as_array().cloned().unwrap_or_default())
                        .map(|e| {
                            format!(
                                "{}:{} {}",
                                e["range"]["start"]["line"],
                                e["range"]["start"]["character"],
                                e["newText"]
                            )
                        })
                        .collect()
                })
                .unwrap_or_default();
            lines.push(format!(
                "  action: {} -> {}",
                action["title"].as_str().unwrap_or(""),
                edits.join(", ")
            ));
        }
        client.shutdown().await;
    }
    insta::assert_snapshot!(lines.join("\n"));
}
