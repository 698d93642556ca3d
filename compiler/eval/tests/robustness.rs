//! No panic on any program: every conformance case, and mutations of them
//! (identifiers and literals swapped for other tokens of the same file), are
//! evaluated without an internal error. Without the corpus, the formatted
//! copies of its cases in `compiler/fmt/tests/reference` are used.

use std::path::Path;

use froyo_eval::{EvalOptions, SourceFile, export};
use froyo_syntax::{SyntaxKind, lexer};

#[path = "../../../tests/support/conformance_corpus.rs"]
mod conformance_corpus;

/// The conformance corpus's cases, or, without the corpus (a plain clone; see
/// `tests/support/conformance_corpus.rs`), the formatted copies of them the
/// repository keeps as `compiler/fmt` goldens.
fn cases() -> Vec<Vec<(String, String)>> {
    let root = conformance_corpus::public_cases(
        "the corpus cases, their formatted copies in compiler/fmt/tests/reference are used",
    )
    .unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fmt/tests/reference/conformance")
    });
    let mut cases = Vec::new();
    let mut dirs: Vec<_> =
        std::fs::read_dir(&root).expect("the conformance cases").flatten().collect();
    dirs.sort_by_key(|d| d.path());
    for dir in dirs {
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir.path())
            .into_iter()
            .flatten()
            .flatten()
            .filter(|f| f.path().extension().is_some_and(|e| e == "cue"))
            .map(|f| {
                (
                    f.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(f.path()).unwrap(),
                )
            })
            .collect();
        files.sort();
        cases.push(files);
    }
    cases
}

fn evaluate(files: &[(String, String)]) -> Result<(), String> {
    let sources: Vec<SourceFile> = files
        .iter()
        .map(|(name, text)| SourceFile { name: name.clone(), text: text.clone() })
        .collect();
    match export(&sources, &EvalOptions::default()) {
        Ok(_) => Ok(()),
        Err(diagnostics) => match diagnostics.iter().find(|d| d.message.contains("internal error"))
        {
            Some(d) => Err(d.message.clone()),
            None => Ok(()),
        },
    }
}

#[test]
fn conformance_cases_and_mutations_never_crash() {
    let mut checked = 0;
    for files in cases() {
        evaluate(&files).unwrap_or_else(|e| panic!("{files:?}: {e}"));
        let (name, text) = &files[0];
        let (tokens, _) = lexer::tokenize(text);
        let mut offset = 0;
        let mut swappable = Vec::new();
        for token in &tokens {
            let end = offset + token.len as usize;
            if matches!(
                token.kind,
                SyntaxKind::IDENT
                    | SyntaxKind::INT_NUMBER
                    | SyntaxKind::STRING
                    | SyntaxKind::FLOAT_NUMBER
            ) {
                swappable.push((offset, end));
            }
            offset = end;
        }
        for (i, &(start, end)) in swappable.iter().enumerate().step_by(3) {
            let (other_start, other_end) = swappable[(i * 7 + 3) % swappable.len()];
            let mutated =
                format!("{}{}{}", &text[..start], &text[other_start..other_end], &text[end..]);
            let mut mutated_files = files.clone();
            mutated_files[0] = (name.clone(), mutated.clone());
            if std::env::var_os("ROBUSTNESS_TRACE").is_some() {
                eprintln!("=== {name}\n{mutated}");
            }
            evaluate(&mutated_files).unwrap_or_else(|e| panic!("{mutated}\n: {e}"));
            checked += 1;
        }
    }
    assert!(checked > 500, "{checked}");
}
