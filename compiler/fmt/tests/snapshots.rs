//! Snapshot tests (insta files under `tests/snapshots/`) of froyo's layout of
//! the tricky inputs in `tests/extra/` — messy spacing, comments everywhere,
//! nested structs and lists, comprehensions, attributes, interpolations,
//! multi-line strings. The same inputs run against the live reference in
//! `reference.rs`. Update with `INSTA_UPDATE=always cargo test -p froyo-fmt --test snapshots`
//! (or `cargo insta review`).

use std::path::Path;

#[test]
fn extra_inputs() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/extra");
    let mut paths: Vec<_> = std::fs::read_dir(&directory)
        .expect("tests/extra")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "cue"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let source = std::fs::read_to_string(&path).expect("read input");
        let output = froyo_fmt::format(&source).unwrap_or_else(|error| format!("refused: {error}"));
        let mut settings = insta::Settings::clone_current();
        settings.set_prepend_module_to_snapshot(false);
        settings.set_description(format!("froyo fmt tests/extra/{name}.cue"));
        settings.set_omit_expression(true);
        settings.bind(|| insta::assert_snapshot!(name, output));
    }
}

#[test]
fn syntax_errors_are_refused() {
    for source in ["a: {\n", "a 1\n", "a: [1, 2\n", "a: )\n"] {
        assert!(
            matches!(froyo_fmt::format(source), Err(froyo_fmt::FormatError::SyntaxErrors(ref errors)) if !errors.is_empty()),
            "{source:?} should be refused"
        );
    }
}

#[test]
fn empty_and_trivial_files() {
    assert_eq!(froyo_fmt::format("x:1").as_deref(), Ok("x: 1\n"));
    assert_eq!(froyo_fmt::format("a: 1\n\n\n\nb: 2\n").as_deref(), Ok("a: 1\n\nb: 2\n"));
}
