//! `@embed` in evaluation: what the host found for each attribute becomes
//! the field's value, or an error at the attribute. Expected outputs follow
//! today's CUE documentation (`cue help embed`); the reference v0.4 has no
//! `@embed` at all.

use froyo_eval::embed::{Embed, EmbedError, EmbeddedFile};
use froyo_eval::{EvalOptions, SourceFile, export, output};

fn file(name: &str, text: &str) -> SourceFile {
    SourceFile { name: name.into(), text: text.into() }
}

/// The embeds of `main` for the attributes in it, in order: each given the
/// files (key, CUE text) or the error.
fn embeds(main: &str, found: Vec<Result<Vec<(&str, &str)>, EmbedError>>) -> Vec<Embed> {
    let root = froyo_syntax::parse(main).syntax_node();
    let attributes = froyo_eval::embed::attributes(&root);
    attributes
        .iter()
        .zip(found)
        .map(|(attribute, found)| Embed {
            file: 0,
            offset: attribute.offset,
            found: found.map(|files| {
                files
                    .into_iter()
                    .map(|(key, text)| EmbeddedFile { key: key.into(), source: file(key, text) })
                    .collect()
            }),
        })
        .collect()
}

/// Exports `main` with `found` for its attributes: the JSON, or each
/// diagnostic as `code span-text: message`.
fn run(main: &str, found: Vec<Result<Vec<(&str, &str)>, EmbedError>>) -> Result<String, String> {
    let options = EvalOptions { embeds: embeds(main, found), ..EvalOptions::default() };
    export(&[file("main.cue", main)], &options).map(|data| output::to_json(&data)).map_err(
        |diagnostics| {
            diagnostics
                .iter()
                .map(|diagnostic| {
                    let span = &diagnostic.primary.span;
                    let mut line = format!(
                        "{} {}: {}",
                        diagnostic.code.code,
                        &main[span.start as usize..span.end as usize],
                        diagnostic.message
                    );
                    for label in &diagnostic.secondary {
                        let span = &label.span;
                        line.push_str(&format!(
                            " [{}]",
                            &main[span.start as usize..span.end as usize]
                        ));
                    }
                    line
                })
                .collect::<Vec<_>>()
                .join("\n")
        },
    )
}

const HEADER: &str = "@extern(embed)\n\npackage site\n\n";

#[test]
fn a_file_is_the_value_of_its_field() {
    let main = format!("{HEADER}config: _ @embed(file=config.json)\nport: config.port + 1\n");
    let json = run(&main, vec![Ok(vec![("config.json", "{\"port\": 8080, \"tags\": [\"a\"]}")])]);
    assert_eq!(
        json.unwrap(),
        "{\n    \"config\": {\n        \"port\": 8080,\n        \"tags\": [\n            \"a\"\n        ]\n    },\n    \"port\": 8081\n}\n"
    );
}

#[test]
fn a_glob_is_a_struct_keyed_by_path() {
    let main =
        format!("{HEADER}files: _ @embed(glob=conf/*.yaml)\nfiles: [string]: {{name: string}}\n");
    let json = run(
        &main,
        vec![Ok(vec![("conf/a.yaml", "{\"name\": \"a\"}"), ("conf/b.yaml", "{\"name\": \"b\"}")])],
    );
    assert_eq!(
        json.unwrap(),
        "{\n    \"files\": {\n        \"conf/a.yaml\": {\n            \"name\": \"a\"\n        },\n        \"conf/b.yaml\": {\n            \"name\": \"b\"\n        }\n    }\n}\n"
    );
}

#[test]
fn an_empty_glob_allowed_is_an_empty_struct() {
    let main = format!("{HEADER}c: _ @embed(glob=optional/*.json, allowEmptyGlob)\n");
    assert_eq!(run(&main, vec![Ok(Vec::new())]).unwrap(), "{\n    \"c\": {}\n}\n");
}

#[test]
fn the_embedded_value_unifies_with_the_field_s_other_declarations() {
    let main = format!("{HEADER}config: {{port: int & <1024}} @embed(file=config.json)\n");
    let error = run(&main, vec![Ok(vec![("config.json", "{\"port\": 8080}")])]).unwrap_err();
    // The embedded value is shown at the attribute: the embedded file has
    // no place in the file table.
    assert_eq!(
        error,
        "E0207 int: config.port: invalid value 8080 (out of bound <1024) [<1024] [@embed(file=config.json)]"
    );
}

#[test]
fn embedding_needs_extern_embed() {
    let main = "package site\n\nconfig: _ @embed(file=config.json)\nother: 1\n";
    let error = run(main, vec![Ok(vec![("config.json", "{}")])]).unwrap_err();
    assert_eq!(
        error,
        "E0106 @embed(file=config.json): config: @embed needs the file attribute @extern(embed)"
    );
    let late = "package site\n\n@extern(embed)\nconfig: _ @embed(file=config.json)\n";
    let error = run(late, vec![Ok(vec![("config.json", "{}")])]).unwrap_err();
    assert!(error.starts_with("E0106"), "{error}");
}

#[test]
fn malformed_attributes_and_host_errors_are_reported_at_the_attribute() {
    let main = format!("{HEADER}a: _ @embed(file=../x.json)\n");
    let error = run(&main, vec![Ok(Vec::new())]).unwrap_err();
    assert!(
        error.starts_with(
            "E0107 @embed(file=../x.json): a: \"../x.json\" refers to a parent directory"
        ),
        "{error}"
    );

    let main = format!("{HEADER}a: _ @embed(file=missing.json)\n");
    let missing = EmbedError::new(
        &froyo_diagnostics::registry::EMBEDDED_FILE_NOT_FOUND,
        "missing.json does not exist",
    );
    let error = run(&main, vec![Err(missing)]).unwrap_err();
    assert_eq!(error, "E0108 @embed(file=missing.json): a: missing.json does not exist");

    // No entry from the host: the files were not read.
    let main = format!("{HEADER}a: _ @embed(file=a.json)\n");
    let error = run(&main, Vec::new()).unwrap_err();
    assert!(error.starts_with("E0109"), "{error}");
}

#[test]
fn an_error_in_one_embedded_field_leaves_the_others() {
    let main = format!("{HEADER}a: _ @embed(file=a.json)\nb: _ @embed(file=b.txt)\n");
    let missing =
        EmbedError::new(&froyo_diagnostics::registry::EMBEDDED_FILE_NOT_FOUND, "no a.json");
    let options = EvalOptions {
        embeds: embeds(&main, vec![Err(missing), Ok(vec![("b.txt", "\"hello\\n\"")])]),
        expression: Some("b".into()),
        ..EvalOptions::default()
    };
    let data = export(&[file("main.cue", &main)], &options).unwrap();
    assert_eq!(output::to_json(&data), "\"hello\\n\"\n");
}

#[test]
fn a_diagnostic_names_the_embedded_file_at_the_attribute() {
    let main = format!("{HEADER}config: _ @embed(file=config.json)\nconfig: port: <1024\n");
    let options = EvalOptions {
        embeds: embeds(&main, vec![Ok(vec![("config.json", "{\"port\": 8080}")])]),
        ..EvalOptions::default()
    };
    let diagnostics = export(&[file("main.cue", &main)], &options).unwrap_err();
    let labels: Vec<(&str, &str)> = diagnostics[0]
        .secondary
        .iter()
        .map(|label| {
            (&main[label.span.start as usize..label.span.end as usize], label.message.as_str())
        })
        .collect();
    assert_eq!(labels, vec![("@embed(file=config.json)", "the value of `config.json`")]);
}
