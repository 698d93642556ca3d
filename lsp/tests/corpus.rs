//! No panic on any input: every example workspace of the repository, and
//! every prefix of its files (what a file looks like while it is typed),
//! goes through every IDE feature at many offsets.

use std::path::{Path, PathBuf};

use froyo_db::Database;
use froyo_lsp::ide::{self, Context};
use froyo_lsp::project::{self, FileKind};
use salsa::Setter as _;

fn example_roots() -> Vec<PathBuf> {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut roots = Vec::new();
    let mut pending = vec![examples];
    while let Some(directory) = pending.pop() {
        if directory.join("cue.mod").is_dir() {
            roots.push(directory.clone());
        }
        for entry in std::fs::read_dir(&directory).into_iter().flatten().flatten() {
            if entry.path().is_dir() && entry.file_name() != "cue.mod" {
                pending.push(entry.path());
            }
        }
    }
    roots.sort();
    roots
}

fn exercise(db: &Database, loaded: &project::Project, id: u32, text: &str, step: usize) {
    let context = Context { db, project: loaded, file: id, text };
    let mut offset = 0;
    while offset <= text.len() + 1 {
        let at = offset as u32;
        let _ = ide::completions(&context, at);
        let _ = ide::hover(&context, at);
        let _ = ide::definition(&context, at);
        let _ = ide::references(&context, at, true);
        let _ = ide::rename(&context, at, "renamed");
        offset += step;
    }
    let _ = ide::document_symbols(&context);
    let _ = ide::inlay_hints(&context);
    let _ = ide::semantic_tokens(text, context.is_starlark());
}

#[test]
fn every_feature_on_every_example_and_every_prefix_answers_without_panicking() {
    let roots = example_roots();
    assert!(roots.len() >= 5, "examples found: {roots:?}");
    for root in roots {
        let mut db = Database::default();
        let read = froyo_loader::Overlay::new();
        let loaded = project::load(&mut db, &root, None, &read, None);
        let _ = froyo_db::compile_workspace(&db, loaded.input);
        let files: Vec<(u32, froyo_db::SourceFile)> = loaded
            .files
            .iter()
            .enumerate()
            .filter(|(_, file)| matches!(file.kind, FileKind::Cue | FileKind::Starlark))
            .filter_map(|(index, file)| Some((index as u32, file.source?)))
            .collect();
        for (id, source) in files {
            let full = source.text(&db).clone();
            exercise(&db, &loaded, id, &full, 3);
            // The file as it is being typed: every prefix at a line or word end.
            let cuts: Vec<usize> = full
                .char_indices()
                .filter(|(_, character)| matches!(character, '\n' | ' ' | '.' | '"' | ':' | '('))
                .map(|(index, _)| index)
                .collect();
            for cut in cuts.into_iter().step_by(2) {
                let prefix = full[..cut].to_string();
                source.set_text(&mut db).to(prefix.clone());
                let _ = froyo_db::compile_workspace(&db, loaded.input);
                exercise(&db, &loaded, id, &prefix, 11);
            }
            source.set_text(&mut db).to(full);
        }
    }
}

#[test]
fn hostile_texts_answer_without_panicking() {
    let directory = tempfile::tempdir().expect("temporary directory");
    let root = directory.path();
    std::fs::create_dir_all(root.join("cue.mod")).expect("cue.mod");
    std::fs::write(root.join("cue.mod/module.cue"), "module: \"example.com/é\"\n").expect("module");
    let cue = "package é\nimport (\n\tl \"froyo.dev/linux\"\n\t\"example.com/é/😀\n)\nresources: \"ré😀\": l.#File & {path: \"/\\(x)é\\\"\", require: [\"\\u00e9\", \"😀\"\n\tmode: #\"\"\"\n resources: {on: {: ]]]] \"\"\" } } [[[ \"\\\n";
    let star = "load(\"//é.star\", 'x')\nlinux.file(\"é😀\", path = \"\"\"/x\\\n\", require = [\"ré😀\", 'a\\'b'], mode = \\\nlinux.exec(\"\\é\", )))) (((( \"unterminated\n'''triple\n";
    std::fs::write(root.join("a.cue"), cue).expect("a.cue");
    std::fs::write(root.join("b.star"), star).expect("b.star");
    let mut db = Database::default();
    let read = froyo_loader::Overlay::new();
    let loaded = project::load(&mut db, root, None, &read, None);
    let _ = froyo_db::compile_workspace(&db, loaded.input);
    for (index, file) in loaded.files.iter().enumerate() {
        let Some(source) = file.source else { continue };
        let text = source.text(&db).clone();
        exercise(&db, &loaded, index as u32, &text, 1);
    }
}
