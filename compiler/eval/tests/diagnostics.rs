//! Snapshots of evaluation diagnostics as a user sees them, rendered for the
//! terminal, over `test_data/diagnostics/*.cue` (each file is one package).
//!
//! Regenerate with `INSTA_UPDATE=always cargo test -p froyo-eval --test diagnostics`
//! and review the diff.

use std::path::Path;

use froyo_diagnostics::{Files, render};
use froyo_eval::{EvalOptions, SourceFile, export};

#[test]
fn evaluation_diagnostics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/diagnostics");
    let mut paths: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).collect();
    paths.sort();
    assert!(paths.len() >= 8);
    for path in paths {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).unwrap();
        let diagnostics = export(
            &[SourceFile { name: name.clone(), text: text.clone() }],
            &EvalOptions::default(),
        )
        .expect_err("every case fails");
        let mut files = Files::new();
        files.add(name.clone(), text);
        let rendered = render::terminal_string(&files, &diagnostics);
        insta::assert_snapshot!(name.trim_end_matches(".cue").to_string(), rendered);
    }
}
