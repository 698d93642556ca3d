//! Snapshot tests of trees and diagnostics over `test_data/ok` (must parse
//! without errors) and `test_data/err` (must report some).
//!
//! Regenerate the snapshots with `INSTA_UPDATE=always cargo test -p froyo-syntax --test corpus`
//! and review the diff.

use std::path::Path;

fn files(folder: &str) -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data").join(folder);
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "cue"))
        .map(|path| {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).unwrap())
        })
        .collect();
    out.sort();
    assert!(!out.is_empty());
    out
}

#[test]
fn ok_corpus() {
    for (name, text) in files("ok") {
        let parse = froyo_syntax::parse(&text);
        assert_eq!(parse.syntax_node().to_string(), text);
        assert!(parse.errors().is_empty(), "{name}: {:#?}", parse.errors());
        insta::assert_snapshot!(format!("ok_{name}"), parse.debug_dump());
    }
}

#[test]
fn err_corpus() {
    for (name, text) in files("err") {
        let parse = froyo_syntax::parse(&text);
        assert_eq!(parse.syntax_node().to_string(), text);
        assert!(!parse.errors().is_empty(), "{name} should have errors");
        insta::assert_snapshot!(format!("err_{name}"), parse.debug_dump());
    }
}
