//! Whole workspaces through the database: every fixture under
//! `test_data/workspaces/` is a workspace written as one file (files
//! introduced by `//- path` lines), compiled with `compile_workspace`; the
//! snapshot holds the IR in brief and every diagnostic as the terminal shows
//! it. Regenerate with `INSTA_UPDATE=always cargo test -p froyo-db --test
//! workspaces` and review the diff.

use std::fmt::Write as _;
use std::path::Path;

use froyo_db::{
    Database, Package, SourceFile, Workspace, compile_workspace, stdlib_files, workspace_ir,
};
use froyo_diagnostics::Files;
use froyo_diagnostics::render::terminal_string;

struct Fixture {
    files: Vec<(String, String)>,
}

impl Fixture {
    fn parse(text: &str) -> Fixture {
        let mut files: Vec<(String, String)> = Vec::new();
        for line in text.lines() {
            if let Some(path) = line.strip_prefix("//- ") {
                files.push((path.trim().to_string(), String::new()));
            } else if let Some((_, body)) = files.last_mut() {
                body.push_str(line);
                body.push('\n');
            }
        }
        Fixture { files }
    }
}

/// The database inputs of a fixture and the file table in the database's order.
fn load(database: &Database, fixture: &Fixture) -> (Workspace, Files) {
    let mut files = Files::new();
    let mut cue = Vec::new();
    for (path, text) in fixture.files.iter().filter(|(path, _)| path.ends_with(".cue")) {
        files.add(path.clone(), text.clone());
        cue.push(SourceFile::new(database, path.clone(), text.clone()));
    }
    for (name, text) in stdlib_files() {
        files.add(name, text);
    }
    let mut starlark = Vec::new();
    for (path, text) in fixture.files.iter().filter(|(path, _)| path.ends_with(".star")) {
        files.add(path.clone(), text.clone());
        starlark.push(SourceFile::new(database, path.clone(), text.clone()));
    }
    let package = Package::new(database, cue, None, Vec::new());
    (Workspace::new(database, package, starlark), files)
}

fn render(fixture_text: &str) -> String {
    let database = Database::default();
    let fixture = Fixture::parse(fixture_text);
    let (workspace, files) = load(&database, &fixture);
    let compiled = compile_workspace(&database, workspace);
    let mut out = String::new();
    match workspace_ir(&database, workspace) {
        Some(ir) => {
            for host in &ir.hosts {
                let _ = writeln!(
                    out,
                    "host {} {:?} {} user={} port={} labels={:?}",
                    host.name,
                    host.transport,
                    host.address.as_deref().unwrap_or("-"),
                    host.user.as_deref().unwrap_or("-"),
                    host.port.map_or_else(|| "-".to_string(), |port| port.to_string()),
                    host.labels
                );
            }
            for resource in &ir.resources {
                let _ = writeln!(
                    out,
                    "resource {} {} on={:?} require={:?} notify={:?} from {}:{}",
                    resource.id,
                    resource.type_name,
                    resource.on,
                    resource.require,
                    resource.notify,
                    resource.origin.file,
                    resource.origin.start
                );
                let properties = serde_json::to_string(&resource.redacted_properties()).unwrap();
                let _ = writeln!(out, "  {properties}");
            }
        }
        None => out.push_str("no IR\n"),
    }
    let mut diagnostics = compiled.diagnostics.clone();
    diagnostics
        .sort_by_key(|diagnostic| (diagnostic.primary.span.file, diagnostic.primary.span.start));
    if !diagnostics.is_empty() {
        out.push('\n');
        out.push_str(&terminal_string(&files, &diagnostics));
    }
    out
}

#[test]
fn workspaces() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/workspaces");
    let mut paths: Vec<_> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "txt"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty());
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        insta::with_settings!({snapshot_path => directory.join("snapshots"), prepend_module_to_snapshot => false, input_file => &path}, {
            insta::assert_snapshot!(name, render(&text));
        });
    }
}

/// Errors of every stage are reported in one compile, whatever the
/// language: the `many_errors_*` fixtures plant a field typo, a wrong type,
/// an unknown resource type, an unknown dependency and a cycle each.
#[test]
fn every_independent_error_is_reported_in_one_compile() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("test_data/workspaces");
    for (name, also) in [
        ("many_errors_cue", &[][..]),
        ("many_errors_starlark", &[][..]),
        ("many_errors_mixed", &["E0304", "E0308"][..]),
    ] {
        let text = std::fs::read_to_string(directory.join(format!("{name}.txt"))).unwrap();
        let database = Database::default();
        let (workspace, _) = load(&database, &Fixture::parse(&text));
        let compiled = compile_workspace(&database, workspace);
        let codes: Vec<&str> =
            compiled.diagnostics.iter().map(|diagnostic| diagnostic.code.code).collect();
        for code in ["E0200", "E0203", "E0301", "E0303", "E0306"].iter().chain(also) {
            assert!(codes.contains(code), "{name}: no {code} in {codes:?}");
        }
        // Each error once: nothing is reported twice.
        let mut seen = Vec::new();
        for diagnostic in &compiled.diagnostics {
            let key = (diagnostic.code.code, &diagnostic.message, diagnostic.primary.span);
            assert!(!seen.contains(&key), "{name}: reported twice: {key:?}");
            seen.push(key);
        }
        assert!(compiled.has_errors && workspace_ir(&database, workspace).is_none());
        // The incremental checks agree with the whole check.
        assert_eq!(
            froyo_db::incremental_workspace_checks(&database, workspace),
            froyo_db::whole_workspace_checks(&database, workspace),
            "{name}"
        );
    }
}
