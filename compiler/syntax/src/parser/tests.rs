//! Parser tests: inline checks here; corpus snapshots in `tests/`.

use crate::parse;

fn check_ok(text: &str) {
    let parse = parse(text);
    assert_eq!(parse.syntax_node().to_string(), text);
    assert!(parse.errors().is_empty(), "{}", parse.debug_dump());
}

#[test]
fn implicit_commas() {
    check_ok("a: 1\nb: 2\nc: [\n\t1,\n\t2\n]\nd: {\n\te: 3\n}\n");
    check_ok("a: 1 +\n\t2\nb: x &\n\ty\n");
}

#[test]
fn keywords_as_labels() {
    check_ok("package: 1\nimport: 2\nfor: 3\nif: 4\nlet: 5\nin: 6\ntrue: 7\nnull: 8\n");
}

#[test]
fn comment_only_and_empty_files() {
    check_ok("");
    check_ok("// only a comment");
    check_ok("\n\n// c\n");
}
