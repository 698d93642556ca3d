//! Plans, apply results and drift reports as text for people.
//!
//! Plans read like Terraform's: one line per instance that changes, marked
//! `+` create, `~` update, `-` delete, `↻` refresh (a notified restart or
//! re-run), `?` check, `≢` forget; under it, what a creation sets or what an
//! update changes, then warnings (`!`); with `show_ops`, the exact
//! operations. Everything here works on redacted plans.

use std::fmt::Write as _;

use froyo_provider_api::{Action, Change, Op, Probe};
use serde_json::Value as Json;

use crate::plan::{Plan, PlannedInstance, redacted_input_length};
use crate::report::{ApplyReport, DriftReport, Outcome};

/// Longest value shown inline; longer strings are shown as a line diff or elided.
const INLINE: usize = 60;

/// The plan as text. Call it with a redacted plan.
pub fn plan_text(plan: &Plan, show_ops: bool) -> String {
    let mut out = String::new();
    let mut hosts: Vec<&str> = plan.instances.iter().map(|i| i.key.host.as_str()).collect();
    hosts.extend(plan.orphans.iter().map(|o| o.key.host.as_str()));
    hosts.sort_unstable();
    hosts.dedup();
    for host in hosts {
        let instances: Vec<&PlannedInstance> = plan
            .instances
            .iter()
            .filter(|instance| {
                instance.key.host == host
                    && (instance.error.is_some() || instance.action != Action::None)
            })
            .collect();
        let orphans: Vec<_> = plan.orphans.iter().filter(|o| o.key.host == host).collect();
        if instances.is_empty() && orphans.is_empty() {
            continue;
        }
        let _ = writeln!(out, "host {host}");
        for instance in instances {
            write_instance(&mut out, plan, instance, show_ops);
        }
        for orphan in orphans {
            let _ = writeln!(
                out,
                "  ≢ {}.{} will be forgotten: it left the configuration; froyo stops managing it and leaves the host as it is",
                orphan.resource_type, orphan.key.resource
            );
        }
        out.push('\n');
    }
    for note in &plan.policy {
        let _ = writeln!(out, "{}", policy_text(note));
    }
    if !plan.policy.is_empty() {
        out.push('\n');
    }
    let summary = plan.summary();
    if !plan.has_changes() && summary.errors == 0 {
        let _ = writeln!(
            out,
            "No changes. {} up to date.",
            count(summary.unchanged, "instance", "instances")
        );
        return out;
    }
    let _ = write!(
        out,
        "Plan: {} to create, {} to update, {} to delete",
        summary.create, summary.update, summary.delete
    );
    if summary.refresh > 0 {
        let _ = write!(out, ", {} to refresh", summary.refresh);
    }
    if summary.check > 0 {
        let _ = write!(out, ", {}", count(summary.check, "check", "checks"));
    }
    if summary.forget > 0 {
        let _ = write!(out, ", {} to forget", summary.forget);
    }
    let _ = write!(
        out,
        "; {}, {} unchanged.",
        count(summary.operations, "operation", "operations"),
        summary.unchanged
    );
    if summary.errors > 0 {
        let _ = write!(
            out,
            " {} could not be planned.",
            count(summary.errors, "instance", "instances")
        );
    }
    if summary.warnings > 0 {
        let _ = write!(out, " {} above.", count(summary.warnings, "warning", "warnings"));
    }
    out.push('\n');
    out
}

/// A plan-time policy's finding: `! deny destroy-without-allow: …`.
fn policy_text(note: &crate::policy::PolicyNote) -> String {
    match &note.allowed {
        Some(reason) => {
            format!("! {} {} (allowed: {reason}): {}", note.level, note.policy, note.message)
        }
        None => format!("! {} {}: {}", note.level, note.policy, note.message),
    }
}

fn write_instance(out: &mut String, plan: &Plan, instance: &PlannedInstance, show_ops: bool) {
    if let Some(error) = &instance.error {
        let _ = writeln!(out, "  ✗ {}: {error}", instance.address);
        return;
    }
    let (mark, verb) = match instance.action {
        Action::Create => ("+", "will be created"),
        Action::Update => ("~", "will be updated"),
        Action::Delete => ("-", "will be deleted"),
        Action::Refresh => ("↻", "will be refreshed"),
        Action::Check => ("?", "will be checked after its dependencies apply"),
        Action::None => ("=", "is up to date"),
    };
    let _ = write!(out, "  {mark} {} {verb}", instance.address);
    if !instance.notified_by.is_empty() {
        let names: Vec<&str> = instance
            .notified_by
            .iter()
            .filter_map(|&index| plan.instances.get(index).map(|i| i.address.as_str()))
            .collect();
        let _ = write!(out, " (notified by {})", names.join(", "));
    }
    out.push('\n');
    if instance.action == Action::Create {
        let created = created_properties(instance);
        let width = created.iter().map(|(property, _)| property.len()).max().unwrap_or(0);
        for (property, value) in created {
            let _ = writeln!(out, "      + {property:width$} = {}", value_text(value));
        }
    } else {
        let width = instance.changes.iter().map(|change| change.property.len()).max().unwrap_or(0);
        for change in &instance.changes {
            write_change(out, change, width);
        }
    }
    for note in &instance.notes {
        let _ = writeln!(out, "      # {note}");
    }
    for warning in &instance.warnings {
        let _ = writeln!(out, "      ! warning: {warning}");
    }
    for note in &instance.policy {
        let _ = writeln!(out, "      {}", policy_text(note));
    }
    if show_ops {
        for op in &instance.ops {
            let _ = writeln!(out, "      > {}", op_text(op));
        }
        for check in &instance.checks {
            let _ = writeln!(
                out,
                "      > check {} (up to {} retries, {} ms apart)",
                probe_text(&check.probe),
                check.retries,
                check.interval_ms
            );
        }
    }
}

/// What a creation sets: the configured properties, with the values the
/// provider settled on (a normalised mode, a default it fills in) in place
/// of or beside them, in property order. `state` is left out (a creation
/// makes it present) and so are unset (null) properties.
fn created_properties(instance: &PlannedInstance) -> Vec<(&str, &Json)> {
    let mut created: std::collections::BTreeMap<&str, &Json> = instance
        .properties
        .iter()
        .filter(|(_, value)| !value.is_null())
        .map(|(property, value)| (property.as_str(), value))
        .collect();
    for change in &instance.changes {
        if let Some(after) = change.after.as_ref().filter(|after| !after.is_null()) {
            created.insert(change.property.as_str(), after);
        }
    }
    created.remove("state");
    created.into_iter().collect()
}

fn write_change(out: &mut String, change: &Change, width: usize) {
    let property = &change.property;
    match (&change.before, &change.after) {
        (None, Some(after)) => {
            let _ = writeln!(out, "      + {property:width$} = {}", value_text(after));
        }
        (Some(before), None) => {
            let _ = writeln!(out, "      - {property:width$} = {}", value_text(before));
        }
        (Some(Json::String(before)), Some(Json::String(after)))
            if before.contains('\n') || after.contains('\n') =>
        {
            let _ = writeln!(out, "      ~ {property}:");
            for line in
                similar::TextDiff::from_lines(before.as_str(), after.as_str()).iter_all_changes()
            {
                let sign = match line.tag() {
                    similar::ChangeTag::Delete => '-',
                    similar::ChangeTag::Insert => '+',
                    similar::ChangeTag::Equal => ' ',
                };
                let text = line.value().strip_suffix('\n').unwrap_or(line.value());
                let _ = writeln!(out, "          {sign} {text}");
            }
        }
        (Some(before), Some(after)) => {
            let _ = writeln!(
                out,
                "      ~ {property:width$} = {} → {}",
                value_text(before),
                value_text(after)
            );
        }
        (None, None) => {}
    }
}

/// A value on one line: JSON, long strings cut with their length.
pub fn value_text(value: &Json) -> String {
    match value {
        Json::String(text)
            if text.chars().count() > INLINE || text.trim_end_matches('\n').contains('\n') =>
        {
            let first: String = text.lines().next().unwrap_or("").chars().take(40).collect();
            let lines = text.lines().count();
            format!(
                "{} … ({} bytes, {lines} line{})",
                Json::String(first),
                text.len(),
                if lines == 1 { "" } else { "s" }
            )
        }
        other => other.to_string(),
    }
}

/// One operation, as `--show-ops` prints it. File contents are never printed, only their size.
pub fn op_text(op: &Op) -> String {
    let attributes = |mode: &Option<String>, owner: &Option<String>, group: &Option<String>| {
        let mut parts = Vec::new();
        if let Some(mode) = mode {
            parts.push(format!("mode {mode}"));
        }
        if let Some(owner) = owner {
            parts.push(format!("owner {owner}"));
        }
        if let Some(group) = group {
            parts.push(format!("group {group}"));
        }
        parts
    };
    match op {
        Op::WriteFile { path, content, mode, owner, group } => {
            let mut parts = vec![format!("{} bytes", content.len())];
            parts.extend(attributes(mode, owner, group));
            format!("write_file {path} ({})", parts.join(", "))
        }
        Op::Mkdir { path, mode, owner, group } => {
            let parts = attributes(mode, owner, group);
            if parts.is_empty() {
                format!("mkdir {path}")
            } else {
                format!("mkdir {path} ({})", parts.join(", "))
            }
        }
        Op::Remove { path, recursive } => {
            format!("remove {path}{}", if *recursive { " (recursive)" } else { "" })
        }
        Op::Chmod { path, mode, recursive } => {
            format!("chmod {mode} {path}{}", if *recursive { " (recursive)" } else { "" })
        }
        Op::Chown { path, owner, group, recursive } => format!(
            "chown {}{} {path}{}",
            owner.as_deref().unwrap_or(""),
            group.as_deref().map(|g| format!(":{g}")).unwrap_or_default(),
            if *recursive { " (recursive)" } else { "" }
        ),
        Op::Exec { command, creates, unless, onlyif } => {
            let mut text = format!("exec {}", argv_text(&command.argv));
            if !command.env.is_empty() {
                let env: Vec<String> =
                    command.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
                let _ = write!(text, " env[{}]", env.join(" "));
            }
            if let Some(cwd) = &command.cwd {
                let _ = write!(text, " cwd {cwd}");
            }
            if let Some(user) = &command.user {
                let _ = write!(text, " as {user}");
            }
            match command.stdin.as_deref().map(|stdin| (stdin, redacted_input_length(stdin))) {
                Some((_, Some(length))) => {
                    let _ = write!(text, " stdin({length} bytes, sensitive)");
                }
                Some((stdin, None)) => {
                    let _ = write!(text, " stdin({} bytes)", stdin.len());
                }
                None => {}
            }
            if let Some(creates) = creates {
                let _ = write!(text, " unless-exists {creates}");
            }
            if let Some(unless) = unless {
                let _ = write!(text, " unless {}", argv_text(&unless.argv));
            }
            if let Some(onlyif) = onlyif {
                let _ = write!(text, " onlyif {}", argv_text(&onlyif.argv));
            }
            text
        }
    }
}

fn probe_text(probe: &Probe) -> String {
    match probe {
        Probe::Stat { path, .. } => format!("stat {path}"),
        Probe::Command(command) => format!("run {}", argv_text(&command.argv)),
        Probe::Http { url, method, .. } => format!("http {method} {url}"),
    }
}

/// An argument vector as a shell would read it back.
fn argv_text(argv: &[String]) -> String {
    argv.iter()
        .map(|argument| {
            if !argument.is_empty()
                && argument.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c))
            {
                argument.clone()
            } else {
                format!("'{}'", argument.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The end of an apply: failures in full, then one summary line.
pub fn apply_text(report: &ApplyReport) -> String {
    let mut out = String::new();
    for instance in &report.instances {
        match &instance.outcome {
            Outcome::Failed { message } => {
                let _ = writeln!(out, "✗ {} on {}: {message}", instance.address, instance.key.host);
            }
            Outcome::Skipped { because } => {
                let _ = writeln!(
                    out,
                    "⊘ {} on {}: skipped, because {because}",
                    instance.address, instance.key.host
                );
            }
            Outcome::Stale => {
                let _ = writeln!(
                    out,
                    "⊘ {} on {}: refused, the host changed since the plan was made; plan again",
                    instance.address, instance.key.host
                );
            }
            Outcome::Forgotten => {
                let _ = writeln!(
                    out,
                    "≢ {} on {}: forgotten (left on the host as it is)",
                    instance.address, instance.key.host
                );
            }
            _ => {}
        }
    }
    let mut already: Vec<String> = report
        .instances
        .iter()
        .filter_map(|instance| match instance.outcome {
            Outcome::AlreadyApplied { run } => Some(run),
            _ => None,
        })
        .collect::<std::collections::BTreeSet<u64>>()
        .iter()
        .map(u64::to_string)
        .collect();
    if !already.is_empty() {
        let last = already.pop().unwrap_or_default();
        let runs =
            if already.is_empty() { last } else { format!("{} and {last}", already.join(", ")) };
        let count = report.count(|o| matches!(o, Outcome::AlreadyApplied { .. }));
        let (are, were) = if count == 1 { ("is", "was") } else { ("are", "were") };
        let _ = writeln!(
            out,
            "This plan was already applied in run {runs}: {count} of its changes {are} still \
             in place and {were} not applied again. Run `froyo plan` for a new plan."
        );
    }
    let applied = report.count(|o| matches!(o, Outcome::Applied { .. }));
    let checked = report.count(|o| matches!(o, Outcome::Checked));
    let unchanged = report.count(|o| matches!(o, Outcome::Unchanged));
    let already_applied = report.count(|o| matches!(o, Outcome::AlreadyApplied { .. }));
    let failed = report.count(|o| matches!(o, Outcome::Failed { .. }));
    let skipped = report.count(|o| matches!(o, Outcome::Skipped { .. } | Outcome::Stale));
    let forgotten = report.count(|o| matches!(o, Outcome::Forgotten));
    let _ = write!(
        out,
        "Apply {}: {applied} applied, {unchanged} unchanged",
        if report.failed() { "incomplete" } else { "complete" }
    );
    if checked > 0 {
        let _ = write!(out, ", {checked} checked");
    }
    if already_applied > 0 {
        let _ = write!(out, ", {already_applied} already applied");
    }
    if forgotten > 0 {
        let _ = write!(out, ", {forgotten} forgotten");
    }
    if failed > 0 {
        let _ = write!(out, ", {failed} failed");
    }
    if skipped > 0 {
        let _ = write!(out, ", {skipped} not applied");
    }
    let _ = writeln!(
        out,
        "; {} in {} ms, {} (run {}).",
        count(report.operations, "operation", "operations"),
        report.duration_ms,
        count(report.round_trips as usize, "round trip", "round trips"),
        report.run
    );
    out
}

/// A drift report as text.
pub fn drift_text(report: &DriftReport) -> String {
    let mut out = String::new();
    for item in &report.drifted {
        if let Some(error) = &item.error {
            let _ = writeln!(out, "✗ {} on {}: cannot probe: {error}", item.address, item.key.host);
            continue;
        }
        let _ = writeln!(out, "~ {} on {} drifted:", item.address, item.key.host);
        for difference in &item.differences {
            let show =
                |value: &Option<Json>| value.as_ref().map_or("(unset)".to_string(), value_text);
            if difference.property == "(exists)" {
                let gone = difference.current == Some(Json::Bool(false));
                let _ = writeln!(
                    out,
                    "      {}",
                    if gone { "it is gone from the host" } else { "it appeared on the host" }
                );
            } else {
                let _ = writeln!(
                    out,
                    "      {}: recorded {}, now {}",
                    difference.property,
                    show(&difference.recorded),
                    show(&difference.current)
                );
            }
        }
    }
    let drifted = report.drifted.iter().filter(|i| !i.differences.is_empty()).count();
    let _ = write!(
        out,
        "{} of {} drifted",
        drifted,
        count(report.checked, "recorded instance", "recorded instances")
    );
    if !report.unrecorded.is_empty() {
        let _ = write!(out, "; {} never applied", report.unrecorded.len());
    }
    let _ = writeln!(out, " (run {}).", report.run);
    out
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
