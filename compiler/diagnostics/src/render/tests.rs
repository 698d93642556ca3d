//! Snapshot tests of both renderers over the same diagnostics.
//!
//! Each case is a file table plus diagnostics; [`check`] renders them both
//! ways into one snapshot so a reviewer sees the terminal text and the JSON
//! side by side. Regenerate with `INSTA_UPDATE=always cargo test -p froyo-diagnostics`
//! (or `cargo insta review`).

use crate::diagnostic::{Applicability, Diagnostic, Edit, Fix, Span};
use crate::files::Files;
use crate::registry;
use crate::render::{json_lines_string, terminal_string};

fn check(name: &str, files: &Files, diagnostics: &[Diagnostic]) {
    let rendered = format!(
        "--- terminal\n{}--- json\n{}",
        terminal_string(files, diagnostics),
        json_lines_string(files, diagnostics)
    );
    insta::assert_snapshot!(name, rendered);
}

/// The byte range of the first occurrence of `needle` in `text`.
fn find(file: crate::FileId, text: &str, needle: &str) -> Span {
    let start = text.find(needle).unwrap_or(0);
    Span::new(file, start as u32, (start + needle.len()) as u32)
}

#[test]
fn primary_label_help_and_note() {
    let text = "package site\n\na: 1 +\nb: 2\n";
    let mut files = Files::new();
    let file = files.add("site.cue", text);
    let diagnostic = Diagnostic::new(
        &registry::UNEXPECTED_TOKEN,
        "expected an expression after `+`, found `b`",
        find(file, text, "b"),
    )
    .with_primary_label("expected an expression")
    .with_note("a binary operator needs an operand on both sides")
    .with_help("complete the expression or remove the `+`");
    check("primary_label_help_and_note", &files, &[diagnostic]);
}

#[test]
fn secondary_label_on_another_line() {
    let text = "hosts: {\n\tweb1: {address: \"10.0.0.1\"}\n";
    let mut files = Files::new();
    let file = files.add("hosts.cue", text);
    let end = text.len() as u32;
    let diagnostic = Diagnostic::new(
        &registry::UNCLOSED_DELIMITER,
        "this `{` is never closed",
        Span::new(file, end, end),
    )
    .with_primary_label("expected `}` before the end of the file")
    .with_secondary(find(file, text, "{"), "opened here");
    check("secondary_label_on_another_line", &files, &[diagnostic]);
}

#[test]
fn columns_count_characters_not_bytes() {
    let text = "name: \"🍦 froyo\" ~ 1\n";
    let mut files = Files::new();
    let file = files.add("unicode.cue", text);
    let diagnostic = Diagnostic::new(
        &registry::INVALID_CHARACTER,
        "`~` cannot start a CUE token",
        find(file, text, "~"),
    );
    check("columns_count_characters_not_bytes", &files, &[diagnostic]);
}

#[test]
fn file_without_text_has_no_snippet() {
    let mut files = Files::new();
    let file = files.add("data/blob.cue", "");
    let diagnostic = Diagnostic::new(
        &registry::INVALID_ENCODING,
        "`data/blob.cue` is not valid UTF-8 (first invalid byte at line 1, column 3)",
        Span::new(file, 0, 0),
    )
    .with_help("convert the file to UTF-8, or rename it if it is not CUE");
    check("file_without_text_has_no_snippet", &files, &[diagnostic]);
}

#[test]
fn several_files_and_a_fix() {
    let first_text = "a: 1\n";
    let second_text = "b: \"C:\\dir\"\n";
    let mut files = Files::new();
    let first = files.add("a.cue", first_text);
    let second = files.add("b.cue", second_text);
    let escape = find(second, second_text, "\\d");
    let diagnostics = [
        Diagnostic::new(
            &registry::INVALID_NUMBER,
            "a warning for the sake of it",
            find(first, first_text, "1"),
        )
        .with_severity(crate::Severity::Warning),
        Diagnostic::new(&registry::INVALID_ESCAPE, "unknown escape sequence `\\d`", escape)
            .with_primary_label("not an escape")
            .with_fix(Fix {
                title: "double the backslash".to_string(),
                applicability: Applicability::MachineApplicable,
                edits: vec![Edit {
                    span: Span::new(second, escape.start, escape.start + 1),
                    replacement: "\\\\".to_string(),
                }],
            }),
    ];
    check("several_files_and_a_fix", &files, &diagnostics);
}

#[test]
fn out_of_range_spans_do_not_fail() {
    let text = "a: 1";
    let mut files = Files::new();
    let file = files.add("short.cue", text);
    let diagnostic =
        Diagnostic::new(&registry::UNEXPECTED_TOKEN, "span past the end", Span::new(file, 2, 400))
            .with_secondary(
                Span::new(crate::FileId(7), 0, 1),
                "in a file that is not in the table",
            );
    check("out_of_range_spans_do_not_fail", &files, &[diagnostic]);
}
