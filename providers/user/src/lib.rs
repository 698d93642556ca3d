//! `linux.user`: a user account and its attributes, or its absence.
//!
//! Probe: `getent passwd <name>` (exit 2: no such user), `id -Gn <name>`
//! (primary group first, then the supplementary ones) and, when `password`
//! is set, `getent shadow <name>` (readable only as root: the hash is compared
//! only when it could be read). Plan: `useradd`/`usermod` with flags for the
//! attributes that differ (`-u`, `-g`, `-G`, `-d`, `-s`, `-r` at creation),
//! `userdel`. The password hash is set with `chpasswd -e` through the
//! command's stdin (`name:hash`), never on a command line. Unset attributes
//! keep what the account has.
//!
//! Boundary: the pure logic is [`probe_user`] and [`plan_user`].

use froyo_provider_sdk::changes::{Changes, string};
use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, Descriptor, Op, PlanRequest, PlanResponse, Probe, ProbeRequest, ProbeResponse,
    Properties, Provider, Value, command_result, converged, descriptor,
};

pub const TYPE: &str = "linux.user";

pub struct UserProvider;

impl Provider for UserProvider {
    fn describe() -> Descriptor {
        descriptor(
            TYPE,
            &["getent", "id", "useradd", "usermod", "userdel", "chpasswd"],
            &[],
            &[],
            &[],
        )
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        probe_user(&request)
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_user(&request)
    }
}

froyo_provider_sdk::export!(UserProvider);

struct Desired<'a> {
    name: &'a str,
    present: bool,
    uid: Option<u64>,
    group: Option<&'a str>,
    groups: Option<Vec<String>>,
    home: Option<&'a str>,
    shell: Option<&'a str>,
    system: bool,
    password: Option<&'a str>,
}

fn desired(properties: &Properties) -> Result<Desired<'_>, String> {
    let p = Props::new(TYPE, properties);
    let name = p.str("name")?;
    if name.is_empty() || name.starts_with('-') || name.contains(':') {
        return Err(format!("{TYPE}: {name:?} is not a valid user name"));
    }
    let groups = p.opt_str_list("groups")?;
    if let Some(g) = groups.iter().flatten().find(|g| g.is_empty() || g.contains(',')) {
        return Err(format!("{TYPE}: {name}: {g:?} is not a valid group name"));
    }
    let password = p.opt_str("password")?;
    if password.is_some_and(|pw| pw.contains(['\n', ':'])) {
        return Err(format!("{TYPE}: {name}: the password hash must not contain ':' or a newline"));
    }
    Ok(Desired {
        name,
        present: p.one_of("state", &["present", "absent"], "present")? == "present",
        uid: p.opt_u64("uid")?,
        group: p.opt_str("group")?,
        groups,
        home: p.opt_str("home")?,
        shell: p.opt_str("shell")?,
        system: p.bool_or("system", false)?,
        password,
    })
}

/// `getent passwd`, `id -Gn` and (with a password) `getent shadow`.
pub fn probe_user(request: &ProbeRequest) -> Result<ProbeResponse, String> {
    let d = desired(&request.properties)?;
    let mut probes = vec![
        Probe::Command(Command::new(["getent", "passwd", d.name])),
        Probe::Command(Command::new(["id", "-Gn", d.name])),
    ];
    if d.password.is_some() {
        probes.push(Probe::Command(Command::new(["getent", "shadow", d.name])));
    }
    Ok(ProbeResponse { probes })
}

struct Account {
    uid: u64,
    home: String,
    shell: String,
    group: Option<String>,
    groups: Vec<String>,
    /// `None` when the shadow database could not be read.
    password: Option<String>,
}

fn account(d: &Desired<'_>, request: &PlanRequest) -> Result<Option<Account>, String> {
    let passwd = command_result(TYPE, request, 0, "getent passwd")?;
    match passwd.status {
        Some(0) => {}
        Some(2) => return Ok(None),
        status => {
            return Err(format!(
                "{TYPE}: getent passwd {} failed (status {status:?}): {}",
                d.name,
                passwd.stderr.trim()
            ));
        }
    }
    let line = passwd.stdout.lines().next().unwrap_or_default();
    let fields: Vec<&str> = line.split(':').collect();
    let [_, _, uid, _, _, home, shell] = fields.as_slice() else {
        return Err(format!("{TYPE}: cannot read getent's answer for {}: {line:?}", d.name));
    };
    let uid = uid
        .parse::<u64>()
        .map_err(|_| format!("{TYPE}: cannot read the uid of {} from {line:?}", d.name))?;
    let ids = command_result(TYPE, request, 1, "id -Gn")?;
    let mut names = ids.stdout.split_whitespace().map(str::to_string);
    let group = if ids.status == Some(0) { names.next() } else { None };
    let mut groups: Vec<String> = names.collect();
    groups.sort();
    groups.dedup();
    let password = if d.password.is_some() {
        let shadow = command_result(TYPE, request, 2, "getent shadow")?;
        (shadow.status == Some(0))
            .then(|| {
                shadow.stdout.lines().next().and_then(|l| l.split(':').nth(1)).map(str::to_string)
            })
            .flatten()
    } else {
        None
    };
    Ok(Some(Account {
        uid,
        home: home.to_string(),
        shell: shell.to_string(),
        group,
        groups,
        password,
    }))
}

fn exec(argv: Vec<String>) -> Op {
    Op::Exec { command: Command::new(argv), creates: None, unless: None, onlyif: None }
}

fn chpasswd(name: &str, hash: &str) -> Op {
    let mut command = Command::new(["chpasswd", "-e"]);
    command.stdin = Some(format!("{name}:{hash}\n"));
    Op::Exec { command, creates: None, unless: None, onlyif: None }
}

fn sorted(groups: &[String]) -> Vec<String> {
    let mut g = groups.to_vec();
    g.sort();
    g.dedup();
    g
}

/// useradd / usermod / userdel, and chpasswd for the password.
pub fn plan_user(request: &PlanRequest) -> Result<PlanResponse, String> {
    let d = desired(&request.properties)?;
    let found = account(&d, request)?;
    let observed = found.as_ref().map(|a| {
        let mut o = Properties::new();
        o.insert("name".into(), Value::from(d.name));
        o.insert("state".into(), Value::from("present"));
        o.insert("uid".into(), Value::from(a.uid));
        if let Some(g) = &a.group {
            o.insert("group".into(), Value::from(g.as_str()));
        }
        o.insert("groups".into(), Value::from(a.groups.clone()));
        o.insert("home".into(), Value::from(a.home.as_str()));
        o.insert("shell".into(), Value::from(a.shell.as_str()));
        if let Some(p) = &a.password {
            o.insert("password".into(), Value::from(p.as_str()));
        }
        o
    });
    let mut changes = Changes::new();
    let mut ops = Vec::new();
    let mut notes = Vec::new();
    let action = match (d.present, &found) {
        (false, None) => return Ok(converged(None)),
        (false, Some(_)) => {
            changes.push("state", string("present"), string("absent"));
            ops.push(Op::Exec {
                command: Command::new(["userdel", d.name]),
                creates: None,
                unless: None,
                // Only what is still there when the operation runs.
                onlyif: Some(Command::new(["getent", "passwd", d.name])),
            });
            Action::Delete
        }
        (true, None) => {
            changes.push("state", string("absent"), string("present"));
            let mut argv = vec!["useradd".to_string()];
            if let Some(u) = d.uid {
                changes.push("uid", None, Some(Value::from(u)));
                argv.extend(["-u".into(), u.to_string()]);
            }
            if let Some(g) = d.group {
                changes.push("group", None, string(g));
                argv.extend(["-g".into(), g.into()]);
            }
            if let Some(gs) = &d.groups {
                changes.push("groups", None, Some(Value::from(sorted(gs))));
                if !gs.is_empty() {
                    argv.extend(["-G".into(), gs.join(",")]);
                }
            }
            if let Some(h) = d.home {
                changes.push("home", None, string(h));
                argv.extend(["-d".into(), h.into()]);
            }
            if let Some(s) = d.shell {
                changes.push("shell", None, string(s));
                argv.extend(["-s".into(), s.into()]);
            }
            argv.push(if d.system { "-r" } else { "-m" }.into());
            argv.push(d.name.into());
            ops.push(exec(argv));
            if let Some(pw) = d.password {
                changes.push("password", None, string(pw));
                ops.push(chpasswd(d.name, pw));
            }
            Action::Create
        }
        (true, Some(a)) => {
            let mut argv = vec!["usermod".to_string()];
            if let Some(u) = d.uid
                && changes.diff("uid", Some(Value::from(a.uid)), Some(Value::from(u)))
            {
                argv.extend(["-u".into(), u.to_string()]);
            }
            if let Some(g) = d.group
                && changes.diff("group", a.group.as_deref().and_then(string), string(g))
            {
                argv.extend(["-g".into(), g.into()]);
            }
            if let Some(gs) = &d.groups
                && changes.diff(
                    "groups",
                    Some(Value::from(a.groups.clone())),
                    Some(Value::from(sorted(gs))),
                )
            {
                argv.extend(["-G".into(), gs.join(",")]);
            }
            if let Some(h) = d.home
                && changes.diff("home", string(&a.home), string(h))
            {
                argv.extend(["-d".into(), h.into()]);
            }
            if let Some(s) = d.shell
                && changes.diff("shell", string(&a.shell), string(s))
            {
                argv.extend(["-s".into(), s.into()]);
            }
            if argv.len() > 1 {
                argv.push(d.name.into());
                ops.push(exec(argv));
            }
            if let Some(pw) = d.password {
                match &a.password {
                    Some(current) => {
                        if changes.diff("password", string(current), string(pw)) {
                            ops.push(chpasswd(d.name, pw));
                        }
                    }
                    None => notes.push(format!(
                        "the password of {} cannot be compared (the shadow database is not readable; run as root): left as it is",
                        d.name
                    )),
                }
            }
            if ops.is_empty() {
                return Ok(PlanResponse { notes, ..converged(observed) });
            }
            Action::Update
        }
    };
    Ok(PlanResponse {
        observed,
        action,
        changes: changes.into_vec(),
        ops,
        checks: Vec::new(),
        notes,
    })
}
