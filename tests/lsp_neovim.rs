//! End to end with a real editor: Neovim (headless, its built-in LSP client,
//! set up by `editors/neovim`) opens a copy of `examples/quickstart` with `froyo lsp`, and the test
//! checks the diagnostics Neovim received after an edit (a broken `require`,
//! then a world-writable mode, which a built-in policy reports), that they clear
//! when the edit is undone, and what Neovim's own completion (omnifunc
//! `vim.lsp.omnifunc`, `<C-x><C-o>` in Insert mode) offers after
//! `linux.#Fi`. The session is `tests/lsp_neovim/session.lua`.
//!
//! Needs `nvim` (Debian's `neovim`, 0.7.2; `scripts/test` installs it). Without
//! it the test prints why and passes, unless `FROYO_REQUIRE_NVIM` is set.

use std::path::Path;
use std::process::{Command, Stdio};

#[path = "support/copy.rs"]
mod copy;
use copy::copy_dir;

#[test]
fn neovim_receives_diagnostics_and_completes_through_omnifunc() {
    let available = Command::new("nvim")
        .arg("--version")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !available {
        if std::env::var_os("FROYO_REQUIRE_NVIM").is_some() {
            panic!("nvim is not installed and FROYO_REQUIRE_NVIM is set");
        }
        eprintln!(
            "skipping the Neovim end-to-end test: `nvim` is not installed (scripts/test installs it)"
        );
        return;
    }
    let work = tempfile::tempdir().expect("temporary directory");
    let root = work.path().join("quickstart");
    copy_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/quickstart"), &root);
    let out = work.path().join("out.json");
    let session = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/lsp_neovim/session.lua");
    let status = Command::new("nvim")
        .args(["--headless", "--clean", "-n", "-c"])
        .arg(format!("luafile {}", session.display()))
        .env("FROYO_BIN", env!("CARGO_BIN_EXE_froyo"))
        .env("FROYO_ROOT", &root)
        .env("FROYO_OUT", &out)
        .env("FROYO_EDITORS", Path::new(env!("CARGO_MANIFEST_DIR")).join("editors"))
        .env("XDG_STATE_HOME", work.path())
        .env("XDG_CACHE_HOME", work.path())
        .current_dir(&root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .expect("run nvim");
    assert!(status.success(), "nvim exited with {status}");
    let text = std::fs::read_to_string(&out).expect("the session wrote its results");
    let result: serde_json::Value = serde_json::from_str(&text).expect("results are JSON");
    assert_eq!(result["errors"], serde_json::json!([]), "{text}");
    assert_eq!(result["initialized"], true, "{text}");
    assert_eq!(result["filetype"], "cue", "{text}");
    assert_eq!(result["omnifunc"], "v:lua.vim.lsp.omnifunc", "{text}");
    assert_eq!(result["cleared"], true, "the diagnostics clear after undo: {text}");
    let policy = &result["policy"][0];
    assert_eq!(policy["code"], "P0001", "the world-writable policy's diagnostic: {text}");
    assert_eq!(policy["lnum"], result["mode_line"], "on the `mode:` line: {text}");
    assert_eq!(result["policy_cleared"], true, "the policy diagnostic clears after undo: {text}");
    let summary = format!(
        "diagnostics:\n{}\npolicy diagnostics after `mode: \"0666\"`:\n{}\ncompletion after `linux.#Fi`: {}\nline after completing: {:?}",
        serde_json::to_string_pretty(&result["diagnostics"]).unwrap_or_default(),
        serde_json::to_string_pretty(&result["policy"]).unwrap_or_default(),
        result["completion"],
        result["line"].as_str().unwrap_or("")
    );
    insta::assert_snapshot!(summary);
}
