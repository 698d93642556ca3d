//! The diagnostic reference, `docs/diagnostics.md`, generated from [`registry::ALL`].
//!
//! Each code gets one section with fixed headings — what it means, example,
//! how to fix — cut from its [`Code::summary`] and [`Code::explanation`]. An
//! explanation is read by convention: the prose before its first fenced code
//! block says what the diagnostic means and why, the block is the example, and
//! the prose after it says how to fix. Without a code block, the last paragraph
//! is the fix.
//!
//! The committed file is guarded by a test that regenerates it and fails on a
//! difference; `UPDATE_EXPECT=1 cargo test -p froyo-diagnostics` rewrites it.

use std::fmt::Write as _;

use crate::registry::{self, Code};

/// The path of the generated file, relative to the repository root.
pub const PATH: &str = "docs/diagnostics.md";

/// The whole of `docs/diagnostics.md`.
pub fn markdown() -> String {
    let mut out = String::new();
    out.push_str("# Diagnostic codes\n\n");
    out.push_str(
        "<!-- Generated from compiler/diagnostics/src/registry.rs by \
         froyo_diagnostics::reference::markdown. Do not edit by hand: change the registry, \
         then run `UPDATE_EXPECT=1 cargo test -p froyo-diagnostics`. -->\n\n",
    );
    out.push_str(
        "Every problem froyo reports has a stable code (`E0001`) and a kebab-case name \
         (`invalid-character`) that says what is wrong.\n\
         Codes are never reused.\n\
         `E00xx` codes come from the CUE lexer and parser, `E01xx` codes from reading \
         input files.\n\
         `froyo check --format json` prints the same codes and names; its format is \
         described in [json-diagnostics.md](json-diagnostics.md).\n\n\
         One run reports every independent error, whatever the stage that finds it: \
         a resource whose value has an error still takes part in the checks of ids, \
         dependencies, host selectors and cycles, and what cannot be checked without a \
         broken value is skipped with the note [E0308](#e0308-not-checked-after-error), \
         never silently.\n\n",
    );
    out.push_str("| Code | Name | Severity | Summary |\n|---|---|---|---|\n");
    for code in registry::ALL {
        let _ = writeln!(
            out,
            "| [{}](#{}) | `{}` | {} | {} |",
            code.code,
            anchor(code),
            code.name,
            code.default_severity.as_str(),
            code.summary
        );
    }
    for code in registry::ALL {
        out.push('\n');
        section(&mut out, code);
    }
    out
}

fn anchor(code: &Code) -> String {
    format!("{}-{}", code.code.to_lowercase(), code.name)
}

fn section(out: &mut String, code: &Code) {
    let explanation = Explanation::parse(code.explanation);
    let _ = writeln!(out, "## {} {}\n", code.code, code.name);
    let _ = writeln!(out, "Default severity: {}.\n", code.default_severity.as_str());
    out.push_str("### What it means\n\n");
    let _ = writeln!(out, "{}\n", code.summary);
    if !explanation.meaning.is_empty() {
        let _ = writeln!(out, "{}\n", explanation.meaning);
    }
    out.push_str("### Example\n\n");
    match explanation.example {
        Some(example) => {
            let _ = writeln!(out, "{example}\n");
        }
        None => out.push_str("This code has no short source example.\n\n"),
    }
    out.push_str("### How to fix\n\n");
    let _ = writeln!(out, "{}", explanation.fix);
}

/// An explanation cut into the parts of its section.
struct Explanation<'a> {
    meaning: &'a str,
    example: Option<&'a str>,
    fix: &'a str,
}

impl<'a> Explanation<'a> {
    fn parse(text: &'a str) -> Explanation<'a> {
        if let Some(fence_start) = text.find("```") {
            let after_opening = fence_start + 3;
            if let Some(closing) = text[after_opening..].find("```") {
                let fence_end = after_opening + closing + 3;
                return Explanation {
                    meaning: text[..fence_start].trim(),
                    example: Some(text[fence_start..fence_end].trim()),
                    fix: text[fence_end..].trim(),
                };
            }
        }
        match text.trim().rsplit_once("\n\n") {
            Some((meaning, fix)) => {
                Explanation { meaning: meaning.trim(), example: None, fix: fix.trim() }
            }
            None => Explanation { meaning: "", example: None, fix: text.trim() },
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    /// Regenerates `docs/diagnostics.md` in check mode; `UPDATE_EXPECT=1` rewrites it.
    #[test]
    fn docs_diagnostics_md_is_up_to_date() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(PATH);
        let expected = markdown();
        if std::env::var_os("UPDATE_EXPECT").is_some() {
            std::fs::write(&path, &expected).unwrap();
            return;
        }
        let actual = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            actual == expected,
            "{PATH} is out of date with the registry; run `UPDATE_EXPECT=1 cargo test -p froyo-diagnostics`"
        );
    }

    #[test]
    fn every_explanation_has_the_parts_of_a_section() {
        for code in registry::ALL {
            let explanation = Explanation::parse(code.explanation);
            assert!(
                !explanation.fix.is_empty(),
                "{}: the explanation says nothing about a fix",
                code.code
            );
            assert!(!explanation.fix.contains("```"), "{}: more than one code block", code.code);
        }
    }

    #[test]
    fn codes_are_unique_ordered_and_named_in_kebab_case() {
        for pair in registry::ALL.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} is not before {}", pair[0].code, pair[1].code);
        }
        for code in registry::ALL {
            assert!(
                code.code.len() == 5
                    && code.code.starts_with('E')
                    && code.code[1..].bytes().all(|byte| byte.is_ascii_digit()),
                "{}: not of the form E0000",
                code.code
            );
            assert!(
                !code.name.is_empty()
                    && !code.name.starts_with('-')
                    && !code.name.ends_with('-')
                    && code.name.bytes().all(|byte| byte.is_ascii_lowercase()
                        || byte.is_ascii_digit()
                        || byte == b'-'),
                "{}: name `{}` is not kebab-case",
                code.code,
                code.name
            );
            assert_eq!(registry::lookup(code.code), Some(*code));
            assert_eq!(registry::lookup(code.name), Some(*code));
        }
        let mut names: Vec<_> = registry::ALL.iter().map(|code| code.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), registry::ALL.len(), "two codes share a name");
    }
}
