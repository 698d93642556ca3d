//! Error recovery and robustness: one typo gives few diagnostics and the
//! tree still covers the file; no input makes the parser panic or overflow.
//! The token-deletion test reads the conformance corpus's cases when it is
//! beside the repository, else the formatted copies kept as `compiler/fmt`
//! goldens.

use std::path::{Path, PathBuf};

use froyo_syntax::{SyntaxKind, lexer};
use proptest::prelude::*;

#[path = "../../../tests/support/conformance_corpus.rs"]
mod conformance_corpus;

/// The `.cue` files of the conformance corpus's cases, or, without the corpus
/// (a plain clone; see `tests/support/conformance_corpus.rs`), the formatted
/// copies of them the repository keeps as `compiler/fmt` goldens.
fn conformance_files() -> Vec<PathBuf> {
    let root = conformance_corpus::public_cases(
        "the corpus cases, their formatted copies in compiler/fmt/tests/reference are used",
    )
    .unwrap_or_else(|| {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../fmt/tests/reference/conformance")
    });
    let mut out = Vec::new();
    for case in std::fs::read_dir(&root).expect("the conformance cases").flatten() {
        for file in std::fs::read_dir(case.path()).into_iter().flatten().flatten() {
            if file.path().extension().is_some_and(|e| e == "cue") {
                out.push(file.path());
            }
        }
    }
    out.sort();
    out
}

/// Deletes each significant token in turn (every file, up to 40 positions
/// spread over it) and checks the tree covers the text and the parser
/// reports at most a few diagnostics.
#[test]
fn deleting_one_token_gives_few_diagnostics() {
    let mut worst = (0usize, String::new());
    let mut checked = 0usize;
    for path in conformance_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        if !froyo_syntax::parse(&text).errors().is_empty() {
            continue;
        }
        let (tokens, _) = lexer::tokenize(&text);
        let mut offset = 0usize;
        let mut spans = Vec::new();
        for token in &tokens {
            if !token.kind.is_trivia() {
                spans.push((offset, offset + token.len as usize, token.kind));
            }
            offset += token.len as usize;
        }
        let step = (spans.len() / 40).max(1);
        for &(start, end, kind) in spans.iter().step_by(step) {
            let mutated = format!("{}{}", &text[..start], &text[end..]);
            let parse = froyo_syntax::parse(&mutated);
            assert_eq!(parse.syntax_node().to_string(), mutated);
            checked += 1;
            // Deleting a fragment of an interpolated string removes a quote,
            // which re-pairs every quote after it on that line; the lexer
            // then reports each stray piece. Those get a looser bound.
            let count = parse.errors().len();
            let allowed = if matches!(
                kind,
                SyntaxKind::INTERP_START | SyntaxKind::INTERP_MID | SyntaxKind::INTERP_END
            ) {
                8
            } else {
                4
            };
            assert!(
                count <= allowed,
                "{count} diagnostics for {} without {kind:?} at {start}:\n{mutated}\n{:?}",
                path.display(),
                parse.errors().iter().map(|e| (e.range, &e.message)).collect::<Vec<_>>()
            );
            if count > worst.0 {
                worst = (
                    count,
                    format!(
                        "{} without {kind:?} at {start}:\n{mutated}\n{:#?}",
                        path.display(),
                        parse.errors()
                    ),
                );
            }
        }
    }
    assert!(checked > 1000, "only {checked} mutations checked");
    eprintln!("most diagnostics for one deleted token: {}", worst.0);
}

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for (open, close) in [("[", "]"), ("{", "}"), ("(", ")"), ("{a: ", "}"), ("-", ""), ("!", "")] {
        let text = format!("x: {}1{}\ny: 2\n", open.repeat(10_000), close.repeat(10_000));
        let parse = froyo_syntax::parse(&text);
        assert_eq!(parse.syntax_node().to_string(), text);
        let codes: Vec<_> = parse.errors().iter().map(|e| e.code.code).collect();
        assert!(codes.contains(&"E0009"), "{open}: {codes:?}");
        assert!(codes.len() <= 2, "{open}: {codes:?}");
    }
    // Unclosed, too.
    let text = "[".repeat(10_000);
    let parse = froyo_syntax::parse(&text);
    assert_eq!(parse.syntax_node().to_string(), text);
    assert!(!parse.errors().is_empty());
}

#[test]
fn long_operator_chains_parse() {
    // A 300-member disjunction is legitimate and must stay under the cap.
    let members: Vec<String> = (0..300).map(|i| format!("\"v{i}\"")).collect();
    let text = format!("x: {}\n", members.join(" | "));
    let parse = froyo_syntax::parse(&text);
    assert!(parse.errors().is_empty(), "{:?}", parse.errors());
    // A 100,000-member chain is cut off with one diagnostic, not a crash.
    let text = format!("x: {}\n", vec!["1"; 100_000].join(" + "));
    let parse = froyo_syntax::parse(&text);
    assert_eq!(parse.syntax_node().to_string(), text);
    assert_eq!(parse.errors().len(), 1);
}

#[test]
fn binary_and_invalid_utf8_like_input() {
    // Arbitrary control bytes and replacement characters (what a lossy decode of a binary gives).
    let text: String = (0u8..=255).map(|b| if b < 128 { b as char } else { '\u{fffd}' }).collect();
    let parse = froyo_syntax::parse(&text);
    assert_eq!(parse.syntax_node().to_string(), text);
    assert!(!parse.errors().is_empty());
}

fn cue_like() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "a", "#B", "_c", ": ", "?", "!", "{", "}", "[", "]", "(", ")", ",", "\n", "\t", " ", "1",
        "0x", "1_", "1.5e", "\"s\"", "\"\\(", ")\"", "\"\"\"\n", "#\"", "\"#", "'b'", "&", "|",
        "*", "=~", "...", "for", "in", "if", "let", "=", "package", "import", "@a(", "//c\n",
        "_|_", ".", "é", "\u{0}", "\\",
    ]);
    prop::collection::vec(pieces, 0..80).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn parser_never_panics_and_is_lossless(text in cue_like()) {
        let parse = froyo_syntax::parse(&text);
        prop_assert_eq!(parse.syntax_node().to_string(), text.clone());
        for error in parse.errors() {
            prop_assert!(usize::from(error.range.end()) <= text.len());
        }
        let _ = SyntaxKind::SOURCE_FILE;
    }

    #[test]
    fn parser_never_panics_on_any_string(text in any::<String>()) {
        let parse = froyo_syntax::parse(&text);
        prop_assert_eq!(parse.syntax_node().to_string(), text);
    }
}
