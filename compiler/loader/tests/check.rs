//! `froyo_loader::check`, the one call behind `froyo check`: a workspace in
//! a temporary directory, read and checked, and every diagnostic rendered
//! as `file:line:column code message` against the file table it returns
//! (one table for the files read and the workspace's files). Update the
//! inline snapshots with `UPDATE_EXPECT=1`.

use std::fs;
use std::path::Path;

use expect_test::{Expect, expect};

fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, text) in files {
        let path = root.join(path);
        fs::create_dir_all(path.parent().expect("a parent")).expect("directory");
        fs::write(path, text).expect("write");
    }
}

fn checked(files: &[(&str, &str)], expect: Expect) {
    let directory = tempfile::tempdir().expect("temporary directory");
    let root = directory.path();
    write(root, files);
    let discovery = froyo_loader::discover(root, &[]);
    let sources = froyo_loader::read_sources(root, discovery);
    let discovered: Vec<_> = sources.loaded.iter().map(|file| file.path.clone()).collect();
    let roots = froyo_loader::workspace_roots(root, &[], &discovered);
    let mut database = froyo_db::Database::default();
    let result = froyo_loader::check(&mut database, root, sources, &roots, &[]);
    let mut lines = vec![format!("{} files", result.file_count)];
    for diagnostic in &result.diagnostics {
        let span = diagnostic.primary.span;
        let Some(file) = result.files.get(span.file) else { continue };
        let at = file.line_column(span.start as usize);
        lines.push(format!(
            "{}:{}:{} {} {}",
            file.name(),
            at.line,
            at.column,
            diagnostic.code.code,
            diagnostic.message
        ));
        if let Some(fix) = &diagnostic.fix {
            lines.push(format!("  fix: {}", fix.title));
        }
    }
    expect.assert_eq(&lines.join("\n"));
}

const MODULE: (&str, &str) = ("cue.mod/module.cue", "module: \"example.com/site\"\n");

#[test]
fn a_compile_error_is_placed_at_the_declaration_with_its_fix() {
    checked(
        &[
            MODULE,
            (
                "site.cue",
                "package site\n\nimport \"froyo.dev/linux\"\n\nhosts: local: {transport: \"local\", labels: role: \"web\"}\n\nresources: {\n\tf: linux.#File & {on: role: \"web\"}\n\tg: linux.#File & {on: role: \"web\", path: \"/g\"}\n}\n",
            ),
        ],
        expect![[r#"
            2 files
            site.cue:8:2 E0201 resources.f.path: incomplete value string & =~"^/" & !~"/$"
              fix: add the required field `path`"#]],
    );
}

#[test]
fn a_syntax_error_is_reported_once() {
    checked(
        &[MODULE, ("site.cue", "package site\n\nx: {\n")],
        expect![[r#"
        2 files
        site.cue:3:5 E0007 expected '}', found end of file"#]],
    );
}

#[test]
fn policies_report_into_the_same_table() {
    checked(
        &[
            MODULE,
            (
                "site.cue",
                "package site\n\nimport \"froyo.dev/linux\"\n\nhosts: local: {transport: \"local\", labels: role: \"web\"}\n\nresources: g: linux.#File & {on: role: \"web\", path: \"/g\", mode: \"0666\"}\n",
            ),
        ],
        expect![[r#"
            2 files
            site.cue:7:59 P0001 file `/g` would be writable by every user (mode 0666)"#]],
    );
}
