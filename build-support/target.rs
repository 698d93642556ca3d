//! Making sure a Rust target is installed before a build script builds for it
//! with a nested cargo: shared by `runner/client/build.rs` (musl) and
//! `providers/host/build.rs` (`wasm32-wasip2`), which include this file with
//! `#[path]`.
//!
//! rustup installs the targets listed in `rust-toolchain.toml` only when it
//! installs the toolchain itself, so a machine that already had the toolchain
//! lacks them. When the target's standard library is missing, this runs
//! `rustup target add` for the active toolchain and says so with a
//! `cargo:warning`; without rustup it fails with what to install. It is not a
//! general toolchain manager: it adds one target and nothing else.

use std::fs::File;
use std::path::Path;
use std::process::Command;

/// Makes sure `target` is installed for the toolchain building this script.
///
/// `lock_dir` is a directory both build scripts share (the nested target
/// directory): the check and the install run under a lock there, so two build
/// scripts never run rustup on the same toolchain at once.
pub fn ensure_target_installed(target: &str, lock_dir: &Path) -> Result<(), String> {
    println!("cargo:rerun-if-env-changed=RUSTUP_TOOLCHAIN");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".to_string());
    std::fs::create_dir_all(lock_dir)
        .map_err(|error| format!("cannot create {}: {error}", lock_dir.display()))?;
    let lock_path = lock_dir.join(".rustup-target.lock");
    let lock = File::create(&lock_path)
        .map_err(|error| format!("cannot create {}: {error}", lock_path.display()))?;
    lock.lock().map_err(|error| format!("cannot lock {}: {error}", lock_path.display()))?;

    if target_installed(&rustc, target)? {
        return Ok(());
    }
    let toolchain = std::env::var("RUSTUP_TOOLCHAIN").ok().filter(|name| !name.is_empty());
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", target]);
    if let Some(toolchain) = &toolchain {
        rustup.args(["--toolchain", toolchain]);
    }
    let shown_toolchain = toolchain.as_deref().unwrap_or("the active toolchain");
    let output = match rustup.output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "the Rust target {target} is not installed, and rustup is not here to add it.\n\
                 Install the standard library for {target} for this compiler ({rustc}), \
                 or use rustup: `rustup target add {target}`"
            ));
        }
        Err(error) => return Err(format!("cannot run rustup to add the target {target}: {error}")),
    };
    if !output.status.success() {
        return Err(format!(
            "the Rust target {target} is not installed, and `rustup target add {target}` for \
             {shown_toolchain} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    if !target_installed(&rustc, target)? {
        return Err(format!(
            "`rustup target add {target}` succeeded for {shown_toolchain}, but {rustc} still \
             has no standard library for {target}"
        ));
    }
    println!(
        "cargo:warning=installed the Rust target {target} for {shown_toolchain} with \
         `rustup target add {target}` (froyo embeds code built for it)"
    );
    Ok(())
}

/// Whether `rustc` has a standard library for `target`: its target libdir
/// exists and holds a `libcore`.
fn target_installed(rustc: &str, target: &str) -> Result<bool, String> {
    let output = Command::new(rustc)
        .args(["--print", "target-libdir", "--target", target])
        .output()
        .map_err(|error| format!("cannot run {rustc} to find the {target} libraries: {error}"))?;
    if !output.status.success() {
        // An unknown target, or a rustc that cannot answer: let rustup decide.
        return Ok(false);
    }
    let libdir = String::from_utf8_lossy(&output.stdout).trim().to_string();
    let Ok(entries) = std::fs::read_dir(&libdir) else { return Ok(false) };
    Ok(entries.flatten().any(|entry| entry.file_name().to_string_lossy().starts_with("libcore-")))
}
