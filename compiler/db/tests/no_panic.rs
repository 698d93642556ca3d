//! No input makes the workspace compile panic: generated workspaces of CUE
//! and Starlark files, built from fragments of both languages (well-formed
//! and not), are compiled through the database, edited once, and compiled
//! again. Each run must return diagnostics or an IR, never unwind, and the
//! incremental result must be the result of a fresh database; the
//! workspace checks cached per file must report what `froyo_check::check`
//! reports on the whole workspace.

use froyo_db::{
    Database, Package, SourceFile, Workspace, compile_workspace, incremental_workspace_checks,
    whole_workspace_checks, workspace_ir,
};
use proptest::prelude::*;
use salsa::Setter;

const CUE_FRAGMENTS: &[&str] = &[
    "package site\n",
    "import \"froyo.dev/linux\"\n",
    "import \"froyo.dev/probe\"\n",
    "hosts: h1: {address: \"10.0.0.1\", labels: role: \"web\"}\n",
    "hosts: h2: {transport: \"local\"}\n",
    "hosts: 5\n",
    "resources: a: linux.#File & {path: \"/a\", require: [\"b\"]}\n",
    "resources: b: linux.#Directory & {path: \"/b\", require: [\"a\"]}\n",
    "resources: c: {type: \"linux.fiel\"}\n",
    "resources: d: \"scalar\"\n",
    "resources: e: linux.#Package & {name: \"x\", on: role: \"db\"}\n",
    "resources: f: probe.#HTTP & {url: \"http://x/\", status: 99}\n",
    "resources: [string]: {on: role: \"web\"}\n",
    "resources: {for k, v in hosts {\"svc-\\(k)\": linux.#Service & {name: k}}}\n",
    "apps: x: {port: 1}\n",
    "value: apps.x.port + 1\n",
    "#D: {p: int}\n",
    "_hidden: #D & {p: 2}\n",
    "let L = 3\n",
    "z: L\n",
    "broken: {\n",
    "}\n",
    "x: 1 &\n",
    "\"_q\": 1\n",
    "len: 3\n",
    "resources: g: linux.#User & {name: \"u\", password: \"secret\"}\n",
];

const STAR_FRAGMENTS: &[&str] = &[
    "linux.file(\"s1\", path = \"/s1\")\n",
    "linux.file(\"a\", path = \"/dup\")\n",
    "linux.exec(\"s2\", command = \"true\", require = [\"s1\"])\n",
    "probe.http(\"s3\", url = 5)\n",
    "for i in range(3):\n    linux.directory(\"d%d\" % i, path = \"/d%d\" % i)\n",
    "x = config.apps\n",
    "y = config[\"hosts\"]\n",
    "f(config)\n",
    "load(\"other.star\", \"v\")\n",
    "load(\"../out.star\", \"v\")\n",
    "v = 1\n",
    "def g(n):\n    return g(n)\n",
    "g(1)\n",
    "linux.user(\"u\", name = \"u\", password = [1])\n",
    "fail(\"no\")\n",
    "linux.file(\"bad\", path = lambda: 1)\n",
    "(((\n",
    "\"unterminated\n",
];

fn text(fragments: &'static [&'static str], picks: &[usize]) -> String {
    picks.iter().map(|index| fragments[index % fragments.len()]).collect()
}

/// The database inputs for these texts: CUE files `f0.cue`…, Starlark
/// files `other.star` (the first, which others may load), `s1.star`….
fn load(database: &Database, cue: &[String], starlark: &[String]) -> (Workspace, Vec<SourceFile>) {
    let cue_files: Vec<SourceFile> = cue
        .iter()
        .enumerate()
        .map(|(index, text)| SourceFile::new(database, format!("f{index}.cue"), text.clone()))
        .collect();
    let star_files: Vec<SourceFile> = starlark
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let name = if index == 0 { "other.star".to_string() } else { format!("s{index}.star") };
            SourceFile::new(database, name, text.clone())
        })
        .collect();
    let package = Package::new(database, cue_files.clone(), None, Vec::new());
    let workspace = Workspace::new(database, package, star_files.clone());
    (workspace, cue_files.into_iter().chain(star_files).collect())
}

/// Compiles, edits the first file, compiles again, and checks the result
/// against a fresh database given the edited texts: incremental and from
/// scratch must agree.
fn compile(mut cue: Vec<String>, mut starlark: Vec<String>, edit: String) {
    let mut database = Database::default();
    let (workspace, files) = load(&database, &cue, &starlark);
    let _ = compile_workspace(&database, workspace);
    let _ = workspace_ir(&database, workspace);
    let Some(first) = files.first() else { return };
    first.set_text(&mut database).to(edit.clone());
    let incremental = compile_workspace(&database, workspace).clone();
    let incremental_ir = workspace_ir(&database, workspace).clone();
    // The checks cached per file report what the whole-workspace check does.
    assert_eq!(
        incremental_workspace_checks(&database, workspace),
        whole_workspace_checks(&database, workspace)
    );

    if cue.is_empty() {
        starlark[0] = edit;
    } else {
        cue[0] = edit;
    }
    let fresh_database = Database::default();
    let (fresh_workspace, _) = load(&fresh_database, &cue, &starlark);
    assert_eq!(&incremental, compile_workspace(&fresh_database, fresh_workspace));
    assert_eq!(&incremental_ir, workspace_ir(&fresh_database, fresh_workspace));
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn generated_workspaces_never_panic(
        cue in prop::collection::vec(prop::collection::vec(0usize..64, 0..6), 0..4),
        starlark in prop::collection::vec(prop::collection::vec(0usize..64, 0..5), 0..3),
        edit in prop::collection::vec(0usize..64, 0..6),
    ) {
        let cue: Vec<String> = cue.iter().map(|picks| text(CUE_FRAGMENTS, picks)).collect();
        let starlark: Vec<String> = starlark.iter().map(|picks| text(STAR_FRAGMENTS, picks)).collect();
        compile(cue, starlark, text(CUE_FRAGMENTS, &edit));
    }
}

/// The generator must reach workspaces that compile, not only broken ones.
#[test]
fn generated_workspaces_reach_the_ir() {
    let cue = vec![text(CUE_FRAGMENTS, &[0, 3, 4, 14, 15]), text(CUE_FRAGMENTS, &[0, 1, 10])];
    let starlark = vec![text(STAR_FRAGMENTS, &[0, 4, 5, 6])];
    let database = Database::default();
    let (workspace, _) = load(&database, &cue, &starlark);
    let compiled = compile_workspace(&database, workspace);
    assert!(!compiled.has_errors, "{:?}", compiled.diagnostics);
    let ir = workspace_ir(&database, workspace).clone().expect("an IR");
    let ids: Vec<&str> = ir.resources.iter().map(|resource| resource.id.as_str()).collect();
    assert_eq!(ids, ["d0", "d1", "d2", "e", "s1"]);
    compile(cue, starlark, text(CUE_FRAGMENTS, &[0, 1, 3, 14, 15]));
}
