//! Findings and problems as froyo diagnostics.
//!
//! A finding is reported under its policy's own code and name (`P0001`
//! `world-writable` for a built-in, the policy's `code` or name for a
//! workspace policy), so every renderer (terminal, JSON, SARIF, the language
//! server) shows it like any other diagnostic. Codes of policies are made at
//! run time; each distinct one is made once per process ([`code_of`]).
//! Problems with policy files are `E0500` (syntax) and `E0501` (evaluation),
//! placed in the `.rego` file.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use froyo_diagnostics::registry::{self, Code};
use froyo_diagnostics::{Diagnostic, FileId, Severity, Span};

use crate::set::{Finding, Level, Policy, PolicySet, Problem, ProblemKind};

/// The severity a level reports with.
pub fn severity(level: Level) -> Severity {
    match level {
        Level::Deny => Severity::Error,
        Level::Warn => Severity::Warning,
        Level::Advisory | Level::Off => Severity::Note,
    }
}

/// The diagnostic code of a policy, made once per distinct policy.
pub fn code_of(set: &PolicySet, policy: &Policy) -> &'static Code {
    type Key = (String, String, Severity, String, String);
    static CODES: OnceLock<Mutex<HashMap<Key, &'static Code>>> = OnceLock::new();
    let explanation = explanation(set, policy);
    let key = (
        policy.code.clone(),
        policy.name.clone(),
        severity(policy.level),
        policy.summary.clone(),
        explanation,
    );
    let codes = CODES.get_or_init(Default::default);
    let mut codes = match codes.lock() {
        Ok(codes) => codes,
        Err(poisoned) => poisoned.into_inner(),
    };
    if let Some(code) = codes.get(&key) {
        return code;
    }
    let leak = |text: &str| -> &'static str { Box::leak(text.to_string().into_boxed_str()) };
    let summary = if key.3.is_empty() { format!("Policy `{}`.", key.1) } else { key.3.clone() };
    let code: &'static Code = Box::leak(Box::new(Code {
        code: leak(&key.0),
        name: leak(&key.1),
        default_severity: key.2,
        summary: leak(&summary),
        explanation: leak(&key.4),
    }));
    codes.insert(key, code);
    code
}

/// A policy's documentation: the comment its file opens with.
pub fn explanation(set: &PolicySet, policy: &Policy) -> String {
    let Some(source) = set.sources.get(policy.source) else { return String::new() };
    let mut lines = Vec::new();
    for line in source.text.lines() {
        match line.strip_prefix('#') {
            Some(rest) => lines.push(rest.strip_prefix(' ').unwrap_or(rest)),
            None => break,
        }
    }
    let text = lines.join("\n");
    // The first line is `name: summary`; the rest is the page.
    match text.split_once("\n\n") {
        Some((_, rest)) => rest.trim().to_string(),
        None => String::new(),
    }
}

/// A denying policy allowed for one run: `--allow-policy NAME --reason TEXT`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allowance {
    pub name: String,
    pub reason: String,
}

/// The diagnostic of `finding`, at `span` (the value the finding's path
/// names, else its resource's or host's declaration).
pub fn finding_diagnostic(set: &PolicySet, finding: &Finding, span: Span) -> Option<Diagnostic> {
    let policy = set.policies.get(finding.policy)?;
    let mut diagnostic = Diagnostic::new(code_of(set, policy), finding.message.clone(), span)
        .with_severity(severity(finding.level))
        .with_primary_label(format!("policy `{}` ({})", policy.name, finding.level.as_str()));
    if finding.level == Level::Deny {
        diagnostic = diagnostic.with_help(format!(
            "change the value, or allow it for one run with `--allow-policy {} --reason TEXT`",
            policy.name
        ));
    }
    if policy.builtin(set) {
        diagnostic = diagnostic.with_note(format!(
            "built-in policy `{}`; set its level with `policy_data: levels: \"{}\": \"warn\"`",
            policy.name, policy.name
        ));
    }
    Some(diagnostic)
}

/// Whether `diagnostic` is a policy's finding (not one of froyo's own codes).
pub fn is_finding(diagnostic: &Diagnostic) -> bool {
    registry::ALL.iter().all(|code| !std::ptr::eq(*code, diagnostic.code))
}

/// Lowers the denying findings of allowed policies to warnings that say
/// who allowed them and why; returns how many were allowed.
pub fn allow(diagnostics: &mut [Diagnostic], allowances: &[Allowance]) -> usize {
    let mut allowed = 0;
    for diagnostic in diagnostics.iter_mut() {
        if diagnostic.severity != Severity::Error || !is_finding(diagnostic) {
            continue;
        }
        let Some(allowance) =
            allowances.iter().find(|allowance| allowance.name == diagnostic.code.name)
        else {
            continue;
        };
        diagnostic.severity = Severity::Warning;
        diagnostic.help = None;
        diagnostic.notes.insert(
            0,
            format!("allowed by --allow-policy {} (reason: {})", allowance.name, allowance.reason),
        );
        allowed += 1;
    }
    allowed
}

/// The diagnostic of a problem with a policy file; `file_of` gives the
/// file id of a source (built-in sources have none: the problem then points
/// at `fallback`).
pub fn problem_diagnostic(
    set: &PolicySet,
    problem: &Problem,
    file_of: &dyn Fn(usize) -> Option<FileId>,
    fallback: Span,
) -> Diagnostic {
    let code = match problem.kind {
        ProblemKind::Syntax => &registry::POLICY_SYNTAX,
        ProblemKind::Evaluation => &registry::POLICY_ERROR,
    };
    let placed = problem.source.and_then(|index| {
        let file = file_of(index)?;
        let text = &set.sources.get(index)?.text;
        let (start, end) = line_span(text, problem.line, problem.column);
        Some(Span::new(file, start, end))
    });
    let mut diagnostic = Diagnostic::new(code, problem.message.clone(), placed.unwrap_or(fallback));
    if placed.is_none()
        && let Some(source) = problem.source.and_then(|index| set.sources.get(index))
    {
        diagnostic = diagnostic.with_note(format!(
            "in {} at line {}, column {}",
            source.path, problem.line, problem.column
        ));
    }
    match problem.kind {
        ProblemKind::Syntax => diagnostic.with_help(
            "policies are Rego v1 (`import rego.v1` is implied); `froyo policy test` runs their tests",
        ),
        ProblemKind::Evaluation => diagnostic,
    }
}

/// The byte range from `line`:`column` (1-based, columns in characters) to
/// the end of that line, clamped to the text.
pub fn line_span(text: &str, line: u32, column: u32) -> (u32, u32) {
    let mut offset = 0usize;
    for (index, content) in text.split_inclusive('\n').enumerate() {
        if index + 1 == line as usize {
            let body = content.trim_end_matches(['\n', '\r']);
            let start = body
                .char_indices()
                .nth(column.saturating_sub(1) as usize)
                .map_or(body.len(), |(at, _)| at);
            return ((offset + start) as u32, (offset + body.len()) as u32);
        }
        offset += content.len();
    }
    (text.len() as u32, text.len() as u32)
}
