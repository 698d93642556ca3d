//! Loading real workspaces from temporary directories: each test writes a
//! multi-file fixture (files introduced by `//- path` lines), perhaps adds
//! files a fixture cannot hold (links, binary or oversized files) and an
//! overlay, loads it, and compares a rendering of what was found (files by
//! id, with kind, input name and size; problems with code and message) with
//! an inline `expect-test` snapshot. Update with `UPDATE_EXPECT=1`.

use std::fs;
use std::path::Path;

use expect_test::{Expect, expect};
use froyo_db::Database;
use froyo_loader::{FileKind, Loaded, Overlay, Request, Target};

/// Writes `fixture` under `root`: `//- path` starts a file, the lines up to
/// the next header are its text.
fn write_fixture(root: &Path, fixture: &str) {
    let mut current: Option<(String, String)> = None;
    let mut flush = |entry: Option<(String, String)>| {
        if let Some((path, text)) = entry {
            let path = root.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        }
    };
    for line in fixture.lines() {
        if let Some(path) = line.strip_prefix("//- ") {
            flush(current.take());
            current = Some((path.trim().to_string(), String::new()));
        } else if let Some((_, text)) = &mut current {
            text.push_str(line);
            text.push('\n');
        }
    }
    flush(current);
}

fn load_with(db: &mut Database, target: Target, root: &Path, overlay: &Overlay, previous: Option<&Loaded>) -> Loaded {
    froyo_loader::load(
        db,
        &Request {
            target,
            overlay,
            previous,
            display_base: root,
            stdlib_directory: Path::new("<stdlib>"),
            watch: true,
        },
    )
}

/// What a load found, as a test reads it.
fn render(db: &Database, loaded: &Loaded, base: &Path) -> String {
    let mut out = String::new();
    if let Some(module) = &loaded.module_path {
        out.push_str(&format!("module {module}\n"));
    }
    let mut stdlib = 0;
    for (id, file) in loaded.files.iter().enumerate() {
        if file.kind == FileKind::Stdlib {
            stdlib += 1;
            continue;
        }
        if stdlib > 0 {
            out.push_str(&format!("   (standard library: {stdlib} files)\n"));
            stdlib = 0;
        }
        let path = file.path.strip_prefix(base).unwrap_or(&file.path).display().to_string();
        let source = file.source.expect("a workspace file has an input");
        out.push_str(&format!(
            "{id:>2} {:?} {path} as {:?}, {} bytes\n",
            file.kind,
            source.path(db),
            source.text(db).len()
        ));
    }
    if stdlib > 0 {
        out.push_str(&format!("   (standard library: {stdlib} files)\n"));
    }
    for (name, imported) in loaded.input.package(db).imports(db) {
        out.push_str(&format!("import {name}: {} files\n", imported.len()));
    }
    for problem in &loaded.problems {
        let path = problem.path.strip_prefix(base).unwrap_or(&problem.path).display().to_string();
        let span = &problem.diagnostic.primary.span;
        let at = problem.text.get(span.start as usize..span.end as usize).unwrap_or("");
        out.push_str(&format!(
            "problem {path} [{}] {}{}\n",
            problem.diagnostic.code.code,
            problem.diagnostic.message,
            if at.is_empty() { String::new() } else { format!(" (at `{at}`)") }
        ));
    }
    out
}

/// Loads the module at the fixture's root, after `setup`, over `overlay`.
fn check_with(fixture: &str, setup: impl FnOnce(&Path), overlay: impl FnOnce(&Path) -> Overlay, expected: Expect) {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(root, fixture);
    setup(root);
    let overlay = overlay(root);
    let mut db = Database::default();
    let loaded = load_with(&mut db, Target::Module(root.to_path_buf()), root, &overlay, None);
    expected.assert_eq(&render(&db, &loaded, root));
}

fn check(fixture: &str, expected: Expect) {
    check_with(fixture, |_| {}, |_| Overlay::new(), expected);
}

const MODULE: &str = "//- cue.mod/module.cue\nmodule: \"example.com/site\"\n";

#[test]
fn root_package_module_imports_and_starlark_in_file_id_order() {
    check(
        &format!(
            "{MODULE}
//- site.cue
package site
import (
	\"strings\"
	\"example.com/site/lib\"
	v \"example.com/site/lib/values:vals\"
)
x: lib.a
//- hosts.cue
package site
//- lib/lib.cue
package lib
import \"example.com/site/lib/deep\"
a: deep.b
//- lib/other.cue
package notlib
//- lib/deep/deep.cue
package deep
b: 1
//- lib/values/v.cue
package vals
//- gen.star
x = 1
//- sub/more.star
y = 2
"
        ),
        expect![[r#"
            module example.com/site
             0 Cue hosts.cue as "hosts.cue", 13 bytes
             1 Cue site.cue as "site.cue", 106 bytes
             2 Imported lib/values/v.cue as "lib/values/v.cue", 13 bytes
             3 Imported lib/lib.cue as "lib/lib.cue", 57 bytes
             4 Imported lib/deep/deep.cue as "lib/deep/deep.cue", 18 bytes
               (standard library: 10 files)
            15 Starlark gen.star as "gen.star", 6 bytes
            16 Starlark sub/more.star as "sub/more.star", 6 bytes
            import example.com/site/lib/values: 1 files
            import example.com/site/lib: 1 files
            import example.com/site/lib/deep: 1 files
        "#]],
    );
}
