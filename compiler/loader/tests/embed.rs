//! `@embed` through the workspace loader: files found, decoded and set as
//! database inputs, the path rules that keep embedding inside the module,
//! and what a long-lived host (the language server) sees change.
//!
//! Expected values follow today's CUE documentation (`cue help embed`,
//! the `cuelang.org/go/cue/interpreter/embed` package); the reference v0.4
//! has no `@embed`. Update the snapshots with `UPDATE_EXPECT=1`.

use std::collections::HashSet;
use std::fs;
use std::path::Path;

use expect_test::{Expect, expect};
use froyo_db::Database;
use froyo_loader::{Loaded, Overlay, Request, Target};

mod support;
use support::write_fixture;

const MODULE: &str = "//- cue.mod/module.cue\nmodule: \"example.com/site\"\n";

fn load(db: &mut Database, root: &Path, overlay: &Overlay, previous: Option<&Loaded>) -> Loaded {
    froyo_loader::load(
        db,
        &Request {
            target: Target::Module(root.to_path_buf()),
            overlay,
            previous,
            display_base: root,
            stdlib_directory: Path::new("<stdlib>"),
            watch: true,
        },
    )
}

/// The package's exported JSON, or its diagnostics as `code line:column
/// message` (the position is the attribute's).
fn export(db: &Database, loaded: &Loaded) -> String {
    let package = *loaded.input.package(db);
    match froyo_db::export_package(db, package) {
        Ok(data) => froyo_eval::output::to_json(data),
        Err(diagnostics) => diagnostics
            .iter()
            .map(|diagnostic| {
                let span = &diagnostic.primary.span;
                let file = package.files(db).get(span.file.0 as usize);
                let text = file.map(|file| file.text(db).as_str()).unwrap_or("");
                let at = text.get(span.start as usize..span.end as usize).unwrap_or("?");
                format!("{} `{at}` {}\n", diagnostic.code.code, diagnostic.message)
            })
            .collect(),
    }
}

/// Writes `fixture`, runs `setup`, loads the module at its root and
/// compares [`export`] with `expected`.
fn check_with(fixture: &str, setup: impl FnOnce(&Path), expected: Expect) {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(root, &format!("{MODULE}{fixture}"));
    setup(root);
    let mut db = Database::default();
    let loaded = load(&mut db, root, &Overlay::new(), None);
    expected.assert_eq(&export(&db, &loaded));
}

fn check(fixture: &str, expected: Expect) {
    check_with(fixture, |_| {}, expected)
}

#[test]
fn each_type_decodes_as_its_extension_or_type_says() {
    check_with(
        r#"
//- site.cue
@extern(embed)

package site

config: _ @embed(file=config.json)
config: port: int
values: _ @embed(file=deploy/values.yml)
limits: _ @embed(file=limits.toml)
motd: _ @embed(file=motd.txt)
vhost: _ @embed(file=vhost.conf, type=text)
logo: _ @embed(file=logo.png, type=binary)
//- config.json
{"port": 8080, "tags": ["web"]}
//- deploy/values.yml
replicas: 3
enabled: yes
//- limits.toml
[memory]
max = "1G"
//- motd.txt
Welcome to "web"
//- vhost.conf
Listen 8080
"#,
        |root| fs::write(root.join("logo.png"), b"\x89PNG\x00").unwrap(),
        expect![[r#"
            {
                "config": {
                    "port": 8080,
                    "tags": [
                        "web"
                    ]
                },
                "values": {
                    "replicas": 3,
                    "enabled": "yes"
                },
                "limits": {
                    "memory": {
                        "max": "1G"
                    }
                },
                "motd": "Welcome to \"web\"\n",
                "vhost": "Listen 8080\n",
                "logo": "iVBORwA="
            }
        "#]],
    );
}

#[test]
fn a_glob_is_keyed_by_path_without_dot_files_or_directories() {
    check_with(
        r#"
//- site.cue
@extern(embed)

package site

templates: _ @embed(glob=templates/*.tmpl, type=text)
hidden: _ @embed(glob=templates/.*.tmpl, type=text)
nested: _ @embed(glob=*/*.json)
optional: _ @embed(glob=none/*.yaml, allowEmptyGlob)
//- templates/a.tmpl
A
//- templates/b.tmpl
B
//- templates/.draft.tmpl
draft
//- data/x.json
1
//- more/y.json
2
"#,
        |root| fs::create_dir_all(root.join("templates/dir.tmpl")).unwrap(),
        expect![[r#"
            {
                "templates": {
                    "templates/a.tmpl": "A\n",
                    "templates/b.tmpl": "B\n"
                },
                "hidden": {
                    "templates/.draft.tmpl": "draft\n"
                },
                "nested": {
                    "data/x.json": 1,
                    "more/y.json": 2
                },
                "optional": {}
            }
        "#]],
    );
}

/// froyo runs as root on configurations it does not trust: nothing outside
/// the module is read, whatever the attribute or a link says.
#[test]
fn paths_that_leave_the_module_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "root:x:0:0\n").unwrap();
    let secret = outside.path().join("secret.txt");
    let outside_dir = outside.path().to_path_buf();
    check_with(
        r#"
//- site.cue
@extern(embed)

package site

parent: _ @embed(file=../secret.txt)
sneaky: _ @embed(file=a/../../secret.txt)
absolute: _ @embed(file=/etc/passwd)
link: _ @embed(file=link.txt)
linked: _ @embed(glob=linkdir/*.txt)
nested: _ @embed(file=sub/data.json)
//- sub/cue.mod/module.cue
module: "example.com/sub"
//- sub/data.json
{}
"#,
        move |root| {
            std::os::unix::fs::symlink(&secret, root.join("link.txt")).unwrap();
            std::os::unix::fs::symlink(&outside_dir, root.join("linkdir")).unwrap();
        },
        expect![[r#"
            E0107 `@embed(file=../secret.txt)` parent: "../secret.txt" refers to a parent directory: only files below the CUE file's directory can be embedded
            E0107 `@embed(file=a/../../secret.txt)` sneaky: "a/../../secret.txt" refers to a parent directory: only files below the CUE file's directory can be embedded
            E0107 `@embed(file=/etc/passwd)` absolute: "/etc/passwd" is not relative: only files below the CUE file's directory can be embedded
            E0109 `@embed(file=link.txt)` link: cannot embed "link.txt": it leads outside the module (through a symbolic link)
            E0109 `@embed(glob=linkdir/*.txt)` linked: cannot embed "linkdir": it leads outside the module (through a symbolic link)
            E0109 `@embed(file=sub/data.json)` nested: cannot embed "sub/data.json": `sub` is another module (it has its own cue.mod)
        "#]],
    );
}

#[test]
fn missing_files_bad_globs_and_undecodable_content_are_reported_at_the_attribute() {
    check_with(
        r#"
//- site.cue
@extern(embed)

package site

missing: _ @embed(file=nope.json)
nothing: _ @embed(glob=conf/*.json)
noType: _ @embed(file=site.conf)
stars: _ @embed(glob="conf/[z-a].json")
broken: _ @embed(file=broken.yaml)
stream: _ @embed(file=stream.yaml)
notText: _ @embed(file=latin1.txt)
directory: _ @embed(file=conf, type=text)
//- site.conf
x
//- conf/readme.md
-
//- broken.yaml
a: [1, 2
//- stream.yaml
a: 1
---
a: 2
"#,
        |root| fs::write(root.join("latin1.txt"), b"caf\xe9\n").unwrap(),
        expect![[r#"
            E0108 `@embed(file=nope.json)` missing: cannot embed "nope.json": no such file
            E0108 `@embed(glob=conf/*.json)` nothing: no file matches the glob "conf/*.json"
            E0107 `@embed(file=site.conf)` noType: the extension of `site.conf` does not say how to decode it; add type=json, yaml, toml, text or binary
            E0107 `@embed(glob="conf/[z-a].json")` stars: invalid glob pattern "conf/[z-a].json": a range in `[…]` runs backwards
            E0110 `@embed(file=broken.yaml)` broken: "broken.yaml" is not valid YAML: line 2, column 1: while parsing a flow sequence, expected ',' or ']'
            E0110 `@embed(file=stream.yaml)` stream: "stream.yaml" holds 2 YAML documents; a file of several values cannot be embedded
            E0110 `@embed(file=latin1.txt)` notText: "latin1.txt" is not UTF-8 text (line 1, column 4)
            E0108 `@embed(file=conf, type=text)` directory: cannot embed "conf": it is not a regular file
        "#]],
    );
}

#[test]
fn embedding_needs_extern_embed_and_a_module() {
    check(
        r#"
//- site.cue
package site

config: _ @embed(file=config.json)
//- config.json
{}
"#,
        expect![[r#"
            E0106 `@embed(file=config.json)` config: @embed needs the file attribute @extern(embed)
        "#]],
    );
    // A document outside any module: single-file mode embeds nothing.
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("alone.cue");
    fs::write(&file, "@extern(embed)\npackage p\nx: _ @embed(file=x.json)\n").unwrap();
    fs::write(directory.path().join("x.json"), "1").unwrap();
    let mut db = Database::default();
    let loaded = froyo_loader::load(
        &mut db,
        &Request {
            target: Target::SingleFile(file),
            overlay: &Overlay::new(),
            previous: None,
            display_base: directory.path(),
            stdlib_directory: Path::new("<stdlib>"),
            watch: false,
        },
    );
    expect![[r#"
        E0109 `@embed(file=x.json)` x: cannot embed files outside a CUE module
    "#]]
    .assert_eq(&export(&db, &loaded));
}

/// What the language server relies on: an embedded file is an input, its
/// change on disk is seen by polling, a reload sets only what changed, and
/// an open document of it is read instead of the disk.
#[test]
fn an_edited_embedded_file_changes_the_value() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(
        root,
        &format!(
            "{MODULE}//- site.cue\n@extern(embed)\n\npackage site\n\nconfig: _ @embed(file=config.json)\nconfig: port: <1024\nall: _ @embed(glob=conf/*.json)\n//- config.json\n{{\"port\": 80}}\n//- conf/a.json\n1\n"
        ),
    );
    let mut db = Database::default();
    let first = load(&mut db, root, &Overlay::new(), None);
    assert_eq!(
        export(&db, &first),
        "{\n    \"config\": {\n        \"port\": 80\n    },\n    \"all\": {\n        \"conf/a.json\": 1\n    }\n}\n"
    );
    let none = HashSet::new();
    assert!(!first.disk_changed(&none));
    let same = load(&mut db, root, &Overlay::new(), Some(&first));
    assert!(!same.changed, "nothing changed");

    // A changed file on disk: seen by polling, reloaded into the same input.
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(root.join("config.json"), "{\"port\": 8080}").unwrap();
    assert!(same.disk_changed(&none));
    assert!(same.embeds(&root.join("config.json")));
    let edited = load(&mut db, root, &Overlay::new(), Some(&same));
    assert!(edited.changed);
    assert_eq!(edited.embedded[0].source, first.embedded[0].source, "the input is kept");
    expect![[r#"
        E0207 `<1024` config.port: invalid value 8080 (out of bound <1024)
    "#]]
    .assert_eq(&export(&db, &edited));

    // A new match of a glob.
    assert!(!edited.disk_changed(&none));
    fs::write(root.join("conf/b.json"), "2").unwrap();
    assert!(edited.disk_changed(&none));
    assert!(edited.embeds(&root.join("conf/c.json")), "a file that would match");

    // The editor's text of an open embedded file wins over the disk.
    let mut overlay = Overlay::new();
    overlay.set(root.join("config.json"), "{\"port\": 443}");
    let open = load(&mut db, root, &overlay, Some(&edited));
    assert_eq!(
        export(&db, &open),
        "{\n    \"config\": {\n        \"port\": 443\n    },\n    \"all\": {\n        \"conf/a.json\": 1,\n        \"conf/b.json\": 2\n    }\n}\n"
    );
}

/// Polling must settle: a load whose embeds fail is not "changed on disk"
/// until the disk changes, and fixing a file that failed is seen. Only the
/// files an attribute names or its glob matches count as embedded (an edit
/// of any other file reloads nothing).
#[test]
fn polling_sees_a_broken_embedded_file_fixed_and_nothing_else() {
    let directory = tempfile::tempdir().unwrap();
    let root = directory.path();
    write_fixture(
        root,
        &format!(
            "{MODULE}//- site.cue\n@extern(embed)\n\npackage site\n\nconfig: _ @embed(file=config.json)\nall: _ @embed(glob=conf/*.json)\n//- config.json\n{{\"port\": }}\n//- conf/a.json\n[\n"
        ),
    );
    let mut db = Database::default();
    let first = load(&mut db, root, &Overlay::new(), None);
    expect![[r#"
        E0110 `@embed(file=config.json)` config: "config.json" is not valid JSON: line 1, column 10: expected value
        E0110 `@embed(glob=conf/*.json)` all: "conf/a.json" is not valid JSON: line 2, column 1: EOF while parsing a list
    "#]]
    .assert_eq(&export(&db, &first));
    let none = HashSet::new();
    assert!(!first.disk_changed(&none), "nothing changed since the load");
    assert!(first.embeds(&root.join("config.json")));
    assert!(first.embeds(&root.join("conf/new.json")));
    assert!(!first.embeds(&root.join("site.cue")));
    assert!(!first.embeds(&root.join("conf/a.yaml")));
    assert!(!first.embeds(&root.join("conf/sub/a.json")));

    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(root.join("config.json"), "{\"port\": 80}").unwrap();
    assert!(first.disk_changed(&none), "the broken file was fixed");
    let second = load(&mut db, root, &Overlay::new(), Some(&first));
    assert!(!second.disk_changed(&none));
    fs::write(root.join("conf/a.json"), "[1]").unwrap();
    assert!(second.disk_changed(&none), "a matched file was fixed");
    let third = load(&mut db, root, &Overlay::new(), Some(&second));
    expect![[r#"
        {
            "config": {
                "port": 80
            },
            "all": {
                "conf/a.json": [
                    1
                ]
            }
        }
    "#]]
    .assert_eq(&export(&db, &third));
}

/// A module package the root imports embeds relative to its own directory.
#[test]
fn an_imported_package_embeds_from_its_own_directory() {
    check(
        r#"
//- site.cue
package site

import "example.com/site/lib"

http: lib.ports.http
//- lib/lib.cue
@extern(embed)

package lib

ports: _ @embed(file=data/ports.json)
//- lib/data/ports.json
{"http": 80}
"#,
        expect![[r#"
            {
                "http": 80
            }
        "#]],
    );
}
