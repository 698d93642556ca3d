//! Where the CUE conformance corpus is, for the tests that read it: shared by
//! `tests/conformance.rs` and the corpus tests of `compiler/syntax`,
//! `compiler/eval` and `compiler/fmt`, which include this file with `#[path]`.
//!
//! The corpus (`../shared/conformance/cue`, beside the repository, or
//! `$FROYO_CONFORMANCE_DIR`) is not part of the repository: a plain clone has
//! no such folder. A test that reads it runs when it is there and is skipped
//! with a printed reason when it is not, unless `FROYO_REQUIRE_CONFORMANCE=1`
//! (set by `.ci/run` only), which turns the skip into a failure so that CI
//! never skips them. The repository's own cases (examples, goldens, extra
//! files) do not depend on it.

use std::path::{Path, PathBuf};

/// The corpus folder (holding `run-conformance` and `public/`), whether or
/// not it exists.
pub fn conformance_dir() -> PathBuf {
    match std::env::var_os("FROYO_CONFORMANCE_DIR") {
        Some(directory) if !directory.is_empty() => PathBuf::from(directory),
        _ => Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .find(|directory| directory.join("Cargo.lock").is_file())
            .unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR")))
            .join("../shared/conformance/cue"),
    }
}

/// Whether `FROYO_REQUIRE_CONFORMANCE=1` asks for the corpus to be there.
pub fn conformance_required() -> bool {
    std::env::var("FROYO_REQUIRE_CONFORMANCE").is_ok_and(|value| value == "1")
}

/// Skips what needs the corpus: prints `skipped: {what}: {reason}`, or fails
/// when the corpus is required.
pub fn skip_without_corpus(what: &str, reason: &str) {
    assert!(!conformance_required(), "FROYO_REQUIRE_CONFORMANCE=1 but {reason}");
    eprintln!("skipped: {what}: {reason} (the corpus is optional outside CI)");
}

/// The corpus's `public/` cases, or `None` (after printing that `what` is
/// skipped) when the folder is missing.
pub fn public_cases(what: &str) -> Option<PathBuf> {
    let public = conformance_dir().join("public");
    if public.is_dir() {
        Some(public)
    } else {
        skip_without_corpus(
            what,
            &format!("the conformance corpus is missing at {}", public.display()),
        );
        None
    }
}
