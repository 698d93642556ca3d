//! `froyo policy test|eval|list`: working on policies themselves.
//!
//! `test` runs every `test_*` rule of the workspace's `policies/*.rego` and
//! of the built-in policies (like `opa test`): one line per test, exit 1 when
//! one fails or errs, or when a policy file has errors; `--format json`
//! prints one document. `eval` prints the input document policies see (the
//! IR's at check time, a saved plan's with `--plan FILE`), and with
//! `--policy NAME` that policy's findings on it. `list` shows every policy
//! with its code, level and stage.
//! Exit 0 on success, 1 when tests fail or policies have errors, 2 when the
//! command could not run.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use froyo_policy::{Outcome, Stage};
use serde_json::json;

use crate::ExitStatus;
use crate::args::{
    ColorWhen, OutputFormat, PolicyCommand, PolicyCommandArgs, PolicyEvalArgs, PolicyListArgs,
    PolicyTestArgs, ReportFormat,
};
use crate::output;

pub fn run(args: &PolicyCommandArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    match &args.command {
        PolicyCommand::Test(test) => run_tests(test, color),
        PolicyCommand::Eval(eval) => run_eval(eval, color),
        PolicyCommand::List(list) => run_list(list, color),
    }
}

/// A workspace loaded for its policies.
struct Workspace {
    root: PathBuf,
    database: froyo_db::Database,
    loaded: froyo_loader::LoadedWorkspace,
}

fn workspace(paths: &[PathBuf]) -> Option<Workspace> {
    let current_dir = super::current_dir()?;
    let roots = froyo_loader::workspace_roots(&current_dir, paths, &[]);
    let [root] = roots.as_slice() else {
        output::print_error(if roots.is_empty() {
            crate::compile::NO_WORKSPACE
        } else {
            "name one workspace at a time"
        });
        return None;
    };
    let mut database = froyo_db::Database::default();
    let loaded = froyo_loader::load_workspace(&mut database, &current_dir, root);
    Some(Workspace { root: root.clone(), database, loaded })
}

impl Workspace {
    fn set(&self) -> std::sync::Arc<froyo_policy::PolicySet> {
        froyo_db::policy_set(&self.database, self.loaded.input, self.loaded.policies).set.clone()
    }

    /// Prints the problems of the workspace's policy files; whether there were any.
    fn report_problems(&self, color: ColorWhen) -> io::Result<bool> {
        let mut problems =
            froyo_db::policy_diagnostics(&self.database, self.loaded.input, self.loaded.policies);
        problems.retain(|diagnostic| !froyo_policy::diagnostics::is_finding(diagnostic));
        if problems.is_empty() {
            return Ok(false);
        }
        let mut stderr = io::stderr().lock();
        output::write_diagnostics(
            &mut stderr,
            &self.loaded.files,
            &problems,
            OutputFormat::Human,
            output::stderr_color(color),
        )?;
        Ok(true)
    }
}

fn run_tests(args: &PolicyTestArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(workspace) = workspace(&args.paths) else { return Ok(ExitStatus::Error) };
    let problems = workspace.report_problems(color)?;
    let set = workspace.set();
    let no_builtin = args.no_builtin;
    let results = froyo_policy::run_tests(
        &set,
        &|index| !(no_builtin && set.sources[index].builtin),
        &args.run,
    );
    let count =
        |wanted: fn(&Outcome) -> bool| results.iter().filter(|r| wanted(&r.outcome)).count();
    let passed = count(|outcome| *outcome == Outcome::Pass);
    let failed = count(|outcome| *outcome == Outcome::Fail);
    let errors = count(|outcome| matches!(outcome, Outcome::Error(_)));
    let mut stdout = io::stdout().lock();
    match args.format {
        ReportFormat::Human => {
            for result in &results {
                let (mark, detail) = match &result.outcome {
                    Outcome::Pass => ("PASS", String::new()),
                    Outcome::Fail => ("FAIL", String::new()),
                    Outcome::Error(message) => ("ERROR", format!("\n      {message}")),
                };
                writeln!(
                    stdout,
                    "{mark:<5} {}:{} {}{detail}",
                    result.file, result.line, result.name
                )?;
            }
        }
        ReportFormat::Json => {
            let tests: Vec<_> = results
                .iter()
                .map(|result| {
                    let (outcome, error) = match &result.outcome {
                        Outcome::Pass => ("pass", None),
                        Outcome::Fail => ("fail", None),
                        Outcome::Error(message) => ("error", Some(message.as_str())),
                    };
                    json!({
                        "file": result.file,
                        "package": result.package,
                        "name": result.name,
                        "line": result.line,
                        "outcome": outcome,
                        "error": error,
                        "duration_ms": result.duration.as_secs_f64() * 1000.0,
                    })
                })
                .collect();
            let document = json!({
                "tests": tests,
                "passed": passed,
                "failed": failed,
                "errors": errors,
            });
            serde_json::to_writer_pretty(&mut stdout, &document).map_err(io::Error::other)?;
            writeln!(stdout)?;
        }
    }
    stdout.flush()?;
    let summary = format!(
        "{passed} passed, {failed} failed, {errors} {}",
        if errors == 1 { "error" } else { "errors" }
    );
    if results.is_empty() {
        output::print_status("no tests found: a test is a rule named `test_…` in a .rego file");
    } else if failed + errors > 0 || problems {
        output::print_status(&format!("error: {summary}"));
    } else {
        output::print_status(&summary);
    }
    Ok(if failed + errors > 0 || problems { ExitStatus::Failure } else { ExitStatus::Success })
}

fn run_eval(args: &PolicyEvalArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(workspace) = workspace(&args.paths) else { return Ok(ExitStatus::Error) };
    let set = workspace.set();
    let (stage, input) = match &args.plan {
        None => (
            Stage::Check,
            froyo_db::policies::check_input(&workspace.database, workspace.loaded.input),
        ),
        Some(path) => match plan_input(&workspace.root, path, args) {
            Some(input) => (Stage::Plan, input),
            None => return Ok(ExitStatus::Error),
        },
    };
    let mut stdout = io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, &input).map_err(io::Error::other)?;
    writeln!(stdout)?;
    let Some(name) = &args.policy else { return Ok(ExitStatus::Success) };
    let Some(policy) = set.policy_named(name) else {
        output::print_error(&format!(
            "no policy is named `{name}`; `froyo policy list` shows them"
        ));
        return Ok(ExitStatus::Error);
    };
    let evaluation = set.evaluate(stage, &froyo_policy::Input::from_json(&input), &|candidate| {
        candidate.name == policy.name
    });
    let findings: Vec<_> = evaluation
        .findings
        .iter()
        .map(|finding| {
            json!({
                "msg": finding.message,
                "resource": finding.resource,
                "host": finding.host,
                "path": finding.path,
                "level": finding.level.as_str(),
            })
        })
        .collect();
    serde_json::to_writer_pretty(&mut stdout, &json!({"policy": name, "findings": findings}))
        .map_err(io::Error::other)?;
    writeln!(stdout)?;
    drop(stdout);
    if workspace.report_problems(color)? || !evaluation.problems.is_empty() {
        for problem in &evaluation.problems {
            output::print_error(&problem.message);
        }
        return Ok(ExitStatus::Failure);
    }
    Ok(ExitStatus::Success)
}

fn plan_input(root: &Path, path: &Path, args: &PolicyEvalArgs) -> Option<serde_json::Value> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) => {
            output::print_error(&format!("cannot read {}: {error}", path.display()));
            return None;
        }
    };
    let location = crate::hosts::state_location(root, crate::hosts::named_state(&args.state))?;
    let state = crate::hosts::open_state(
        &location,
        crate::hosts::named_state(&args.state).is_some(),
        crate::hosts::Creates::No,
    )?;
    match froyo_engine::Plan::from_file_text(&text, &state) {
        Ok(plan) => Some(froyo_engine::policy::plan_input(
            &plan,
            froyo_engine::policy::PlanOptions { allow_destroy: args.allow_destroy },
        )),
        Err(error) => {
            output::print_runtime_errors(&[error]);
            None
        }
    }
}

fn run_list(args: &PolicyListArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(workspace) = workspace(&args.paths) else { return Ok(ExitStatus::Error) };
    let set = workspace.set();
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{:<24} {:<8} {:<9} {:<10} file", "name", "code", "level", "stage")?;
    for policy in &set.policies {
        let stage = match (policy.check, policy.plan) {
            (true, true) => "check+plan",
            (true, false) => "check",
            _ => "plan",
        };
        writeln!(
            stdout,
            "{:<24} {:<8} {:<9} {:<10} {}",
            policy.name,
            policy.code,
            set.level(policy).as_str(),
            stage,
            set.sources[policy.source].path
        )?;
    }
    drop(stdout);
    Ok(if workspace.report_problems(color)? { ExitStatus::Failure } else { ExitStatus::Success })
}
