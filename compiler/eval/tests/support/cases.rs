//! The runner of the data-driven cases of `tests/stdlib.rs` and `tests/modern.rs`.

use std::path::Path;

use froyo_eval::{EvalOptions, SourceFile, export, output};

/// Runs every case of `test_data/<folder>` (see the module doc of the
/// test that uses it) and fails with all the cases that do not match.
pub fn run_cases(folder: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data").join(folder);
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
