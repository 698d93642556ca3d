//! The parser over every `.cue` file of the CUE conformance corpus
//! (`../shared/conformance/cue/public`, beside the repository) and `examples/`:
//! the tree prints back byte-identical, and only the cases built to have a
//! syntax error (their `expected.error` names one) report syntax errors.
//! Without the corpus (a plain clone) only `examples/` is checked and the
//! corpus part is skipped with a printed reason, unless
//! `FROYO_REQUIRE_CONFORMANCE=1` (`.ci/run`).

use std::path::{Path, PathBuf};

#[path = "../../../tests/support/conformance_corpus.rs"]
mod conformance_corpus;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn cue_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    let mut entries: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            cue_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "cue") {
            out.push(path);
        }
    }
}

/// Messages of the reference implementation that are syntax errors.
const SYNTAX_ERROR_MARKERS: &[&str] = &[
    "illegal",
    "expected",
    "string literal not terminated",
    "unknown escape sequence",
    "missing ',' in",
    "invalid attribute",
];

#[test]
fn conformance_corpus_round_trips_and_parses() {
    let mut files = Vec::new();
    if let Some(corpus) = conformance_corpus::public_cases("parsing the corpus (examples/ only)") {
        cue_files(&corpus, &mut files);
        assert!(files.len() > 300, "the conformance corpus at {} is incomplete", corpus.display());
    }
    cue_files(&repo_root().join("examples"), &mut files);

    let mut report = String::new();
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        let parse = froyo_syntax::parse(&text);
        assert_eq!(parse.syntax_node().to_string(), text, "round trip of {}", path.display());
        let expected_error = std::fs::read_to_string(path.parent().unwrap().join("expected.error"))
            .unwrap_or_default();
        let expects_syntax_error = SYNTAX_ERROR_MARKERS.iter().any(|m| expected_error.contains(m))
            && expected_error.contains(path.file_name().unwrap().to_str().unwrap());
        let has_errors = !parse.errors().is_empty();
        if has_errors && !expects_syntax_error {
            report.push_str(&format!(
                "unexpected syntax error in {}:\n{:?}\n",
                path.display(),
                parse.errors()
            ));
        }
        if !has_errors && expects_syntax_error && expected_error.contains(":") {
            report.push_str(&format!(
                "no syntax error in {}, reference says:\n{}\n",
                path.display(),
                expected_error
            ));
        }
    }
    assert!(report.is_empty(), "{report}");
}
