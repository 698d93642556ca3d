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

mod support;
use support::write_fixture;

fn load_with(
    db: &mut Database,
    target: Target,
    root: &Path,
    overlay: &Overlay,
    previous: Option<&Loaded>,
) -> Loaded {
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
fn check_with(
    fixture: &str,
    setup: impl FnOnce(&Path),
    overlay: impl FnOnce(&Path) -> Overlay,
    expected: Expect,
) {
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

/// Behaviour change (CLI and editor): the CLI refused to compile a root
/// holding two packages; the editor silently compiled the larger one.
/// Both now compile the package most files declare and report the other.
#[test]
fn a_file_of_another_package_in_the_root_is_left_out_with_a_problem() {
    check(
        &format!(
            "{MODULE}
//- a.cue
package site
//- b.cue
// tools for the build
package tools
//- c.cue
package site
//- nopackage.cue
x: 1
"
        ),
        expect![[r#"
            module example.com/site
             0 Cue a.cue as "a.cue", 13 bytes
             1 Cue c.cue as "c.cue", 13 bytes
               (standard library: 10 files)
            problem b.cue [E0210] `.` holds files of two packages, `site` and `tools`; `b.cue` is left out (at `tools`)
        "#]],
    );
}

#[test]
fn files_without_a_package_clause_form_the_package_when_none_declares_one() {
    check(
        &format!("{MODULE}\n//- a.cue\nx: 1\n//- b.cue\ny: 2\n"),
        expect![[r#"
            module example.com/site
             0 Cue a.cue as "a.cue", 5 bytes
             1 Cue b.cue as "b.cue", 5 bytes
               (standard library: 10 files)
        "#]],
    );
}

/// Behaviour change (CLI): Starlark files under `cue.mod/` were loaded by
/// the CLI, not by the editor; now by neither.
#[test]
fn hidden_dependency_and_cue_mod_directories_are_skipped() {
    check(
        &format!(
            "{MODULE}
//- site.cue
package site
//- ok/a.star
a = 1
//- .git/hooks/x.star
x = 1
//- .hidden/y.star
y = 1
//- node_modules/pkg/z.star
z = 1
//- target/debug/t.star
t = 1
//- cue.mod/gen/g.star
g = 1
//- cue.mod/tool.star
m = 1
"
        ),
        expect![[r#"
            module example.com/site
             0 Cue site.cue as "site.cue", 13 bytes
               (standard library: 10 files)
            11 Starlark ok/a.star as "ok/a.star", 6 bytes
        "#]],
    );
}

/// Behaviour change (CLI and editor): a nested module's Starlark files were
/// also run as the outer workspace's; they belong to the nested one only.
#[test]
fn a_nested_module_belongs_to_its_own_workspace() {
    let fixture = format!(
        "{MODULE}
//- site.cue
package site
//- outer.star
o = 1
//- inner/cue.mod/module.cue
module: \"example.com/inner\"
//- inner/inner.cue
package inner
//- inner/inner.star
i = 1
"
    );
    check(
        &fixture,
        expect![[r#"
            module example.com/site
             0 Cue site.cue as "site.cue", 13 bytes
               (standard library: 10 files)
            11 Starlark outer.star as "outer.star", 6 bytes
        "#]],
    );
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(root, &fixture);
    let inner = root.join("inner");
    assert_eq!(froyo_loader::find_root(&inner.join("deeper")), Some(inner.clone()));
    let mut db = Database::default();
    let loaded = load_with(&mut db, Target::Module(inner.clone()), &inner, &Overlay::new(), None);
    expect![[r#"
        module example.com/inner
         0 Cue inner.cue as "inner.cue", 14 bytes
           (standard library: 10 files)
        11 Starlark inner.star as "inner.star", 6 bytes
    "#]]
    .assert_eq(&render(&db, &loaded, &inner));
}

/// Behaviour change (editor): unreadable files were read as empty, silently
/// (and the CLI skipped unreadable imported files, and refused to compile
/// with an unreadable package file). Every loader reports them now, and the
/// file keeps its id with no text.
#[test]
fn binary_non_utf8_and_oversized_files_keep_their_ids_with_problems() {
    check_with(
        &format!(
            "{MODULE}\n//- site.cue\npackage site\nimport \"example.com/site/lib\"\n//- lib/lib.cue\npackage lib\n"
        ),
        |root| {
            fs::write(root.join("latin1.cue"), b"package site\nname: \"caf\xe9\"\n").unwrap();
            fs::write(root.join("lib/binary.cue"), b"package lib\n\0\x01\x02").unwrap();
            let big = fs::File::create(root.join("big.star")).unwrap();
            big.set_len(froyo_loader::MAX_SOURCE_BYTES + 1).unwrap();
            fs::write(root.join("z.star"), "z = 1\n").unwrap();
        },
        |_| Overlay::new(),
        expect![[r#"
            module example.com/site
             0 Cue latin1.cue as "latin1.cue", 0 bytes
             1 Cue site.cue as "site.cue", 43 bytes
             2 Imported lib/binary.cue as "lib/binary.cue", 0 bytes
             3 Imported lib/lib.cue as "lib/lib.cue", 12 bytes
               (standard library: 10 files)
            14 Starlark big.star as "big.star", 0 bytes
            15 Starlark z.star as "z.star", 6 bytes
            import example.com/site/lib: 2 files
            problem latin1.cue [E0100] `latin1.cue` is not valid UTF-8 (first invalid byte at line 2, column 11)
            problem lib/binary.cue [E0100] `lib/binary.cue` looks like a binary file (NUL byte at line 2, column 1)
            problem big.star [E0101] `big.star` is 67108865 bytes, more than the 64 MiB froyo reads
        "#]],
    );
}

/// Links to directories are not followed (a loop cannot make the walk
/// spin); links to files count; a link that loops or dangles is no file.
#[test]
fn symbolic_link_loops_are_not_followed() {
    check_with(
        &format!("{MODULE}\n//- site.cue\npackage site\n//- real/a.star\na = 1\n"),
        |root| {
            use std::os::unix::fs::symlink;
            symlink(root, root.join("real/loop")).unwrap();
            symlink(root.join("real"), root.join("again")).unwrap();
            symlink(root.join("self.star"), root.join("self.star")).unwrap();
            symlink(root.join("one.star"), root.join("two.star")).unwrap();
            symlink(root.join("two.star"), root.join("one.star")).unwrap();
            symlink(root.join("real/a.star"), root.join("linked.star")).unwrap();
            symlink(root.join("missing.cue"), root.join("dangling.cue")).unwrap();
        },
        |_| Overlay::new(),
        expect![[r#"
            module example.com/site
             0 Cue site.cue as "site.cue", 13 bytes
               (standard library: 10 files)
            11 Starlark linked.star as "linked.star", 6 bytes
            12 Starlark real/a.star as "real/a.star", 6 bytes
        "#]],
    );
}

#[test]
fn an_overlay_adds_changes_and_deletes_files() {
    check_with(
        &format!(
            "{MODULE}
//- site.cue
package site
//- old.cue
package site
//- gone.star
g = 1
//- lib/lib.cue
package lib
"
        ),
        |_| {},
        |root| {
            let mut overlay = Overlay::new();
            overlay.set(root.join("new.cue"), "package site\nimport \"example.com/site/lib\"\n");
            overlay.set(root.join("site.cue"), "package site\nx: 1\n");
            overlay.delete(root.join("old.cue"));
            overlay.delete(root.join("gone.star"));
            overlay.set(root.join("tools/new.star"), "n = 1\n");
            overlay.set(root.join("node_modules/x.star"), "skipped = 1\n");
            overlay.set(root.join("lib/added.cue"), "package lib\nadded: 1\n");
            // An open document is taken as the editor shows it.
            overlay.set(root.join("nul.star"), "\0");
            overlay
        },
        expect![[r#"
            module example.com/site
             0 Cue new.cue as "new.cue", 43 bytes
             1 Cue site.cue as "site.cue", 18 bytes
             2 Imported lib/added.cue as "lib/added.cue", 21 bytes
             3 Imported lib/lib.cue as "lib/lib.cue", 12 bytes
               (standard library: 10 files)
            14 Starlark nul.star as "nul.star", 1 bytes
            15 Starlark tools/new.star as "tools/new.star", 6 bytes
            import example.com/site/lib: 2 files
        "#]],
    );
}

#[test]
fn single_file_mode_loads_one_document() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(
        root,
        "//- loose.cue\npackage x\na: 1\n//- script.star\ns = 1\n//- other.cue\nb: 2\n",
    );
    let mut db = Database::default();
    let mut overlay = Overlay::new();
    overlay.set(root.join("unsaved.cue"), "c: 3\n");
    let mut out = String::new();
    for name in ["loose.cue", "script.star", "unsaved.cue", "missing.cue"] {
        let target = Target::SingleFile(root.join(name));
        let loaded = load_with(&mut db, target, root, &overlay, None);
        out.push_str(&format!("{name}:\n{}", render(&db, &loaded, root)));
    }
    expect![[r#"
        loose.cue:
         0 Cue loose.cue as "loose.cue", 15 bytes
           (standard library: 10 files)
        script.star:
           (standard library: 10 files)
        10 Starlark script.star as "script.star", 6 bytes
        unsaved.cue:
         0 Cue unsaved.cue as "unsaved.cue", 5 bytes
           (standard library: 10 files)
        missing.cue:
         0 Cue missing.cue as "missing.cue", 0 bytes
           (standard library: 10 files)
        problem missing.cue [E0102] cannot read `missing.cue`: no such file or directory
    "#]]
    .assert_eq(&out);
}

/// A reload keeps the input of every file whose text did not change, and
/// says whether anything changed.
#[test]
fn a_reload_reuses_unchanged_inputs() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(
        root,
        &format!(
            "{MODULE}\n//- a.cue\npackage site\na: 1\n//- b.cue\npackage site\nb: 2\n//- s.star\ns = 1\n"
        ),
    );
    let mut db = Database::default();
    let target = Target::Module(root.to_path_buf());
    let first = load_with(&mut db, target.clone(), root, &Overlay::new(), None);
    assert!(first.changed);
    let same = load_with(&mut db, target.clone(), root, &Overlay::new(), Some(&first));
    assert!(!same.changed, "nothing changed");
    assert_eq!(same.input, first.input);
    let mut overlay = Overlay::new();
    overlay.set(root.join("b.cue"), "package site\nb: 3\n");
    let edited = load_with(&mut db, target, root, &overlay, Some(&same));
    assert!(edited.changed);
    let sources =
        |loaded: &Loaded| -> Vec<_> { loaded.files.iter().map(|file| file.source).collect() };
    assert_eq!(sources(&edited), sources(&first), "every file keeps its input");
    let b = edited.files[1].source.unwrap();
    assert_eq!(b.text(&db), "package site\nb: 3\n");
    let a = edited.files[0].source.unwrap();
    assert_eq!(a.text(&db), "package site\na: 1\n");
}

/// What the editor polls: a new Starlark file, or a changed file that is not open.
#[test]
fn disk_changed_sees_new_and_modified_files() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(root, &format!("{MODULE}\n//- a.cue\npackage site\n"));
    let mut db = Database::default();
    let loaded =
        load_with(&mut db, Target::Module(root.to_path_buf()), root, &Overlay::new(), None);
    let open = std::collections::HashSet::new();
    assert!(!loaded.disk_changed(&open));
    fs::create_dir_all(root.join("node_modules")).unwrap();
    fs::write(root.join("node_modules/x.star"), "x = 1\n").unwrap();
    assert!(!loaded.disk_changed(&open), "a skipped directory is not the workspace's");
    fs::write(root.join("new.star"), "x = 1\n").unwrap();
    assert!(loaded.disk_changed(&open));

    // A document that was never saved is part of the load while it is open.
    let mut overlay = Overlay::new();
    let unsaved = root.join("unsaved.cue");
    overlay.set(&unsaved, "package site\n");
    let loaded = load_with(&mut db, Target::Module(root.to_path_buf()), root, &overlay, None);
    assert!(loaded.file_id(&unsaved).is_some());
    let open: std::collections::HashSet<_> = [unsaved].into_iter().collect();
    assert!(!loaded.disk_changed(&open));
    assert!(loaded.disk_changed(&Default::default()), "closed without saving: gone");
}

/// Behaviour change (CLI): an import of a module directory that does not
/// exist stopped the CLI with an error at the top of the first file; it is
/// now left to the evaluator, which reports it at the import (as the editor
/// did).
#[test]
fn an_import_of_a_missing_directory_is_reported_at_the_import() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(
        root,
        &format!(
            "{MODULE}\n//- site.cue\npackage site\nimport \"example.com/site/nowhere\"\nx: nowhere.y\n"
        ),
    );
    let mut db = Database::default();
    let loaded =
        load_with(&mut db, Target::Module(root.to_path_buf()), root, &Overlay::new(), None);
    assert!(loaded.problems.is_empty());
    let compiled = froyo_db::compile_workspace(&db, loaded.input);
    let found: Vec<String> = compiled
        .diagnostics
        .iter()
        .filter(|diagnostic| diagnostic.code.code == "E0209")
        .map(|diagnostic| {
            let span = diagnostic.primary.span;
            let text = loaded.text(&db, span.file.0).unwrap_or_default();
            format!("{} at `{}`", diagnostic.message, &text[span.start as usize..span.end as usize])
        })
        .collect();
    expect![[
        r#"["package \"example.com/site/nowhere\" not found at `\"example.com/site/nowhere\"`"]"#
    ]]
    .assert_eq(&format!("{found:?}"));
}

#[test]
fn module_packages_lists_importable_directories() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(
        root,
        &format!(
            "{MODULE}\n//- site.cue\npackage site\n//- lib/a.cue\npackage lib\n//- lib/deep/b.cue\npackage deep\n//- .hidden/c.cue\npackage c\n//- nested/cue.mod/module.cue\nmodule: \"n\"\n//- nested/d.cue\npackage d\n"
        ),
    );
    std::os::unix::fs::symlink(root, root.join("lib/loop")).unwrap();
    expect![[r#"["example.com/site/lib", "example.com/site/lib/deep"]"#]]
        .assert_eq(&format!("{:?}", froyo_loader::walk::module_packages(root, "example.com/site")));
}
