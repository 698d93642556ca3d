//! `export_partial`: the value as far as it is concrete, the same
//! diagnostics as `export`, and where each error is.

use froyo_eval::{EvalOptions, SourceFile, export, export_partial};

/// The partial value as JSON, then each error's path and code.
fn check(source: &str, expected: expect_test::Expect) {
    let files = [SourceFile { name: "main.cue".into(), text: source.into() }];
    let partial = export_partial(&files, &EvalOptions::default());
    let mut out = match &partial.data {
        Some(data) => froyo_eval::output::to_json(data),
        None => "no data\n".into(),
    };
    for (path, diagnostic) in partial.error_paths.iter().zip(&partial.diagnostics) {
        out.push_str(&format!("{} at {:?}\n", diagnostic.code.code, path));
    }
    // The diagnostics are export's, and a value without errors is export's.
    match export(&files, &EvalOptions::default()) {
        Ok(data) => assert_eq!(partial.data.as_ref(), Some(&data)),
        Err(diagnostics) => assert_eq!(partial.diagnostics, diagnostics),
    }
    assert_eq!(partial.error_paths.len(), partial.diagnostics.len());
    expected.assert_eq(&out);
}

#[test]
fn a_value_without_errors_is_whole() {
    check(
        "a: 1\nb: c: \"x\"\n",
        expect_test::expect![[r#"
            {
                "a": 1,
                "b": {
                    "c": "x"
                }
            }
        "#]],
    );
}

#[test]
fn fields_with_errors_are_left_out_and_located() {
    check(
        "#S: {name: string}\nr: {\n\tok: #S & {name: \"x\"}\n\tbad: #S & {nmae: \"y\"}\n\tworse: {port: 1 & 2, other: 3}\n}\nkept: true\n",
        expect_test::expect![[r#"
            {
                "r": {
                    "ok": {
                        "name": "x"
                    },
                    "bad": {},
                    "worse": {
                        "other": 3
                    }
                },
                "kept": true
            }
            E0203 at ["r", "bad", "nmae"]
            E0200 at ["r", "worse", "port"]
            E0201 at ["r", "bad", "name"]
        "#]],
    );
}

#[test]
fn syntax_errors_give_no_data() {
    check(
        "a: {\n",
        expect_test::expect![[r#"
            no data
            E0007 at []
        "#]],
    );
}
