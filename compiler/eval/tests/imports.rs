//! Imports of packages of the same module.

use froyo_eval::{Data, EvalOptions, ImportedPackage, SourceFile, export, output};

fn file(name: &str, text: &str) -> SourceFile {
    SourceFile { name: name.into(), text: text.into() }
}

fn run(main: &str, imports: Vec<ImportedPackage>) -> Result<String, Vec<(u32, String)>> {
    let options = EvalOptions { imports, ..EvalOptions::default() };
    export(&[file("main.cue", main)], &options)
        .map(|data: Data| output::to_json(&data))
        .map_err(|d| d.iter().map(|d| (d.primary.span.file.0, d.message.clone())).collect())
}

fn schemas() -> ImportedPackage {
    ImportedPackage {
        path: "example.com/site/schemas".into(),
        files: vec![
            file(
                "schemas/host.cue",
                "package schemas\n\n#Host: {address: string, port: *22 | int}\n",
            ),
            file(
                "schemas/defaults.cue",
                "package schemas\n\ndefaultUser: \"deploy\"\n_private: 1\n",
            ),
        ],
    }
}

#[test]
fn definitions_and_values_of_an_imported_package() {
    let main = "package site\n\nimport \"example.com/site/schemas\"\n\nweb: schemas.#Host & {address: \"10.0.0.1\"}\nuser: schemas.defaultUser\n";
    let json = run(main, vec![schemas()]).unwrap();
    assert_eq!(
        json,
        "{\n    \"web\": {\n        \"address\": \"10.0.0.1\",\n        \"port\": 22\n    },\n    \"user\": \"deploy\"\n}\n"
    );
}

#[test]
fn imported_definitions_stay_closed() {
    let main = "import \"example.com/site/schemas\"\n\nweb: schemas.#Host & {adress: \"x\"}\n";
    let errors = run(main, vec![schemas()]).unwrap_err();
    assert!(errors.iter().any(|(_, m)| m.contains("field not allowed")), "{errors:?}");
}

#[test]
fn aliases_and_hidden_fields() {
    let main = "import s \"example.com/site/schemas\"\n\na: s.defaultUser\nb: s._private\n";
    let errors = run(main, vec![schemas()]).unwrap_err();
    assert!(
        errors.iter().any(|(_, m)| m.contains("undefined package member _private")),
        "{errors:?}"
    );
}

#[test]
fn errors_in_imported_files_point_at_those_files() {
    let broken = ImportedPackage {
        path: "example.com/site/broken".into(),
        files: vec![file("broken/b.cue", "package broken\n\nx: 1 & 2\n")],
    };
    let errors =
        run("import \"example.com/site/broken\"\n\ny: broken.x\n", vec![broken]).unwrap_err();
    assert!(
        errors.iter().any(|(file, m)| *file == 1 && m.contains("conflicting values")),
        "{errors:?}"
    );
}

#[test]
fn unknown_imports_fail_even_when_unused() {
    // Today's CUE reports a package it cannot find at the import (v0.4
    // only when it was used).
    let errors = run("import \"example.com/nope\"\n\na: 1\n", Vec::new()).unwrap_err();
    assert_eq!(errors, [(0, "package \"example.com/nope\" not found".to_string())]);
    let errors = run("import \"example.com/nope\"\n\na: nope.x\n", Vec::new()).unwrap_err();
    assert!(errors.iter().any(|(_, m)| m.contains("not found")), "{errors:?}");
}

#[test]
fn packages_importing_each_other_are_an_import_cycle() {
    let package = |name: &str, imports: &str, body: &str| ImportedPackage {
        path: format!("example.com/site/{name}"),
        files: vec![file(
            &format!("{name}/{name}.cue"),
            &format!("package {name}\n\nimport \"example.com/site/{imports}\"\n\n{body}\n"),
        )],
    };
    let main = "package site\n\nimport \"example.com/site/a\"\n\nx: a.v\n";
    let cycle = vec![
        package("a", "b", "v: b.w"),
        package("b", "c", "w: c.u"),
        package("c", "a", "u: 1\nt: a.v"),
    ];
    let errors = run(main, cycle).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].1.starts_with("import cycle not allowed: example.com/site/"), "{errors:?}");
    for name in ["a", "b", "c"] {
        assert!(errors[0].1.contains(&format!("example.com/site/{name}")), "{errors:?}");
    }
    // A chain without a cycle is fine.
    let chain = vec![
        package("a", "b", "v: b.w"),
        package("b", "c", "w: c.u"),
        ImportedPackage {
            path: "example.com/site/c".into(),
            files: vec![file("c/c.cue", "package c\n\nu: 1\n")],
        },
    ];
    assert_eq!(run(main, chain).unwrap(), "{\n    \"x\": 1\n}\n");
}
