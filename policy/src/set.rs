//! A set of policies: the built-in ones and a workspace's, loaded once and
//! evaluated many times.
//!
//! A policy is a Rego package that declares `policy` (its metadata, an
//! object with `name`, `level` and optionally `code`, `summary`, `scope`)
//! and at least one of `violations` (check time: the input is the IR) and
//! `plan_violations` (plan time: the input is the plan). Both are sets of
//! objects `{msg, resource?, host?, path?}`. Packages without `policy` are
//! libraries or tests: loaded, never evaluated as policies.
//!
//! Nothing a policy file or its results contain makes this module panic:
//! a module that does not parse, metadata of the wrong shape, a rule that
//! fails or runs out of time, and a result of the wrong shape all become a
//! [`Problem`] with a place in the `.rego` file.

use std::collections::BTreeMap;

use serde_json::Value as Json;

use crate::rego::{Input, Rego, RegoError};

/// A Rego file: a built-in policy or one of the workspace's `policies/*.rego`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// As shown to users: `policies/no_tmp.rego`, `froyo.dev/policies/…`.
    pub path: String,
    pub text: String,
    pub builtin: bool,
}

/// What a policy does when it finds something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// Not evaluated.
    Off,
    /// Reported as a note; never fails anything.
    Advisory,
    /// Reported as a warning; never fails anything.
    Warn,
    /// Reported as an error: `check` and `plan` fail, `apply` refuses, unless
    /// the policy is allowed (`--allow-policy NAME --reason TEXT`).
    Deny,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "off" => Some(Level::Off),
            "advisory" => Some(Level::Advisory),
            "warn" => Some(Level::Warn),
            "deny" => Some(Level::Deny),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Off => "off",
            Level::Advisory => "advisory",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// Which input a policy reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Stage {
    /// The IR, in `froyo check`, the language server, `plan` and `apply`.
    Check,
    /// The plan, in `froyo plan` and before `froyo apply` changes anything.
    Plan,
}

impl Stage {
    /// The rule that holds the stage's findings.
    pub fn rule(self) -> &'static str {
        match self {
            Stage::Check => "violations",
            Stage::Plan => "plan_violations",
        }
    }
}

/// How much of the IR one evaluation of a check-time policy needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Each resource on its own (with every host): evaluated per source
    /// file, so an edit re-evaluates one file's resources.
    Resource,
    /// The whole workspace at once (the default for workspace policies).
    Workspace,
}

/// One policy of the set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Its package as a rule path, such as `data.froyo.builtin.world_writable`.
    pub package: String,
    /// Kebab-case, unique in the set, what `--allow-policy` and `levels` name.
    pub name: String,
    /// Shown as the diagnostic's code: the built-ins' `P0001`…, else the
    /// policy's own `code`, else its name.
    pub code: String,
    pub level: Level,
    pub summary: String,
    pub scope: Scope,
    pub check: bool,
    pub plan: bool,
    /// Index of its file in [`PolicySet::sources`].
    pub source: usize,
    /// 1-based line of its `policy` rule, where problems with it are shown.
    pub line: u32,
}

impl Policy {
    pub fn builtin(&self, set: &PolicySet) -> bool {
        set.sources.get(self.source).is_some_and(|source| source.builtin)
    }

    pub fn runs_at(&self, stage: Stage) -> bool {
        match stage {
            Stage::Check => self.check,
            Stage::Plan => self.plan,
        }
    }
}

/// Why a policy file or a policy could not do its job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub kind: ProblemKind,
    /// Index into [`PolicySet::sources`], when the problem has a file.
    pub source: Option<usize>,
    /// 1-based line and column.
    pub line: u32,
    pub column: u32,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProblemKind {
    /// The file is not valid Rego.
    Syntax,
    /// A policy's metadata or result has the wrong shape, or its evaluation failed.
    Evaluation,
}

/// One thing a policy found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index into [`PolicySet::policies`].
    pub policy: usize,
    pub level: Level,
    pub message: String,
    /// The resource id it concerns, if any.
    pub resource: Option<String>,
    /// The host it concerns, if any.
    pub host: Option<String>,
    /// The property path inside the resource (or host); empty: the whole of it.
    pub path: Vec<String>,
}

/// What one evaluation found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Evaluation {
    pub findings: Vec<Finding>,
    pub problems: Vec<Problem>,
}

/// Built-in and workspace policies, parsed.
#[derive(Debug)]
pub struct PolicySet {
    rego: Rego,
    /// An evaluator kept between evaluations: copying one costs more than
    /// most evaluations (a busy one is copied, so threads never wait).
    spare: std::sync::Mutex<Option<Rego>>,
    pub sources: Vec<Source>,
    pub policies: Vec<Policy>,
    /// Problems found while loading (syntax errors, metadata).
    pub problems: Vec<Problem>,
    /// The package of each source that parsed, by source index.
    packages: Vec<Option<String>>,
    /// The levels `policy_data.levels` sets, by policy name.
    levels: BTreeMap<String, Level>,
}

/// The built-in policies and their tests, as sources.
pub fn builtin_sources() -> Vec<Source> {
    froyo_stdlib::POLICIES
        .iter()
        .map(|file| Source {
            path: file.name.to_string(),
            text: file.text.to_string(),
            builtin: true,
        })
        .collect()
}

impl PolicySet {
    /// Loads the built-in policies, then `workspace`'s, with `policy_data`
    /// (the workspace's CUE `policy_data`, or null) as `data.policy_data`.
    pub fn load(workspace: Vec<Source>, policy_data: &Json) -> PolicySet {
        let mut sources = builtin_sources();
        sources.extend(workspace);
        PolicySet::load_sources(sources, policy_data)
    }

    /// Loads exactly these sources.
    pub fn load_sources(sources: Vec<Source>, policy_data: &Json) -> PolicySet {
        let mut set = PolicySet {
            rego: Rego::default(),
            spare: std::sync::Mutex::new(None),
            sources,
            policies: Vec::new(),
            problems: Vec::new(),
            packages: Vec::new(),
            levels: BTreeMap::new(),
        };
        // Built-in files are known to compile; each workspace file joins
        // only if the modules still compile with it, so that one broken
        // file never stops the others.
        for index in 0..set.sources.len() {
            let source = &set.sources[index];
            let mut candidate = set.rego.clone();
            let added = candidate.add(&source.path, &source.text).and_then(|package| {
                if !source.builtin {
                    candidate.prepare()?;
                }
                Ok(package)
            });
            match added {
                Ok(package) => {
                    set.rego = candidate;
                    set.packages.push(Some(package));
                }
                Err(error) => {
                    set.packages.push(None);
                    let problem = set.problem(ProblemKind::Syntax, Some(index), 1, error);
                    set.problems.push(problem);
                }
            }
        }
        let data = match policy_data {
            Json::Null => Json::Object(Default::default()),
            other => other.clone(),
        };
        if let Err(error) = set.rego.set_data(&serde_json::json!({ "policy_data": data })) {
            let problem = set.problem(ProblemKind::Evaluation, None, 1, error);
            set.problems.push(problem);
        }
        set.read_policies();
        set.read_levels(&data);
        set
    }

    fn read_policies(&mut self) {
        for index in 0..self.sources.len() {
            let Some(package) = self.packages[index].clone() else { continue };
            let text = &self.sources[index].text;
            let Some(line) = rule_line(text, "policy") else { continue };
            let check = rule_line(text, Stage::Check.rule()).is_some();
            let plan = rule_line(text, Stage::Plan.rule()).is_some();
            let metadata = match self.rego.evaluate(&format!("{package}.policy"), &Input::null()) {
                Ok(Some(Json::Object(metadata))) => metadata,
                Ok(_) => {
                    self.invalid(index, line, "`policy` must be an object such as {\"name\": \"no-tmp-files\", \"level\": \"deny\"}");
                    continue;
                }
                Err(error) => {
                    let problem = self.problem(ProblemKind::Evaluation, Some(index), line, error);
                    self.problems.push(problem);
                    continue;
                }
            };
            let text_field = |name: &str| metadata.get(name).and_then(Json::as_str);
            let default_name = package.rsplit('.').next().unwrap_or("policy").replace('_', "-");
            let name = text_field("name").unwrap_or(&default_name).to_string();
            if !is_policy_name(&name) {
                self.invalid(index, line, &format!("policy name `{name}` must be kebab-case: lower-case letters, digits and `-`"));
                continue;
            }
            if let Some(first) = self.policies.iter().find(|policy| policy.name == name) {
                let other = self.sources[first.source].path.clone();
                self.invalid(
                    index,
                    line,
                    &format!("a policy named `{name}` is already declared in {other}"),
                );
                continue;
            }
            let level = match text_field("level") {
                None => Level::Deny,
                Some(text) => match Level::parse(text) {
                    Some(level) => level,
                    None => {
                        self.invalid(index, line, &format!("unknown level `{text}`: use \"deny\", \"warn\", \"advisory\" or \"off\""));
                        continue;
                    }
                },
            };
            let builtin = self.sources[index].builtin;
            let scope = match text_field("scope") {
                Some("resource") => Scope::Resource,
                Some("workspace") => Scope::Workspace,
                None if builtin => Scope::Resource,
                None => Scope::Workspace,
                Some(other) => {
                    self.invalid(
                        index,
                        line,
                        &format!("unknown scope `{other}`: use \"resource\" or \"workspace\""),
                    );
                    continue;
                }
            };
            if !check && !plan {
                self.invalid(index, line, "the policy declares neither `violations` (check time) nor `plan_violations` (plan time)");
                continue;
            }
            self.policies.push(Policy {
                package,
                code: text_field("code").unwrap_or(&name).to_string(),
                summary: text_field("summary").unwrap_or("").to_string(),
                name,
                level,
                scope,
                check,
                plan,
                source: index,
                line,
            });
        }
    }

    fn read_levels(&mut self, data: &Json) {
        let Some(levels) = data.get("levels").and_then(Json::as_object) else { return };
        for (name, level) in levels {
            match level.as_str().and_then(Level::parse) {
                Some(level) if self.policy_named(name).is_some() => {
                    self.levels.insert(name.clone(), level);
                }
                Some(_) => self.problems.push(Problem {
                    kind: ProblemKind::Evaluation,
                    source: None,
                    line: 1,
                    column: 1,
                    message: format!(
                        "`policy_data.levels` names `{name}`, which is no policy; `froyo policy list` shows them"
                    ),
                }),
                None => self.problems.push(Problem {
                    kind: ProblemKind::Evaluation,
                    source: None,
                    line: 1,
                    column: 1,
                    message: format!(
                        "`policy_data.levels.{name}` must be \"deny\", \"warn\", \"advisory\" or \"off\""
                    ),
                }),
            }
        }
    }

    fn invalid(&mut self, source: usize, line: u32, message: &str) {
        self.problems.push(Problem {
            kind: ProblemKind::Evaluation,
            source: Some(source),
            line,
            column: 1,
            message: message.to_string(),
        });
    }

    /// A problem from a regorus error, placed where regorus said, else at
    /// `line` of `source`.
    fn problem(
        &self,
        kind: ProblemKind,
        source: Option<usize>,
        line: u32,
        error: RegoError,
    ) -> Problem {
        let located = error.location.as_ref().and_then(|(path, line, column)| {
            let index = self.sources.iter().position(|source| &source.path == path)?;
            Some((index, *line, *column))
        });
        match located {
            Some((index, line, column)) => {
                Problem { kind, source: Some(index), line, column, message: error.message }
            }
            None => Problem { kind, source, line, column: 1, message: error.message },
        }
    }

    /// The policy called `name`.
    pub fn policy_named(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|policy| policy.name == name)
    }

    /// A policy's level: `policy_data.levels` over its own.
    pub fn level(&self, policy: &Policy) -> Level {
        self.levels.get(&policy.name).copied().unwrap_or(policy.level)
    }

    /// Evaluates the policies of `stage` that `select` keeps, on `input`.
    pub fn evaluate(
        &self,
        stage: Stage,
        input: &Input,
        select: &dyn Fn(&Policy) -> bool,
    ) -> Evaluation {
        let mut evaluation = Evaluation::default();
        let spare = self.spare.try_lock().ok().and_then(|mut spare| spare.take());
        let mut rego = spare.unwrap_or_else(|| self.rego.clone());
        for (index, policy) in self.policies.iter().enumerate() {
            let level = self.level(policy);
            if level == Level::Off || !policy.runs_at(stage) || !select(policy) {
                continue;
            }
            let rule = format!("{}.{}", policy.package, stage.rule());
            let line =
                rule_line(&self.sources[policy.source].text, stage.rule()).unwrap_or(policy.line);
            match rego.evaluate(&rule, input) {
                Ok(None) => {}
                Ok(Some(Json::Array(items))) => {
                    for item in items {
                        match finding(index, level, &item) {
                            Ok(finding) => evaluation.findings.push(finding),
                            // One problem per policy: the first malformed result.
                            Err(message) => { evaluation.problems.push(Problem {
                                kind: ProblemKind::Evaluation,
                                source: Some(policy.source),
                                line,
                                column: 1,
                                message: format!("`{}` of policy `{}`: {message}", stage.rule(), policy.name),
                            });
                            break;
                            }
                        }
                    }
                }
                Ok(Some(_)) => evaluation.problems.push(Problem {
                    kind: ProblemKind::Evaluation,
                    source: Some(policy.source),
                    line,
                    column: 1,
                    message: format!(
                        "`{}` of policy `{}` must be a set of objects (`{} contains {{\"msg\": …}} if …`)",
                        stage.rule(),
                        policy.name,
                        stage.rule()
                    ),
                }),
                Err(error) => evaluation.problems.push(self.problem(
                    ProblemKind::Evaluation,
                    Some(policy.source),
                    line,
                    error,
                )),
            }
        }
        if let Ok(mut spare) = self.spare.try_lock() {
            *spare = Some(rego);
        }
        evaluation
    }

    /// The package of source `index`, if it parsed.
    pub fn package_of(&self, index: usize) -> Option<&str> {
        self.packages.get(index)?.as_deref()
    }

    /// A fresh evaluator over the set's modules and data, for the test runner.
    pub(crate) fn rego(&self) -> Rego {
        self.rego.clone()
    }
}

/// One result object as a finding.
fn finding(policy: usize, level: Level, item: &Json) -> Result<Finding, String> {
    let Json::Object(fields) = item else {
        return Err(format!("each result must be an object with `msg`, not {item}"));
    };
    let message = match fields.get("msg") {
        Some(Json::String(message)) if !message.trim().is_empty() => message.trim().to_string(),
        _ => return Err(format!("a result has no `msg` string: {item}")),
    };
    let text = |name: &str| -> Result<Option<String>, String> {
        match fields.get(name) {
            None | Some(Json::Null) => Ok(None),
            Some(Json::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!("`{name}` of a result must be a string, not {other}")),
        }
    };
    let path = match fields.get("path") {
        None | Some(Json::Null) => Vec::new(),
        Some(Json::String(text)) => {
            text.split('.').filter(|part| !part.is_empty()).map(str::to_string).collect()
        }
        Some(Json::Array(parts)) => {
            let mut path = Vec::with_capacity(parts.len());
            for part in parts {
                match part {
                    Json::String(text) => path.push(text.clone()),
                    Json::Number(number) => path.push(number.to_string()),
                    other => return Err(format!("`path` holds {other}; use strings and indexes")),
                }
            }
            path
        }
        Some(other) => {
            return Err(format!("`path` of a result must be a list of names, not {other}"));
        }
    };
    Ok(Finding { policy, level, message, resource: text("resource")?, host: text("host")?, path })
}

/// The 1-based line where a rule called `name` is declared at the start of a
/// line (`name :=`, `name contains`, `name if`, `name[`…), if any.
pub(crate) fn rule_line(text: &str, name: &str) -> Option<u32> {
    text.lines()
        .position(|line| {
            line.strip_prefix(name).is_some_and(|rest| {
                rest.is_empty() || rest.starts_with([' ', '\t', ':', '=', '[', '(', '{'])
            })
        })
        .map(|index| index as u32 + 1)
}

fn is_policy_name(name: &str) -> bool {
    !name.is_empty()
        && name.starts_with(|character: char| character.is_ascii_lowercase())
        && name.chars().all(|character| {
            character.is_ascii_lowercase() || character.is_ascii_digit() || character == '-'
        })
}
