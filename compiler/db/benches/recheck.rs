//! Re-checking a workspace through the database after a one-line edit, as
//! the language server will: the cold compile, then edits to one CUE file and
//! one Starlark file, each followed by `compile_workspace` and then the
//! built-in policies (`policy_diagnostics`, as the language server runs them).
//!
//! Usage: `cargo bench -p froyo-db --bench recheck -- DIRECTORY` on a
//! workspace from `bench/gen-workspace.py` (bench/check-workspace does both).
//! Prints the cold time and the median and 95th percentile of the re-checks.

use std::path::Path;
use std::time::{Duration, Instant};

use froyo_db::{
    Database, Package, Policies, SourceFile, Workspace, compile_workspace, policy_diagnostics,
    workspace_ir,
};
use salsa::Setter;

// The allocator of the `froyo` binary (and so of the language server).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let mut database = Database::default();
    let mut cue = Vec::new();
    let mut starlark = Vec::new();
    let rounds;
    match std::env::args().skip(1).find(|argument| !argument.starts_with("--")) {
        Some(directory) => {
            rounds = 40;
            let mut paths: Vec<_> = std::fs::read_dir(Path::new(&directory))
                .expect("the workspace directory")
                .map(|entry| entry.expect("a directory entry").path())
                .collect();
            paths.sort();
            for path in &paths {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                let Ok(text) = std::fs::read_to_string(path) else { continue };
                if name.ends_with(".cue") {
                    cue.push(SourceFile::new(&database, name, text));
                } else if name.ends_with(".star") {
                    starlark.push(SourceFile::new(&database, name, text));
                }
            }
        }
        // Under `cargo test --all-targets`: a smoke run on a small workspace
        // of the same shape, so that the bench keeps working.
        None => {
            rounds = 2;
            for index in 0..2 {
                let text = format!(
                    "package site\n\nimport \"froyo.dev/linux\"\n\napps: app{index}: {{name: \"app{index}\"}}\n\nresources: \"d{index}\": linux.#Directory & {{path: \"/srv/\\(apps.app{index}.name)\", mode: \"0755\"}}\n"
                );
                cue.push(SourceFile::new(&database, format!("app{index}.cue"), text));
                let text = format!(
                    "linux.directory(\"s{index}\", path = \"/opt/%s\" % config.apps[\"app{index}\"].name, mode = \"0755\")\n"
                );
                starlark.push(SourceFile::new(&database, format!("shard{index}.star"), text));
            }
        }
    }
    let package = Package::new(&database, cue.clone(), None, Vec::new());
    let workspace = Workspace::new(&database, package, starlark.clone());
    let policies = Policies::new(&database, Vec::new());

    let start = Instant::now();
    let compiled = compile_workspace(&database, workspace);
    let cold = start.elapsed();
    let start = Instant::now();
    let findings = policy_diagnostics(&database, workspace, policies).len();
    let cold_policies = start.elapsed();
    let resources = workspace_ir(&database, workspace).as_ref().map_or(0, |ir| ir.resources.len());
    assert!(
        compiled.diagnostics.is_empty(),
        "the workspace has diagnostics: {:?}",
        compiled.diagnostics.first()
    );
    println!(
        "workspace:   {} CUE files, {} Starlark files, {resources} resources",
        cue.len(),
        starlark.len()
    );
    println!("cold compile through the database: {:.1} ms", cold.as_secs_f64() * 1000.0);
    println!(
        "then the built-in policies, cold: {:.1} ms ({findings} findings)",
        cold_policies.as_secs_f64() * 1000.0
    );

    // `FROYO_RECHECK_ROUNDS` and `FROYO_RECHECK_ONLY` (`CUE` or `Starlark`)
    // make a run for a profiler: many edits of one kind, so that the cold
    // compile is a small part of the profile.
    let rounds = std::env::var("FROYO_RECHECK_ROUNDS")
        .ok()
        .and_then(|rounds| rounds.parse().ok())
        .unwrap_or(rounds)
        .max(1);
    let only = std::env::var("FROYO_RECHECK_ONLY").ok();
    for (label, file) in [("CUE", cue[cue.len() / 2]), ("Starlark", starlark[starlark.len() / 2])] {
        if only.as_deref().is_some_and(|only| only != label) {
            continue;
        }
        let (mut times, mut with_policies) =
            edit_rounds(&mut database, workspace, policies, file, label, rounds);
        times.sort();
        with_policies.sort();
        let percentile =
            |times: &[Duration], p: f64| times[((times.len() as f64 - 1.0) * p).round() as usize];
        println!(
            "re-check after a one-line edit in a {label} file: p50 {:.1} ms, p95 {:.1} ms; with policies p50 {:.1} ms, p95 {:.1} ms",
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&with_policies, 0.5)),
            ms(percentile(&with_policies, 0.95))
        );
    }
}

/// `rounds` one-line edits of `file`, each followed by `compile_workspace`
/// (timed), then `policy_diagnostics` (timed together with it); the file's
/// text is restored at the end. Not inlined, so that a
/// profiler can attribute what it counts to the re-checks.
#[inline(never)]
fn edit_rounds(
    database: &mut Database,
    workspace: Workspace,
    policies: Policies,
    file: SourceFile,
    label: &str,
    rounds: usize,
) -> (Vec<Duration>, Vec<Duration>) {
    let original = file.text(database).clone();
    let mut times = Vec::new();
    let mut with_policies = Vec::new();
    for round in 0..rounds {
        // A one-line edit that changes a value: a comment would be cheaper.
        let edited = if label == "CUE" {
            original.replacen(
                "mode: \"0755\"",
                if round % 2 == 0 { "mode: \"0750\"" } else { "mode: \"0755\"" },
                1,
            )
        } else {
            original.replacen(
                "mode = \"0755\"",
                if round % 2 == 0 { "mode = \"0750\"" } else { "mode = \"0755\"" },
                1,
            )
        };
        file.set_text(database).to(edited);
        let start = Instant::now();
        let compiled = compile_workspace(database, workspace);
        times.push(start.elapsed());
        assert!(!compiled.has_errors);
        policy_diagnostics(database, workspace, policies);
        with_policies.push(start.elapsed());
    }
    file.set_text(database).to(original);
    (times, with_policies)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
