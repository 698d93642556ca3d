//! `--out cue`, `--out toml` and `--out jsonl` text of exported data
//! (`froyo_eval::output`): CUE text evaluates back to the same data, TOML
//! and JSON Lines text is what TOML 1.0 and JSON Lines readers expect, and
//! what TOML cannot hold is an error that names where it is.
//!
//! Expected texts are written by hand from the TOML 1.0 and JSON Lines
//! specifications (CUE v0.4, the reference, has none of these forms).

use froyo_eval::{Data, EvalOptions, SourceFile, export, output};

fn data(source: &str) -> Data {
    export(&[SourceFile { name: "data.cue".into(), text: source.into() }], &EvalOptions::default())
        .unwrap_or_else(|diagnostics| panic!("{source}: {diagnostics:?}"))
}

const SAMPLE: &str = r##"
name: "web"
"port-no": 80
ratio: 1.5
big: 1e3
on: true
nothing: null
tags: ["a", "b"]
script: "#!/bin/sh\necho \"hi\" \"\"\" done\n\n"
"_x": 1
"#y": 2
"if": 3
"a b": "tab\there"
nested: {a: {b: 1, c: [1, 2]}, d: "x"}
servers: [{host: "a", port: 1}, {host: "b", port: 2}]
mixed: [1, {a: 1}, [2, 3], "two\nlines"]
empty: {}
emptyList: []
bytes: 'ab\x00'
unicode: "héllo ☃"
"##;

#[test]
fn cue_text_evaluates_back_to_the_same_data() {
    for source in [SAMPLE, "[1, {a: 2}]", "\"just a string\"", "x: [[]]", "x: \"\\n\""] {
        let original = data(source);
        let text = output::to_cue(&original);
        let again = data(&text);
        assert_eq!(
            output::to_json(&again),
            output::to_json(&original),
            "{source}\n--- as CUE\n{text}"
        );
    }
}

#[test]
fn cue_text_of_a_struct() {
    let text =
        output::to_cue(&data("a: 1\nb: {c: [1, 2], d: \"x\\ny\"}\nl: [{e: true}]\n\"if\": 2\n"));
    assert_eq!(
        text,
        "a: 1\nb: {\n\tc: [1, 2]\n\td: \"\"\"\n\t\tx\n\t\ty\n\t\t\"\"\"\n}\nl: [{\n\te: true\n}]\n\"if\": 2\n"
    );
}

#[test]
fn toml_text() {
    let source = r#"
title: "x"
count: 3
ratio: 2.0
when: 1e3
list: [1, "a", {k: "v"}, [true]]
"a key": "q\"\\"
owner: {name: "n", address: {city: "c"}}
servers: [{host: "a"}, {host: "b", tags: {t: 1}}]
empty: {}
"#;
    assert_eq!(
        output::to_toml(&data(source)).unwrap(),
        r#"title = "x"
count = 3
ratio = 2.0
when = 1E+3
list = [1, "a", { k = "v" }, [true]]
"a key" = "q\"\\"

[owner]
name = "n"

[owner.address]
city = "c"

[[servers]]
host = "a"

[[servers]]
host = "b"

[servers.tags]
t = 1

[empty]
"#
    );
}

#[test]
fn toml_refuses_what_it_cannot_hold() {
    let error = |source: &str| output::to_toml(&data(source)).unwrap_err();
    assert_eq!(error("a: {b: [1, null]}"), "TOML cannot hold null (at a.b.1)");
    assert_eq!(error("[1]"), "TOML needs a struct at the top, not a list (select one with -e)");
    assert_eq!(
        error("a: 1180591620717411303424\n"),
        "TOML integers have 64 bits; 1180591620717411303424 does not fit (at a)"
    );
}

#[test]
fn json_lines() {
    assert_eq!(
        output::to_json_line(&data("a: [1, {b: \"<c>\"}]\nd: 'e'\nf: 2.50\n")),
        "{\"a\":[1,{\"b\":\"\\u003cc\\u003e\"}],\"d\":\"ZQ==\",\"f\":2.50}\n"
    );
}
