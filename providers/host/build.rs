//! Builds the provider crates for `wasm32-wasip2` (release, panic=abort) with a
//! nested cargo and copies the components into `OUT_DIR`, where `src/builtin.rs`
//! embeds them with `include_bytes!`.
//!
//! The nested build uses a stable target directory shared by every profile
//! (`$CARGO_TARGET_DIR/embedded` or `<workspace>/target/embedded`) and an
//! environment scrubbed of everything that would leak the outer build
//! (target, rustflags, wrappers, package variables). A failed build fails
//! this script with the child's stderr and a hint. A missing `wasm32-wasip2`
//! target is added with rustup first (`build-support/target.rs`).

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "../../build-support/target.rs"]
mod target;

/// (package, library file stem)
const PROVIDERS: &[(&str, &str)] = &[
    ("froyo-provider-file", "froyo_provider_file"),
    ("froyo-provider-directory", "froyo_provider_directory"),
    ("froyo-provider-exec", "froyo_provider_exec"),
    ("froyo-provider-package", "froyo_provider_package"),
    ("froyo-provider-service", "froyo_provider_service"),
    ("froyo-provider-user", "froyo_provider_user"),
    ("froyo-provider-group", "froyo_provider_group"),
    ("froyo-provider-http", "froyo_provider_http"),
    ("froyo-provider-overreach", "froyo_provider_overreach"),
];

const TARGET: &str = "wasm32-wasip2";

fn main() {
    if let Err(e) = run() {
        eprintln!("{e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR")?);
    let out_dir = PathBuf::from(env("OUT_DIR")?);
    let cargo = env("CARGO")?;
    let root = manifest_dir
        .ancestors()
        .find(|d| d.join("Cargo.lock").is_file())
        .ok_or("froyo-providers build: no Cargo.lock above the crate")?
        .to_path_buf();
    let providers = root.join("providers");
    for dir in [
        "sdk",
        "api",
        "wit",
        "file",
        "directory",
        "exec",
        "package",
        "service",
        "user",
        "group",
        "http",
        "testing/overreach",
    ] {
        let watched = relative_to_package(&manifest_dir, &root, &providers.join(dir));
        println!("cargo:rerun-if-changed={}", watched.display());
    }
    for watched in [root.join("runner/protocol"), root.join("Cargo.lock")] {
        let watched = relative_to_package(&manifest_dir, &root, &watched);
        println!("cargo:rerun-if-changed={}", watched.display());
    }
    println!("cargo:rerun-if-env-changed=CARGO_TARGET_DIR");

    // A relative target directory is the workspace root's (this script runs
    // in the package's directory, the nested build in the root).
    let target_dir = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { root.join(d) }.join("embedded")
        }
        _ => root.join("target").join("embedded"),
    };

    target::ensure_target_installed(TARGET, &target_dir)
        .map_err(|e| format!("froyo-providers build: {e}"))?;

    let mut cmd = Command::new(&cargo);
    cmd.current_dir(&root)
        .args(["build", "--release", "--locked", "--target", TARGET, "--target-dir"])
        .arg(&target_dir);
    for (package, _) in PROVIDERS {
        cmd.args(["-p", package]);
    }
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let leaks = matches!(
            key,
            "CARGO_ENCODED_RUSTFLAGS"
                | "RUSTFLAGS"
                | "RUSTC_WRAPPER"
                | "RUSTC_WORKSPACE_WRAPPER"
                | "CARGO_BUILD_TARGET"
                | "CARGO_TARGET_DIR"
                | "CARGO_PRIMARY_PACKAGE"
                | "CARGO_MANIFEST_DIR"
                | "CARGO_MANIFEST_PATH"
                | "CARGO_MANIFEST_LINKS"
                | "TARGET"
                | "HOST"
                | "OUT_DIR"
                | "OPT_LEVEL"
                | "PROFILE"
                | "DEBUG"
                | "NUM_JOBS"
                | "RUSTC_LINKER"
        ) || key.starts_with("CARGO_PKG_")
            || key.starts_with("__CARGO_")
            || key.starts_with("CARGO_CFG_")
            || key.starts_with("CARGO_FEATURE_")
            || key.starts_with("DEP_");
        if leaks {
            cmd.env_remove(key);
        }
    }
    cmd.env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_STRIP", "true")
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "s")
        .env("CARGO_PROFILE_RELEASE_PANIC", "abort");

    let output =
        cmd.output().map_err(|e| format!("froyo-providers build: could not run {cargo}: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "froyo-providers build: building the providers for {TARGET} failed:\n{}\n\
             hint: is the target installed? `rustup target add {TARGET}`",
            String::from_utf8_lossy(&output.stderr)
        ));
    }

    let built = target_dir.join(TARGET).join("release");
    for (package, stem) in PROVIDERS {
        let from = built.join(format!("{stem}.wasm"));
        let to = out_dir.join(format!("{stem}.wasm"));
        let bytes = std::fs::read(&from).map_err(|e| {
            format!("froyo-providers build: {package}: cannot read {}: {e}", from.display())
        })?;
        check_component(&from, &bytes)?;
        std::fs::write(&to, &bytes)
            .map_err(|e| format!("froyo-providers build: cannot write {}: {e}", to.display()))?;
    }
    Ok(())
}

/// A component starts with `\0asm`, version 0x0d and layer 1; a core module
/// has version 1 and layer 0.
fn check_component(path: &Path, bytes: &[u8]) -> Result<(), String> {
    if bytes.get(..8) == Some(&[0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00][..]) {
        Ok(())
    } else {
        Err(format!(
            "froyo-providers build: {} is not a WebAssembly component (is wasm-component-ld the linker for {TARGET}?)",
            path.display()
        ))
    }
}

fn env(key: &str) -> Result<String, String> {
    std::env::var(key).map_err(|_| format!("froyo-providers build: {key} is not set"))
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
