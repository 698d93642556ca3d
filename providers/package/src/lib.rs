//! `linux.package`: a package of the host's package manager, installed (any
//! version, an exact one, or the latest) or not.
//!
//! The manager comes from `facts.package_manager`:
//! - apt: `dpkg-query -W -f=${Status}\t${Version}\n <name>`, `apt-cache policy`
//!   for `latest`; `apt-get install -y -q --no-install-recommends name[=version]`
//!   and `apt-get remove -y -q name` with `DEBIAN_FRONTEND=noninteractive`;
//! - dnf / yum: `rpm -q --qf %{VERSION}-%{RELEASE}\n`, `<mgr> check-update -q`
//!   for `latest` (exit 100: an update exists); `<mgr> install -y name[-version]`,
//!   `<mgr> upgrade -y`, `<mgr> remove -y`;
//! - zypper: `rpm -q`, `zypper --non-interactive info` for `latest`;
//!   `zypper --non-interactive install/update/remove`;
//! - apk: `apk info -e`, `apk version` for versions; `apk add`, `apk add --upgrade`, `apk del`.
//!
//! Any other host is an error that names the supported managers.
//!
//! Boundary: the pure logic is [`probe_package`] and [`plan_package`].

use std::collections::BTreeMap;

use froyo_provider_sdk::changes::{Changes, opt_string, string};
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, CommandOutput, Descriptor, Facts, Op, PlanRequest, PlanResponse, Probe,
    ProbeRequest, ProbeResponse, Properties, Provider, Value, command_result, converged,
    descriptor,
};

pub const TYPE: &str = "linux.package";

pub struct PackageProvider;

impl Provider for PackageProvider {
    fn describe() -> Descriptor {
        descriptor(
            TYPE,
            &["dpkg-query", "apt-cache", "apt-get", "rpm", "dnf", "yum", "zypper", "apk"],
            &[],
            &[],
            &[],
        )
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_package(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_package(&request)
    }
}

froyo_provider_sdk::export!(PackageProvider);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Manager {
    Apt,
    Dnf,
    Yum,
    Zypper,
    Apk,
}

fn manager(facts: &Facts) -> Result<Manager, String> {
    match facts.package_manager.as_deref() {
        Some("apt") => Ok(Manager::Apt),
        Some("dnf") => Ok(Manager::Dnf),
        Some("yum") => Ok(Manager::Yum),
        Some("zypper") => Ok(Manager::Zypper),
        Some("apk") => Ok(Manager::Apk),
        _ => Err(format!(
            "{TYPE}: no supported package manager on this host (apt, dnf, yum, zypper, apk)"
        )),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Present,
    Latest,
    Absent,
}

struct Desired<'a> {
    name: &'a str,
    state: State,
    version: Option<&'a str>,
}

fn desired(properties: &Properties) -> Result<Desired<'_>, String> {
    let p = Props::new(TYPE, properties);
    let state = match p.one_of("state", &["present", "latest", "absent"], "present")? {
        "latest" => State::Latest,
        "absent" => State::Absent,
        _ => State::Present,
    };
    let version = p.opt_str("version")?;
    let name = p.str("name")?;
    if name.starts_with('-') {
        return Err(format!("{TYPE}: package name {name:?} must not start with '-'"));
    }
    if version.is_some() && state != State::Present {
        return Err(format!("{TYPE}: {name}: `version` is only allowed with state \"present\""));
    }
    Ok(Desired { name, state, version })
}

fn cmd(argv: &[&str]) -> Command {
    Command::new(argv.iter().copied())
}

const RPM_QF: &str = "%{VERSION}-%{RELEASE}\\n";

/// The query for what is installed, then (for `latest`) for what is available.
pub fn probe_package(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    let m = manager(&request.facts)?;
    let d = desired(&request.properties)?;
    let n = d.name;
    let mut probes = vec![match m {
        Manager::Apt => cmd(&["dpkg-query", "-W", "-f=${Status}\\t${Version}\\n", n]),
        Manager::Dnf | Manager::Yum | Manager::Zypper => cmd(&["rpm", "-q", "--qf", RPM_QF, n]),
        Manager::Apk => cmd(&["apk", "info", "-e", n]),
    }];
    if m == Manager::Apk && d.state != State::Absent {
        probes.push(cmd(&["apk", "version", n]));
    }
    if d.state == State::Latest {
        match m {
            Manager::Apt => probes.push(cmd(&["apt-cache", "policy", n])),
            Manager::Dnf => probes.push(cmd(&["dnf", "check-update", "-q", n])),
            Manager::Yum => probes.push(cmd(&["yum", "check-update", "-q", n])),
            Manager::Zypper => probes.push(cmd(&["zypper", "--non-interactive", "info", n])),
            Manager::Apk => {}
        }
    }
    Ok(ProbeResponse { probes: probes.into_iter().map(Probe::Command).collect() })
}

/// What is installed and what is available, from the probes.
#[derive(Debug, Default)]
struct Found {
    installed: Option<String>,
    /// `Some` when a newer version than the installed one is available.
    newer: Option<String>,
}

fn found(m: Manager, d: &Desired<'_>, request: &PlanRequest) -> Result<Found, String> {
    let first = command_result(TYPE, request, 0, "the installed-package query")?;
    let mut f = Found::default();
    match m {
        Manager::Apt => {
            if first.status == Some(0) {
                f.installed = first.stdout.lines().find_map(|line| {
                    let (status, version) = line.split_once('\t')?;
                    status.ends_with(" installed").then(|| version.trim().to_string())
                });
            }
            if d.state == State::Latest && f.installed.is_some() {
                let policy = command_result(TYPE, request, 1, "apt-cache policy")?;
                let field = |key: &str| {
                    policy
                        .stdout
                        .lines()
                        .find_map(|l| l.trim().strip_prefix(key).map(|v| v.trim().to_string()))
                };
                if let Some(candidate) = field("Candidate:")
                    && candidate != "(none)"
                    && Some(&candidate) != f.installed.as_ref()
                {
                    f.newer = Some(candidate);
                }
            }
        }
        Manager::Dnf | Manager::Yum | Manager::Zypper => {
            if first.status == Some(0) {
                f.installed = first.stdout.lines().next().map(|l| l.trim().to_string());
            }
            if d.state == State::Latest && f.installed.is_some() {
                let out = command_result(TYPE, request, 1, "the available-version query")?;
                f.newer = if m == Manager::Zypper {
                    zypper_newer(out)
                } else {
                    check_update_newer(out, d.name)
                };
            }
        }
        Manager::Apk => {
            if first.status == Some(0) && d.state != State::Absent {
                let version = command_result(TYPE, request, 1, "apk version")?;
                let (installed, newer) = apk_version(&version.stdout, d.name);
                f.installed = Some(installed.unwrap_or_default());
                if d.state == State::Latest {
                    f.newer = newer;
                }
            } else if first.status == Some(0) {
                f.installed = Some(String::new());
            }
        }
    }
    Ok(f)
}

/// `dnf/yum check-update`: exit 100 and a line `name.arch  version  repo` when an update exists.
fn check_update_newer(out: &CommandOutput, name: &str) -> Option<String> {
    if out.status != Some(100) {
        return None;
    }
    out.stdout
        .lines()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let pkg = parts.next()?;
            let version = parts.next()?;
            (pkg == name || pkg.rsplit_once('.').is_some_and(|(n, _)| n == name))
                .then(|| version.to_string())
        })
        .next()
        .or_else(|| Some("newer".to_string()))
}

/// `zypper info`: `Status : out-of-date …` and `Version : …`.
fn zypper_newer(out: &CommandOutput) -> Option<String> {
    let field = |key: &str| {
        out.stdout.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            (k.trim() == key).then(|| v.trim().to_string())
        })
    };
    field("Status")
        .filter(|s| s.contains("out-of-date"))
        .map(|_| field("Version").unwrap_or_else(|| "newer".to_string()))
}

/// `apk version <name>`: `name-1.2-r0  < 1.3-r0` (`<`: a newer one is available).
fn apk_version(stdout: &str, name: &str) -> (Option<String>, Option<String>) {
    for line in stdout.lines() {
        let mut parts = line.split_whitespace();
        let Some(first) = parts.next() else { continue };
        let Some(version) = first.strip_prefix(name).and_then(|v| v.strip_prefix('-')) else {
            continue;
        };
        let relation = parts.next();
        let available = parts.next();
        let newer = (relation == Some("<")).then(|| available.unwrap_or("newer").to_string());
        return (Some(version.to_string()), newer);
    }
    (None, None)
}

fn version_matches(m: Manager, installed: &str, wanted: &str) -> bool {
    match m {
        Manager::Dnf | Manager::Yum | Manager::Zypper => {
            installed == wanted || installed.split_once('-').is_some_and(|(v, _)| v == wanted)
        }
        _ => installed == wanted,
    }
}

fn apt_env() -> BTreeMap<String, String> {
    BTreeMap::from([("DEBIAN_FRONTEND".to_string(), "noninteractive".to_string())])
}

fn exec(argv: Vec<String>, env: BTreeMap<String, String>) -> Op {
    let mut command = Command::new(argv);
    command.env = env;
    Op::Exec { command, creates: None, unless: None, onlyif: None }
}

fn install_op(m: Manager, name: &str, version: Option<&str>) -> Op {
    let spec = |sep: &str| match version {
        Some(v) => format!("{name}{sep}{v}"),
        None => name.to_string(),
    };
    let s = |v: &[&str]| v.iter().map(|s| (*s).to_string()).collect::<Vec<_>>();
    match m {
        Manager::Apt => {
            let mut argv = s(&["apt-get", "install", "-y", "-q", "--no-install-recommends"]);
            argv.push(spec("="));
            exec(argv, apt_env())
        }
        Manager::Dnf | Manager::Yum => {
            let mut argv = s(&[if m == Manager::Dnf { "dnf" } else { "yum" }, "install", "-y"]);
            argv.push(spec("-"));
            exec(argv, BTreeMap::new())
        }
        Manager::Zypper => {
            let mut argv = s(&["zypper", "--non-interactive", "install"]);
            argv.push(spec("="));
            exec(argv, BTreeMap::new())
        }
        Manager::Apk => {
            let mut argv = s(&["apk", "add"]);
            argv.push(spec("="));
            exec(argv, BTreeMap::new())
        }
    }
}

fn upgrade_op(m: Manager, name: &str) -> Op {
    let argv: Vec<String> = match m {
        Manager::Apt => {
            return exec(
                [
                    "apt-get",
                    "install",
                    "-y",
                    "-q",
                    "--no-install-recommends",
                    "--only-upgrade",
                    name,
                ]
                .map(String::from)
                .to_vec(),
                apt_env(),
            );
        }
        Manager::Dnf => ["dnf", "upgrade", "-y", name].map(String::from).to_vec(),
        Manager::Yum => ["yum", "update", "-y", name].map(String::from).to_vec(),
        Manager::Zypper => {
            ["zypper", "--non-interactive", "update", name].map(String::from).to_vec()
        }
        Manager::Apk => ["apk", "add", "--upgrade", name].map(String::from).to_vec(),
    };
    exec(argv, BTreeMap::new())
}

fn remove_op(m: Manager, name: &str) -> Op {
    let (argv, env): (Vec<String>, _) = match m {
        Manager::Apt => {
            (["apt-get", "remove", "-y", "-q", name].map(String::from).to_vec(), apt_env())
        }
        Manager::Dnf => (["dnf", "remove", "-y", name].map(String::from).to_vec(), BTreeMap::new()),
        Manager::Yum => (["yum", "remove", "-y", name].map(String::from).to_vec(), BTreeMap::new()),
        Manager::Zypper => (
            ["zypper", "--non-interactive", "remove", name].map(String::from).to_vec(),
            BTreeMap::new(),
        ),
        Manager::Apk => (["apk", "del", name].map(String::from).to_vec(), BTreeMap::new()),
    };
    exec(argv, env)
}

/// Observed state, changes and the package manager's commands.
pub fn plan_package(request: &PlanRequest) -> Result<PlanResponse, String> {
    let m = manager(&request.facts)?;
    let d = desired(&request.properties)?;
    let f = found(m, &d, request)?;
    let observed = f.installed.as_ref().map(|v| {
        let mut o = Properties::new();
        o.insert("name".into(), Value::from(d.name));
        o.insert("state".into(), Value::from("present"));
        if !v.is_empty() {
            o.insert("version".into(), Value::from(v.as_str()));
        }
        o
    });
    let mut changes = Changes::new();
    let (action, op) = match (d.state, &f.installed) {
        (State::Absent, None) => return Ok(converged(None)),
        (State::Absent, Some(v)) => {
            changes.push("state", string("present"), string("absent"));
            changes.diff("version", opt_string(Some(v.as_str()).filter(|v| !v.is_empty())), None);
            (Action::Delete, remove_op(m, d.name))
        }
        (_, None) => {
            changes.push("state", string("absent"), string("present"));
            if let Some(v) = d.version {
                changes.push("version", None, string(v));
            }
            (Action::Create, install_op(m, d.name, d.version))
        }
        (State::Present, Some(installed)) => match d.version {
            Some(wanted) if !version_matches(m, installed, wanted) => {
                changes.push("version", string(installed), string(wanted));
                (Action::Update, install_op(m, d.name, Some(wanted)))
            }
            _ => return Ok(converged(observed)),
        },
        (State::Latest, Some(installed)) => match &f.newer {
            Some(newer) => {
                changes.push("version", string(installed), string(newer));
                (Action::Update, upgrade_op(m, d.name))
            }
            None => return Ok(converged(observed)),
        },
    };
    Ok(PlanResponse {
        observed,
        action,
        changes: changes.into_vec(),
        ops: vec![op],
        checks: Vec::new(),
        notes: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use froyo_provider_sdk::{ProbeOutcome, ProbeResult, json};

    #[test]
    fn unknown_manager_is_a_clear_error() {
        let request = ProbeRequest {
            properties: json!({"name": "curl"}).as_object().cloned().unwrap_or_default(),
            facts: Facts::default(),
        };
        assert_eq!(
            probe_package(&request).unwrap_err(),
            "linux.package: no supported package manager on this host (apt, dnf, yum, zypper, apk)"
        );
    }

    #[test]
    fn apt_installed_is_converged() {
        let request = PlanRequest {
            properties: json!({"name": "curl"}).as_object().cloned().unwrap_or_default(),
            facts: Facts { package_manager: Some("apt".into()), ..Facts::default() },
            probes: vec![ProbeOutcome::Ok(ProbeResult::Command(CommandOutput {
                status: Some(0),
                stdout: "install ok installed\t7.88.1-10\n".into(),
                ..Default::default()
            }))],
            notified: false,
        };
        let plan = plan_package(&request).unwrap();
        assert_eq!(plan.action, Action::None);
        assert_eq!(plan.observed.unwrap()["version"], "7.88.1-10");
    }
}
