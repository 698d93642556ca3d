//! Quoted labels that start with `_` or `#` are regular fields, not hidden
//! fields or definitions: exported, refused by closed structs, distinct from
//! the hidden field of the same spelling, and kept through built-ins and
//! comprehensions. Expected outputs are the reference's (`cue export`).

use froyo_eval::{EvalOptions, SourceFile, export, output};

fn run(source: &str) -> Result<String, Vec<String>> {
    let files = [SourceFile { name: "main.cue".into(), text: source.into() }];
    export(&files, &EvalOptions::default())
        .map(|data| output::to_json(&data))
        .map_err(|diagnostics| diagnostics.iter().map(|d| d.message.clone()).collect())
}

#[test]
fn quoted_underscore_and_hash_labels_are_regular_fields() {
    let source = "a: {\"_x\": 1, \"#y\": 2}\ns: {\"_x\": 1}\nt: s[\"_x\"]\nu: {for k, v in s {\"k\\(k)\": v}}\n_x: 5\n\"_x\": 6\nw: _x\nv: {\"#d\": 1}.\"#d\"\n";
    assert_eq!(
        run(source).unwrap(),
        "{\n    \"a\": {\n        \"_x\": 1,\n        \"#y\": 2\n    },\n    \"s\": {\n        \"_x\": 1\n    },\n    \"t\": 1,\n    \"u\": {\n        \"k_x\": 1\n    },\n    \"_x\": 6,\n    \"w\": 5,\n    \"v\": 1\n}\n"
    );
}

#[test]
fn closed_structs_refuse_quoted_underscore_labels() {
    let errors = run("#D: {a: int}\nb: #D & {a: 1, \"_z\": 1}\n").unwrap_err();
    assert!(errors.iter().any(|message| message.contains("field not allowed: _z")), "{errors:?}");
}

#[test]
fn builtins_keep_underscore_keys() {
    let source = "import \"encoding/json\"\n\nj: json.Marshal({\"_x\": 1, y: 2})\nk: json.Unmarshal(\"{\\\"_a\\\": 1}\")\n";
    assert_eq!(
        run(source).unwrap(),
        "{\n    \"j\": \"{\\\"_x\\\":1,\\\"y\\\":2}\",\n    \"k\": {\n        \"_a\": 1\n    }\n}\n"
    );
}
