//! Capability checks: does a provider's answer stay within what its
//! descriptor declared?
//!
//! - every operation's path must equal, after lexical normalisation, the
//!   value of one of the declared `path-properties` (absolute, no `..`);
//! - every command (operations, their guards, probes) must either run a
//!   program named in `commands` (by `argv[0]`'s file name) or be exactly
//!   `["/bin/sh", "-c", <value of a declared command-property>]`;
//! - every command's context comes from the resource: each environment
//!   variable is an entry of the resource's `env` property with the same
//!   value, or one of [`FIXED_ENVIRONMENT`]; its `user` is the resource's
//!   `user` property; its `cwd` is the resource's `cwd` property or a
//!   declared path property's value. (A `PATH` or `LD_PRELOAD` of the
//!   provider's choosing would run another program than the one checked.)
//! - every HTTP probe's URL must equal a declared url-property's value.
//!
//! `Stat` probes may look at any path; they may read the content of declared
//! paths only.
//!
//! Invariant: pure functions of data; no panics on any input.

use std::fmt;

use froyo_provider_api::{Command, Descriptor, Op, Probe, Properties};
use serde_json::Value;

/// An operation or probe outside the provider's declared capabilities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CapabilityViolation {
    /// The provider's type name.
    pub type_name: String,
    /// Which item: `op 0 (write_file)`, `probe 1 (command)`, `check 0 (http)`.
    pub item: String,
    /// What it attempted: `writes /etc/shadow`, `runs ["curl", …]`.
    pub attempted: String,
    /// What was declared, with the values it allows.
    pub declared: String,
}

impl fmt::Display for CapabilityViolation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}, outside its declared capabilities ({})",
            self.type_name, self.item, self.attempted, self.declared
        )
    }
}

impl std::error::Error for CapabilityViolation {}

/// Check `probes` and `ops` against `descriptor`'s capabilities, given the
/// resource's `properties`.
pub fn check_capabilities(
    descriptor: &Descriptor,
    properties: &Properties,
    probes: &[Probe],
    ops: &[Op],
) -> Result<(), CapabilityViolation> {
    check_items(descriptor, properties, probes.iter().map(|p| ("probe", p)), ops)
}

/// As [`check_capabilities`], naming the probes with `label` (`probe`, `check`).
pub(crate) fn check_items<'a>(
    descriptor: &Descriptor,
    properties: &Properties,
    probes: impl Iterator<Item = (&'static str, &'a Probe)>,
    ops: &[Op],
) -> Result<(), CapabilityViolation> {
    let caps = &descriptor.capabilities;
    let violation = |item: String, attempted: String, declared: String| CapabilityViolation {
        type_name: descriptor.type_name.clone(),
        item,
        attempted,
        declared,
    };
    let values = |names: &[String]| -> Vec<(String, String)> {
        names
            .iter()
            .filter_map(|n| match properties.get(n) {
                Some(Value::String(s)) => Some((n.clone(), s.clone())),
                _ => None,
            })
            .collect()
    };
    let path_values = values(&caps.path_properties);
    let command_values = values(&caps.command_properties);
    let url_values = values(&caps.url_properties);
    // Whether a normalised path is the value of a declared path property.
    let declared_path =
        |normal: &str| path_values.iter().any(|(_, v)| normalize(v).is_ok_and(|v| v == normal));

    let check_command = |item: String, command: &Command| -> Result<(), CapabilityViolation> {
        if let Err(attempted) = context_allowed(command, properties, &declared_path) {
            return Err(violation(
                item,
                attempted,
                format!(
                    "the resource's env, user and cwd properties, path properties {}, and {}",
                    describe_values(&caps.path_properties, &path_values),
                    FIXED_ENVIRONMENT
                        .iter()
                        .map(|(name, value)| format!("{name}={value}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
        if command_allowed(command, &caps.commands, &command_values) {
            return Ok(());
        }
        Err(violation(
            item,
            format!("runs {:?}", command.argv),
            format!(
                "commands {:?}; command properties {}",
                caps.commands,
                describe_values(&caps.command_properties, &command_values)
            ),
        ))
    };

    for (i, op) in ops.iter().enumerate() {
        let item = format!("op {i} ({})", op.kind());
        if let Some(path) = op.path() {
            let normal = normalize(path).map_err(|why| {
                violation(item.clone(), format!("touches {path:?}"), format!("paths must be {why}"))
            })?;
            if !declared_path(&normal) {
                return Err(violation(
                    item,
                    format!("touches {path}"),
                    format!(
                        "path properties {}",
                        describe_values(&caps.path_properties, &path_values)
                    ),
                ));
            }
        }
        for (j, command) in op.commands().into_iter().enumerate() {
            let which = if j == 0 { "command" } else { "guard" };
            check_command(format!("{item} {which}"), command)?;
        }
    }
    for (i, (label, probe)) in probes.enumerate() {
        match probe {
            // Any path may be looked at; only declared ones may be read.
            Probe::Stat { content_limit: None, .. } => {}
            Probe::Stat { path, content_limit: Some(_) } => {
                if !normalize(path).is_ok_and(|normal| declared_path(&normal)) {
                    return Err(violation(
                        format!("{label} {i} (stat)"),
                        format!("reads the content of {path}"),
                        format!(
                            "path properties {}",
                            describe_values(&caps.path_properties, &path_values)
                        ),
                    ));
                }
            }
            Probe::Command(command) => check_command(format!("{label} {i} (command)"), command)?,
            Probe::Http { url, .. } => {
                if !url_values.iter().any(|(_, v)| v == url) {
                    return Err(violation(
                        format!("{label} {i} (http)"),
                        format!("requests {url}"),
                        format!(
                            "url properties {}",
                            describe_values(&caps.url_properties, &url_values)
                        ),
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Environment variables any provider may set: they configure a tool
/// without changing which program runs or what it loads.
pub const FIXED_ENVIRONMENT: &[(&str, &str)] = &[("DEBIAN_FRONTEND", "noninteractive")];

/// Whether `command`'s environment, user and directory come from the
/// resource; what it attempted otherwise.
fn context_allowed(
    command: &Command,
    properties: &Properties,
    declared_path: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    let property = |name: &str| match properties.get(name) {
        Some(Value::String(value)) => Some(value.as_str()),
        _ => None,
    };
    for (name, value) in &command.env {
        let fixed = FIXED_ENVIRONMENT.iter().any(|(n, v)| n == name && v == value);
        let from_resource = match properties.get("env") {
            Some(Value::Object(env)) => env.get(name).and_then(Value::as_str) == Some(value),
            _ => false,
        };
        if !fixed && !from_resource {
            return Err(format!("sets {name} in the environment of {:?}", command.argv));
        }
    }
    if let Some(user) = &command.user
        && property("user") != Some(user.as_str())
    {
        return Err(format!("runs {:?} as {user}", command.argv));
    }
    if let Some(cwd) = &command.cwd
        && property("cwd") != Some(cwd.as_str())
        && !normalize(cwd).is_ok_and(|normal| declared_path(&normal))
    {
        return Err(format!("runs {:?} in {cwd}", command.argv));
    }
    Ok(())
}

fn command_allowed(
    command: &Command,
    commands: &[String],
    command_values: &[(String, String)],
) -> bool {
    let Some(program) = command.argv.first() else { return false };
    if let [sh, c, script] = command.argv.as_slice()
        && sh == "/bin/sh"
        && c == "-c"
        && command_values.iter().any(|(_, v)| v == script)
    {
        return true;
    }
    // A bare name is looked up in the runner's fixed PATH; a path must be
    // in one of its directories, or `/tmp/x/useradd` would pass as `useradd`.
    let name = match program.rsplit_once('/') {
        None => program.as_str(),
        Some((directory, name)) => {
            let trusted = normalize(if directory.is_empty() { "/" } else { directory })
                .is_ok_and(|directory| SYSTEM_DIRECTORIES.contains(&directory.as_str()));
            if !trusted {
                return false;
            }
            name
        }
    };
    !name.is_empty() && commands.iter().any(|c| c == name)
}

/// The directories of the runner's `PATH`: where a declared command may be
/// named by its full path.
pub const SYSTEM_DIRECTORIES: &[&str] =
    &["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

fn describe_values(names: &[String], values: &[(String, String)]) -> String {
    if names.is_empty() {
        return "none".to_string();
    }
    names
        .iter()
        .map(|n| match values.iter().find(|(k, _)| k == n) {
            Some((_, v)) => format!("{n} = {v:?}"),
            None => format!("{n} (unset)"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Lexical normalisation of an absolute path: no empty or `.` components, no
/// trailing slash. `..` is refused rather than resolved.
pub fn normalize(path: &str) -> Result<String, &'static str> {
    if !path.starts_with('/') {
        return Err("absolute");
    }
    let mut out = String::with_capacity(path.len());
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("free of `..`"),
            p => {
                out.push('/');
                out.push_str(p);
            }
        }
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use froyo_provider_api::Capabilities;
    use serde_json::json;

    fn descriptor() -> Descriptor {
        Descriptor {
            type_name: "t".into(),
            version: "0".into(),
            capabilities: Capabilities {
                commands: vec!["getent".into()],
                path_properties: vec!["path".into()],
                command_properties: vec!["command".into()],
                url_properties: vec!["url".into()],
            },
        }
    }

    fn props() -> Properties {
        json!({"path": "/etc/x", "command": "echo hi", "url": "http://a/", "other": "/etc/y"})
            .as_object()
            .cloned()
            .unwrap_or_default()
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize("/etc//x/./").unwrap(), "/etc/x");
        assert_eq!(normalize("/").unwrap(), "/");
        assert!(normalize("etc/x").is_err());
        assert!(normalize("/etc/../x").is_err());
    }

    #[test]
    fn paths_commands_and_urls() {
        let d = descriptor();
        let p = props();
        let ok_op = Op::Remove { path: "/etc/./x".into(), recursive: false };
        assert!(check_capabilities(&d, &p, &[], &[ok_op]).is_ok());
        let bad = Op::Remove { path: "/etc/y".into(), recursive: false };
        let err = check_capabilities(&d, &p, &[], &[bad]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t: op 0 (remove) touches /etc/y, outside its declared capabilities (path properties path = \"/etc/x\")"
        );
        let sh = Probe::Command(Command::new(["/bin/sh", "-c", "echo hi"]));
        let getent = Probe::Command(Command::new(["/usr/bin/getent", "passwd"]));
        assert!(check_capabilities(&d, &p, &[sh, getent], &[]).is_ok());
        let other = Probe::Command(Command::new(["/bin/sh", "-c", "rm -rf /"]));
        assert!(check_capabilities(&d, &p, &[other], &[]).is_err());
        let empty = Probe::Command(Command::new(Vec::<String>::new()));
        assert!(check_capabilities(&d, &p, &[empty], &[]).is_err());
        let http = |u: &str| Probe::Http {
            url: u.into(),
            method: "GET".into(),
            headers: Default::default(),
            timeout_ms: 1,
        };
        assert!(check_capabilities(&d, &p, &[http("http://a/")], &[]).is_ok());
        assert!(check_capabilities(&d, &p, &[http("http://b/")], &[]).is_err());
    }

    #[test]
    fn a_declared_command_runs_from_the_system_path_only() {
        let d = descriptor();
        let p = props();
        let run = |program: &str| {
            check_capabilities(&d, &p, &[Probe::Command(Command::new([program, "passwd"]))], &[])
        };
        for allowed in ["getent", "/usr/bin/getent", "/bin/getent", "/usr/local/sbin/getent"] {
            assert!(run(allowed).is_ok(), "{allowed}");
        }
        for refused in [
            "/tmp/x/getent",
            "./getent",
            "/usr/bin/../../tmp/getent",
            "/home/u/bin/getent",
            "/getent",
        ] {
            let error = run(refused).expect_err(refused);
            assert!(error.to_string().contains(refused), "{error}");
        }
    }

    #[test]
    fn a_commands_environment_user_and_directory_come_from_the_resource() {
        let d = descriptor();
        let mut p = props();
        p.insert("env".into(), json!({"GREETING": "hi", "PATH": "/opt/tools/bin"}));
        p.insert("user".into(), json!("deploy"));
        p.insert("cwd".into(), json!("/srv"));
        let run = |p: &Properties, edit: &dyn Fn(&mut Command)| {
            let mut command = Command::new(["getent", "passwd"]);
            edit(&mut command);
            check_capabilities(&d, p, &[Probe::Command(command)], &[])
        };
        let env = |name: &str, value: &str| {
            let (name, value) = (name.to_string(), value.to_string());
            move |c: &mut Command| {
                c.env.insert(name.clone(), value.clone());
            }
        };
        assert!(run(&p, &env("GREETING", "hi")).is_ok());
        assert!(run(&p, &env("PATH", "/opt/tools/bin")).is_ok());
        assert!(run(&p, &env("DEBIAN_FRONTEND", "noninteractive")).is_ok());
        assert!(run(&p, &|c| c.user = Some("deploy".into())).is_ok());
        assert!(run(&p, &|c| c.cwd = Some("/srv".into())).is_ok());
        assert!(run(&p, &|c| c.cwd = Some("/etc/x/".into())).is_ok(), "a declared path");
        for (edit, attempted) in [
            (
                Box::new(env("PATH", "/tmp/evil")) as Box<dyn Fn(&mut Command)>,
                "sets PATH in the environment",
            ),
            (Box::new(env("LD_PRELOAD", "/tmp/evil.so")), "sets LD_PRELOAD in the environment"),
            (Box::new(env("GREETING", "bye")), "sets GREETING in the environment"),
            (Box::new(env("DEBIAN_FRONTEND", "readline")), "sets DEBIAN_FRONTEND"),
            (Box::new(|c: &mut Command| c.user = Some("mallory".into())), "as mallory"),
            (Box::new(|c: &mut Command| c.cwd = Some("/tmp/evil".into())), "in /tmp/evil"),
        ] {
            let error = run(&p, &*edit).expect_err(attempted);
            assert!(error.to_string().contains(attempted), "{error}");
        }
        // Without the properties, nothing of the kind is allowed.
        let bare = props();
        assert!(run(&bare, &env("GREETING", "hi")).is_err());
        assert!(run(&bare, &|c| c.user = Some("deploy".into())).is_err());
        assert!(run(&bare, &|c| c.cwd = Some("/srv".into())).is_err());
    }

    #[test]
    fn only_declared_paths_are_read() {
        let d = descriptor();
        let p = props();
        let stat = |path: &str, content: bool| Probe::Stat {
            path: path.into(),
            content_limit: content.then_some(1024),
        };
        assert!(check_capabilities(&d, &p, &[stat("/etc/x", true)], &[]).is_ok());
        assert!(check_capabilities(&d, &p, &[stat("/etc/shadow", false)], &[]).is_ok());
        let error = check_capabilities(&d, &p, &[stat("/etc/shadow", true)], &[]).unwrap_err();
        assert!(error.to_string().contains("reads the content of /etc/shadow"), "{error}");
    }
}
