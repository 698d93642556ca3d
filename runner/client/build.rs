//! Builds `froyo-runner` for `x86_64-unknown-linux-musl` (release, static) with
//! a nested cargo, copies it into `OUT_DIR`, and writes its SHA-256 there, so
//! the client embeds the exact bytes it will install on hosts.
//!
//! The nested build uses its own, stable target directory
//! (`$CARGO_TARGET_DIR/embedded`, else `<workspace>/target/embedded`) shared by
//! every profile of the outer build, and an environment scrubbed of
//! everything that would leak the outer build into it (flags, wrappers such as
//! clippy's, target, package variables). It keeps `CARGO_MAKEFLAGS`, so both
//! builds share one jobserver. A missing musl target is added with rustup
//! first (`build-support/target.rs`).

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

#[path = "../../build-support/target.rs"]
mod target;

const TARGET_TRIPLE: &str = "x86_64-unknown-linux-musl";
const PACKAGE: &str = "froyo-runner";

/// Environment variables removed from the nested cargo (exact names).
const SCRUBBED: &[&str] = &[
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_ENCODED_RUSTDOCFLAGS",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTC_WRAPPER",
    "RUSTC_WORKSPACE_WRAPPER",
    "CARGO_BUILD_TARGET",
    "CARGO_TARGET_DIR",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "TARGET",
    "HOST",
    "OUT_DIR",
    "PROFILE",
    "OPT_LEVEL",
    "DEBUG",
    "NUM_JOBS",
];
/// Prefixes of environment variables removed from the nested cargo.
const SCRUBBED_PREFIXES: &[&str] = &["CARGO_PKG_", "CARGO_CFG_", "CARGO_FEATURE_", "__CARGO_"];

fn main() {
    let manifest_dir =
        PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out_dir = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let workspace_root = manifest_dir
        .ancestors()
        .find(|dir| dir.join("Cargo.lock").is_file())
        .unwrap_or_else(|| panic!("no Cargo.lock above {}", manifest_dir.display()))
        .to_path_buf();
    let runner_dir = workspace_root.join("runner");
    for watched in [
        runner_dir.join("src"),
        runner_dir.join("Cargo.toml"),
        runner_dir.join("protocol/src"),
        runner_dir.join("protocol/Cargo.toml"),
        workspace_root.join("Cargo.lock"),
        workspace_root.join("Cargo.toml"),
    ] {
        let watched = relative_to_package(&manifest_dir, &workspace_root, &watched);
        println!("cargo:rerun-if-changed={}", watched.display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    let target_dir = match env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => absolute(&workspace_root, Path::new(&dir)).join("embedded"),
        _ => workspace_root.join("target").join("embedded"),
    };
    if let Err(error) = target::ensure_target_installed(TARGET_TRIPLE, &target_dir) {
        panic!("cannot build {PACKAGE} for {TARGET_TRIPLE}: {error}");
    }
    let cargo = env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut nested = Command::new(&cargo);
    nested
        .current_dir(&workspace_root)
        .args([
            "build",
            "--release",
            "--locked",
            "--target",
            TARGET_TRIPLE,
            "-p",
            PACKAGE,
            "--target-dir",
        ])
        .arg(&target_dir);
    for (name, _) in env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        if SCRUBBED.contains(&name)
            || SCRUBBED_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
        {
            nested.env_remove(name);
        }
    }
    nested
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s");
    let output = nested.output().unwrap_or_else(|error| {
        panic!("cannot run {} to build {PACKAGE}: {error}", Path::new(&cargo).display())
    });
    if !output.status.success() {
        panic!(
            "building {PACKAGE} for {TARGET_TRIPLE} failed ({}):\n{}\n\
             hint: the musl target must be installed: `rustup target add {TARGET_TRIPLE}`",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    let artifact = target_dir.join(TARGET_TRIPLE).join("release").join(PACKAGE);
    let bytes = fs::read(&artifact)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", artifact.display()));
    let embedded = out_dir.join(PACKAGE);
    // Replace, don't rewrite in place: a test binary may be running the old copy.
    let temporary = out_dir.join(format!("{PACKAGE}.tmp"));
    fs::write(&temporary, &bytes)
        .and_then(|()| fs::rename(&temporary, &embedded))
        .unwrap_or_else(|error| panic!("cannot write {}: {error}", embedded.display()));
    let digest: String = Sha256::digest(&bytes).iter().map(|byte| format!("{byte:02x}")).collect();
    fs::write(out_dir.join("runner_sha256.txt"), digest)
        .unwrap_or_else(|error| panic!("cannot write the runner's hash: {error}"));
}

fn absolute(base: &Path, path: &Path) -> PathBuf {
    if path.is_absolute() { path.to_path_buf() } else { base.join(path) }
}

/// `path` (inside the workspace) relative to the package directory, for
/// `rerun-if-changed`: cargo keys this script's run by the package, not by
/// the checkout, so an absolute path would keep watching the checkout that
/// ran it first (another clone sharing the target directory then embeds
/// stale code). Relative paths are resolved against the current checkout.
fn relative_to_package(manifest_dir: &Path, workspace_root: &Path, path: &Path) -> PathBuf {
    let depth = manifest_dir.strip_prefix(workspace_root).map_or(0, |p| p.components().count());
    let mut relative: PathBuf = std::iter::repeat_n("..", depth).collect();
    relative.push(path.strip_prefix(workspace_root).unwrap_or(path));
    relative
}
