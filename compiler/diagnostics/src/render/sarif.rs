//! The SARIF 2.1.0 renderer: one log with one run, for code-scanning tools
//! (GitHub code scanning, GitLab, IDE SARIF viewers).
//!
//! Each diagnostic is a `result` whose `ruleId` is its code; the rules used
//! are listed in the tool's driver with their name, summary and explanation.
//! Secondary labels are `relatedLocations`, notes and help are appended to
//! the message, and fixes become SARIF `fixes`. Columns count Unicode scalar
//! values, which the run declares with `columnKind: unicodeCodePoints`.
//! Paths are the file table's names, relative to `%SRCROOT%`.

use std::collections::BTreeMap;
use std::io;

use serde_json::{Value, json};

use crate::diagnostic::{Diagnostic, Severity, Span};
use crate::files::Files;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";
const DOCS: &str = "https://github.com/openfroyo/froyo/blob/main/docs/diagnostics.md";

/// Writes every diagnostic as one SARIF log, followed by `\n`.
pub fn write_sarif(
    out: &mut dyn io::Write,
    files: &Files,
    diagnostics: &[Diagnostic],
    tool_version: &str,
) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &sarif_log(files, diagnostics, tool_version))?;
    out.write_all(b"\n")
}

/// The SARIF log as a JSON value.
pub fn sarif_log(files: &Files, diagnostics: &[Diagnostic], tool_version: &str) -> Value {
    let mut rule_index: BTreeMap<&str, usize> = BTreeMap::new();
    let mut rules = Vec::new();
    for diagnostic in diagnostics {
        let code = diagnostic.code;
        if !rule_index.contains_key(code.code) {
            rule_index.insert(code.code, rules.len());
            rules.push(json!({
                "id": code.code,
                "name": code.name,
                "shortDescription": {"text": code.summary},
                "fullDescription": {"text": code.summary},
                "help": {"text": code.explanation, "markdown": code.explanation},
                "helpUri": format!("{DOCS}#{}", code.code.to_lowercase()),
                "defaultConfiguration": {"level": level(code.default_severity)},
            }));
        }
    }
    let results: Vec<Value> = diagnostics
        .iter()
        .map(|diagnostic| {
            let mut text = diagnostic.message.clone();
            for note in &diagnostic.notes {
                text.push_str("\nnote: ");
                text.push_str(note);
            }
            if let Some(help) = &diagnostic.help {
                text.push_str("\nhelp: ");
                text.push_str(help);
            }
            let mut result = json!({
                "ruleId": diagnostic.code.code,
                "ruleIndex": rule_index[diagnostic.code.code],
                "level": level(diagnostic.severity),
                "message": {"text": text},
                "locations": [location(files, diagnostic.primary.span, &diagnostic.primary.message)],
            });
            if !diagnostic.secondary.is_empty() {
                result["relatedLocations"] = diagnostic
                    .secondary
                    .iter()
                    .enumerate()
                    .map(|(index, label)| {
                        let mut related = location(files, label.span, &label.message);
                        related["id"] = json!(index);
                        related
                    })
                    .collect();
            }
            if let Some(fix) = &diagnostic.fix {
                let mut by_file: BTreeMap<String, Vec<Value>> = BTreeMap::new();
                for edit in &fix.edits {
                    by_file
                        .entry(uri(files, edit.span))
                        .or_default()
                        .push(json!({"deletedRegion": region(files, edit.span), "insertedContent": {"text": edit.replacement}}));
                }
                result["fixes"] = json!([{
                    "description": {"text": fix.title},
                    "artifactChanges": by_file
                        .into_iter()
                        .map(|(file, replacements)| json!({
                            "artifactLocation": {"uri": file, "uriBaseId": "%SRCROOT%"},
                            "replacements": replacements,
                        }))
                        .collect::<Vec<_>>(),
                }]);
            }
            result
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "froyo",
                "informationUri": "https://github.com/openfroyo/froyo",
                "version": tool_version,
                "rules": rules,
            }},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        _ => "note",
    }
}

fn uri(files: &Files, span: Span) -> String {
    files.get(span.file).map_or_else(String::new, |file| file.name().replace('\\', "/"))
}

fn region(files: &Files, span: Span) -> Value {
    match files.span_range(span) {
        Some((start, end)) => json!({
            "startLine": start.line,
            "startColumn": start.column,
            "endLine": end.line,
            "endColumn": end.column,
        }),
        None => json!({"startLine": 1, "startColumn": 1}),
    }
}

fn location(files: &Files, span: Span, message: &str) -> Value {
    let mut value = json!({
        "physicalLocation": {
            "artifactLocation": {"uri": uri(files, span), "uriBaseId": "%SRCROOT%"},
            "region": region(files, span),
        },
    });
    if !message.is_empty() {
        value["message"] = json!({"text": message});
    }
    value
}
