//! Repository hygiene checks that run with `cargo test`.
//!
//! - `docs/architecture.md` names every workspace member, and every path its
//!   code map names in backticks exists;
//! - every Rust source file under `src/` and `compiler/*/src/` opens with a
//!   `//!` paragraph saying what it is.

use std::fs;
use std::path::{Path, PathBuf};

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(relative_path: &str) -> String {
    fs::read_to_string(repository_root().join(relative_path))
        .unwrap_or_else(|error| panic!("cannot read {relative_path}: {error}"))
}

/// The `members = [...]` list of the root `Cargo.toml`, read without a TOML parser.
fn workspace_members() -> Vec<String> {
    let manifest = read("Cargo.toml");
    let start = manifest.find("members").expect("Cargo.toml has no workspace members");
    let list_start = start + manifest[start..].find('[').expect("members is not a list") + 1;
    let list_end =
        list_start + manifest[list_start..].find(']').expect("members list is not closed");
    manifest[list_start..list_end]
        .split(',')
        .map(|member| member.trim().trim_matches('"').to_string())
        .filter(|member| !member.is_empty())
        .collect()
}

/// The text of `## Code map` up to the next `## ` heading.
fn code_map(architecture: &str) -> &str {
    let start =
        architecture.find("\n## Code map").expect("docs/architecture.md has no `## Code map`");
    let rest = &architecture[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |index| index + 3);
    &rest[..end]
}

/// Backticked spans that look like repository paths: a `/`, no spaces, no URL.
fn backticked_paths(text: &str) -> Vec<&str> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter(|span| span.contains('/') && !span.contains(' ') && !span.contains("://"))
        .collect()
}

#[test]
fn architecture_names_every_workspace_member() {
    let architecture = read("docs/architecture.md");
    let members = workspace_members();
    assert!(members.len() > 1, "found no workspace members in Cargo.toml: {members:?}");
    for member in members {
        // The root crate is named by its entry point.
        let expected =
            if member == "." { "`src/main.rs`".to_string() } else { format!("`{member}`") };
        // A section may cover several members (`### `a`, `b` — …`).
        assert!(
            architecture.lines().any(|line| line.starts_with("### ") && line.contains(&expected)),
            "docs/architecture.md has no code-map section `### {expected}` for workspace member `{member}`"
        );
    }
}

#[test]
fn architecture_code_map_paths_exist() {
    let architecture = read("docs/architecture.md");
    let paths = backticked_paths(code_map(&architecture));
    assert!(!paths.is_empty(), "the code map names no paths");
    let missing: Vec<_> =
        paths.into_iter().filter(|path| !repository_root().join(path).exists()).collect();
    assert!(missing.is_empty(), "docs/architecture.md names paths that do not exist: {missing:?}");
}

#[test]
fn every_rust_file_starts_with_a_module_doc() {
    let mut source_directories = vec![repository_root().join("src")];
    if let Ok(entries) = fs::read_dir(repository_root().join("compiler")) {
        source_directories
            .extend(entries.filter_map(|entry| entry.ok()).map(|entry| entry.path().join("src")));
    }
    let mut files = Vec::new();
    for directory in source_directories {
        collect_rust_files(&directory, &mut files);
    }
    assert!(files.len() > 5, "found too few Rust files: {files:?}");
    let undocumented: Vec<_> = files
        .iter()
        .filter(|path| {
            !fs::read_to_string(path).unwrap_or_default().trim_start().starts_with("//!")
        })
        .map(|path| path.strip_prefix(repository_root()).unwrap_or(path).display().to_string())
        .collect();
    assert!(
        undocumented.is_empty(),
        "these files do not start with a `//!` doc comment: {undocumented:?}"
    );
}

fn collect_rust_files(directory: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(directory) else { return };
    for entry in entries.filter_map(|entry| entry.ok()) {
        let path = entry.path();
        if path.is_dir() {
            collect_rust_files(&path, files);
        } else if path.extension().is_some_and(|extension| extension == "rs") {
            files.push(path);
        }
    }
}

/// The pre-commit hooks name subcommands that exist, and their examples a `rev` that does.
#[test]
fn pre_commit_hooks_run_real_subcommands() {
    let hooks = read(".pre-commit-hooks.yaml");
    for id in ["froyo-check", "froyo-fmt"] {
        assert!(hooks.contains(&format!("- id: {id}\n")), "no hook {id}");
    }
    // No release is tagged yet: the examples pin a commit, not a version
    // that does not exist. (Name the tag here once the first release has one.)
    for text in [&hooks, &read("README.md")] {
        assert!(!text.contains("rev: v"), "a `rev: v…` names a release tag that does not exist");
    }
    for line in hooks.lines().filter_map(|line| line.trim().strip_prefix("entry: ")) {
        let mut words = line.split_whitespace();
        assert_eq!(words.next(), Some("froyo"), "{line}");
        let subcommand = words.next().unwrap();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_froyo"))
            .args([subcommand, "--help"])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "`froyo {subcommand} --help` failed");
    }
}
