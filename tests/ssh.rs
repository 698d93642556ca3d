//! `froyo plan`/`apply`/`drift` over SSH against real `sshd`s in network
//! namespaces (`scripts/testhosts`): convergence, one exec channel per host,
//! the runner uploaded only when missing, strict host keys (unknown,
//! accepted, changed), a client key the host refuses, a host lost in the
//! middle of an apply, and secrets that never reach a command line.
//!
//! Each test brings its own hosts up and down; froyo runs with a `HOME` of
//! the test's own, so the machine's `~/.ssh` is neither read nor written.
//! Without root or network namespaces the tests say why and pass, unless
//! `FROYO_REQUIRE_SSH=1` (set by `scripts/test`) makes that a failure.

#[path = "support/json_report.rs"]
mod json_report;
#[path = "support/testhosts.rs"]
mod testhosts;

#[path = "support/http.rs"]
mod http;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use json_report::{report, statuses};
use serde_json::Value;
use testhosts::TestHosts;

/// Brings up `count` hosts, or returns from the test saying why it cannot run here.
macro_rules! hosts_or_skip {
    ($count:expr) => {
        match TestHosts::try_up($count) {
            Ok(hosts) => hosts,
            Err(unavailable) => {
                eprintln!("skipped: {unavailable}");
                return;
            }
        }
    };
}

/// A workspace whose hosts are the test hosts.
struct Site {
    dir: tempfile::TempDir,
    home: PathBuf,
}

impl Site {
    /// `resources` is the body of `resources: { … }`; `@ROOT@` is a
    /// directory of this test on the (shared) file system.
    fn new(hosts: &TestHosts, resources: &str) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        fs::create_dir_all(home.join(".ssh")).unwrap();
        fs::create_dir_all(dir.path().join("cue.mod")).unwrap();
        fs::create_dir_all(dir.path().join("root")).unwrap();
        fs::write(dir.path().join("cue.mod/module.cue"), "module: \"example.com/ssh\"\n").unwrap();
        fs::write(dir.path().join("hosts.cue"), inventory(hosts, Some(&hosts.identity_file())))
            .unwrap();
        let site = Site { dir, home };
        site.write(resources);
        site
    }

    fn write(&self, resources: &str) {
        let text = format!(
            "package site\n\nimport \"froyo.dev/linux\"\n\nresources: {{\n{}\n}}\n",
            resources.replace("@ROOT@", &self.root().display().to_string())
        );
        fs::write(self.dir.path().join("site.cue"), text).unwrap();
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// Trusts the test hosts' keys in the workspace's `known_hosts`.
    fn trust(&self, hosts: &TestHosts) {
        fs::copy(hosts.known_hosts(), self.known_hosts()).unwrap();
    }

    fn known_hosts(&self) -> PathBuf {
        self.dir.path().join("known_hosts")
    }

    fn froyo(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null());
        command
    }

    /// `froyo apply --yes --format json`: the exit code, the report, and stderr.
    fn apply(&self, extra: &[&str]) -> (i32, Value, String) {
        let mut args = vec!["apply", "--yes", "--format", "json"];
        args.extend_from_slice(extra);
        report(self.froyo(&args))
    }
}

/// The test hosts as an inventory: root logins with `identity` (or whatever
/// ssh-agent and the default key files offer).
fn inventory(hosts: &TestHosts, identity: Option<&Path>) -> String {
    let identity =
        identity.map(|path| format!(", identity_file: \"{}\"", path.display())).unwrap_or_default();
    let mut text = String::from("package site\n\nhosts: {\n");
    for host in hosts.hosts() {
        text.push_str(&format!(
            "\t{name}: {{address: \"{}\", user: \"root\"{identity}, labels: name: \"{name}\"}}\n",
            host.address,
            name = host.name,
        ));
    }
    text.push_str("}\n");
    text
}

/// One file, directory and guarded command per host: the resource types
/// that need no package archive.
fn per_host_resources(hosts: &TestHosts) -> String {
    let mut text = String::new();
    for host in hosts.hosts() {
        let name = &host.name;
        text.push_str(&format!(
            "\t\"dir-{name}\": linux.#Directory & {{on: name: \"{name}\", path: \"@ROOT@/{name}\", mode: \"0750\"}}\n\
             \t\"motd-{name}\": linux.#File & {{on: name: \"{name}\", path: \"@ROOT@/{name}/motd\", content: \"hello {name}\\n\", require: [\"dir-{name}\"]}}\n\
             \t\"marker-{name}\": linux.#Exec & {{on: name: \"{name}\", command: \"hostname > @ROOT@/{name}/marker\", creates: \"@ROOT@/{name}/marker\", require: [\"dir-{name}\"]}}\n"
        ));
    }
    text
}

#[test]
fn apply_over_ssh_converges_with_one_exec_channel_per_host() {
    let hosts = hosts_or_skip!(2);
    let site = Site::new(&hosts, &per_host_resources(&hosts));
    site.trust(&hosts);
    let before: Vec<_> = hosts.hosts().iter().map(|host| hosts.sessions(host)).collect();
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    // Progress says when each host is done.
    assert!(
        stderr.contains("host1: done (3 changes)") && stderr.contains("host2: done (3 changes)"),
        "{stderr}"
    );
    for (host, before) in hosts.hosts().iter().zip(&before) {
        let motd = site.root().join(&host.name).join("motd");
        assert_eq!(fs::read_to_string(&motd).unwrap(), format!("hello {}\n", host.name));
        // One TCP connection and one exec channel per host, upload or not.
        let after = hosts.sessions(host);
        assert_eq!(
            (
                after.connections - before.connections,
                after.commands - before.commands,
                after.sftp - before.sftp
            ),
            (1, 1, 0),
            "{}",
            host.name
        );
    }
    let (code, again, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{again:#}\n{stderr}");
    assert_eq!(again["report"]["operations"], 0, "a second apply must do nothing: {again:#}");
    for (host, before) in hosts.hosts().iter().zip(&before) {
        assert_eq!(hosts.sessions(host).commands - before.commands, 2, "{}", host.name);
    }

    // Someone edits a file on host2: drift names that host only.
    let edited = site.root().join("host2/motd");
    fs::write(&edited, "edited\n").unwrap();
    let output = site.froyo(&["drift", "--format", "json"]);
    assert_eq!(output.status.code(), Some(3), "{}", String::from_utf8_lossy(&output.stderr));
    let drift: Value = serde_json::from_slice(&output.stdout).unwrap();
    let drifted: Vec<&str> = drift["drifted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["key"]["host"].as_str().unwrap())
        .collect();
    assert_eq!(drifted, ["host2"], "{drift:#}");
}

#[test]
fn an_unknown_host_key_is_refused_until_trusted_and_a_changed_one_always() {
    let hosts = hosts_or_skip!(1);
    let site = Site::new(&hosts, &per_host_resources(&hosts));
    let commands_before = hosts.sessions(hosts.host(1)).commands;
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}");
    assert!(stderr.contains("E1102"), "{stderr}");
    assert!(stderr.contains("SHA256:"), "the fingerprint is shown: {stderr}");
    assert!(stderr.contains("--accept-new-host-keys"), "{stderr}");
    assert_eq!(
        hosts.sessions(hosts.host(1)).commands,
        commands_before,
        "nothing ran on an unknown host"
    );
    assert_eq!(statuses(&report).matches(": failed").count(), 3, "{report:#}");

    // Accepted: recorded hashed in the workspace's known_hosts, then used.
    let (code, report, stderr) = site.apply(&["--accept-new-host-keys"]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let recorded = fs::read_to_string(site.known_hosts()).unwrap();
    assert!(recorded.starts_with("|1|"), "a hashed entry: {recorded}");
    assert!(!recorded.contains(&hosts.host(1).address.to_string()), "{recorded}");
    let (code, _, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{stderr}");

    // The host's key changes (another host's key is recorded for it): refused, nothing runs.
    let before = hosts.sessions(hosts.host(1)).commands;
    let other = ssh_keygen_public(&site.dir.path().join("other"));
    fs::write(site.known_hosts(), format!("{} {other}\n", hosts.host(1).address)).unwrap();
    let (code, _, stderr) = site.apply(&["--accept-new-host-keys"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("E1103") && stderr.contains("CHANGED"), "{stderr}");
    assert_eq!(
        hosts.sessions(hosts.host(1)).commands,
        before,
        "not a byte of work on a changed host"
    );
}

#[test]
fn a_client_key_the_host_does_not_accept_is_refused() {
    let hosts = hosts_or_skip!(1);
    let site = Site::new(&hosts, &per_host_resources(&hosts));
    site.trust(&hosts);
    let stranger = site.dir.path().join("stranger");
    ssh_keygen_public(&stranger);
    let inventory = fs::read_to_string(site.dir.path().join("hosts.cue")).unwrap();
    fs::write(
        site.dir.path().join("hosts.cue"),
        inventory
            .replace(&hosts.identity_file().display().to_string(), &stranger.display().to_string()),
    )
    .unwrap();
    let commands_before = hosts.sessions(hosts.host(1)).commands;
    let (code, _, stderr) = site.apply(&[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("E1105"), "{stderr}");
    assert!(stderr.contains(&stranger.display().to_string()), "the key tried is named: {stderr}");
    assert_eq!(hosts.sessions(hosts.host(1)).commands, commands_before);
}

#[test]
fn a_host_lost_during_an_apply_fails_alone_and_the_next_apply_converges() {
    let mut hosts = hosts_or_skip!(2);
    let mut resources = per_host_resources(&hosts);
    // host2 works long enough to be lost in the middle.
    resources.push_str(
        "\tslow: linux.#Exec & {on: name: \"host2\", command: \"sleep 3; touch @ROOT@/slow\", creates: \"@ROOT@/slow\", require: [\"marker-host2\"]}\n\
         \tafter: linux.#File & {on: name: \"host2\", path: \"@ROOT@/host2/after\", content: \"x\\n\", require: [\"slow\"]}\n",
    );
    let site = Site::new(&hosts, &resources);
    site.trust(&hosts);
    let child = site
        .command(&["apply", "--yes", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the slow command runs on host2, then kill host2's sshd and sessions.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !site.root().join("host2/marker").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    hosts.stop_sshd(2);
    let (code, report, stderr) = report(child.wait_with_output().unwrap());
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    let statuses = statuses(&report);
    assert!(statuses.contains("linux.file.motd-host1@host1: applied"), "{statuses}");
    assert!(statuses.contains("linux.exec.slow@host2: failed"), "{statuses}");
    assert!(statuses.contains("linux.file.after@host2: skipped"), "{statuses}");
    assert!(stderr.contains("E1109"), "{stderr}");
    assert_eq!(report["report"]["host_errors"].as_array().map(Vec::len), Some(1), "{report:#}");

    hosts.start_sshd(2);
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert!(site.root().join("host2/after").exists());
}

#[test]
fn secrets_never_appear_on_a_command_line() {
    let hosts = hosts_or_skip!(1);
    let secret = "froyo-secret-7f3a9c";
    let resources = format!(
        "\tdir: linux.#Directory & {{path: \"@ROOT@/s\"}}\n\
         \tsecret: linux.#File & {{path: \"@ROOT@/s/secret\", content: \"{secret}-file\\n\", mode: \"0600\", require: [\"dir\"]}}\n\
         \tenv: linux.#Exec & {{command: \"printf %s \\\"$TOKEN\\\" > @ROOT@/s/env; sleep 1\", creates: \"@ROOT@/s/env\", env: TOKEN: \"{secret}-env\", require: [\"dir\"]}}\n"
    );
    let site = Site::new(&hosts, &resources);
    site.trust(&hosts);
    let seen = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
        let secret = secret.to_string();
        std::thread::spawn(move || {
            let mut samples = 0;
            while !stop.load(Ordering::Relaxed) {
                samples += 1;
                if any_command_line_contains(&secret) {
                    seen.store(true, Ordering::Relaxed);
                }
            }
            samples
        })
    };
    let (code, report, stderr) = site.apply(&[]);
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap();
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert!(samples > 10, "the sampler ran {samples} times");
    assert!(!seen.load(Ordering::Relaxed), "a secret appeared in a process's argv");
    assert_eq!(fs::read_to_string(site.root().join("s/env")).unwrap(), format!("{secret}-env"));
    let everything = format!("{report}{stderr}");
    assert!(
        !everything.contains(&format!("{secret}-env")),
        "the sensitive env leaked: {everything}"
    );
}

/// Whether any process's `/proc/PID/cmdline` holds `needle`.
fn any_command_line_contains(needle: &str) -> bool {
    let Ok(entries) = fs::read_dir("/proc") else { return false };
    entries.flatten().any(|entry| {
        fs::read(entry.path().join("cmdline")).is_ok_and(|bytes| {
            bytes.windows(needle.len()).any(|window| window == needle.as_bytes())
        })
    })
}

/// Makes a key pair at `path` and returns its public line (`TYPE BASE64`).
fn ssh_keygen_public(path: &Path) -> String {
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .unwrap();
    assert!(status.success());
    let public = fs::read_to_string(format!("{}.pub", path.display())).unwrap();
    public.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// What only root can do: a directory of mode 0700 owned by root, and the
/// uid of a command run in it.
const ROOT_ONLY: &str = "\tsecret: linux.#Directory & {path: \"@ROOT@/root-only\", mode: \"0700\", owner: \"root\"}\n\tprobe: linux.#Exec & {command: \"id -u > @ROOT@/root-only/uid\", creates: \"@ROOT@/root-only/uid\", require: [\"secret\"]}\n";

/// A login user for the `become` test, whose sudo asks for a password; removed on drop.
struct SudoUser {
    name: String,
}

impl SudoUser {
    const PASSWORD: &'static str = "froyo-sudo-pw-91c2";

    /// A user named after this process and `tag` (tests run at once need different tags).
    fn create(tag: &str) -> Option<SudoUser> {
        if !Path::new("/usr/bin/sudo").exists() {
            return None;
        }
        let name = format!("fb{}{tag}", std::process::id() % 100_000);
        let _ = Command::new("userdel").args(["-r", &name]).output();
        let created =
            Command::new("useradd").args(["-m", "-s", "/bin/sh", &name]).status().unwrap();
        assert!(created.success(), "useradd {name}");
        let mut chpasswd = Command::new("chpasswd").stdin(Stdio::piped()).spawn().unwrap();
        use std::io::Write as _;
        chpasswd
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{name}:{}\n", Self::PASSWORD).as_bytes())
            .unwrap();
        assert!(chpasswd.wait().unwrap().success());
        fs::write(format!("/etc/sudoers.d/{name}"), format!("{name} ALL=(ALL) ALL\n")).unwrap();
        Some(SudoUser { name })
    }
}

impl SudoUser {
    /// Replaces the user's sudoers rule with `rule` (`ALL=(ALL) ALL` and the like) and `defaults`.
    fn sudoers(&self, defaults: &str, rule: &str) {
        let name = &self.name;
        let mut text = String::new();
        if !defaults.is_empty() {
            text.push_str(&format!("Defaults:{name} {defaults}\n"));
        }
        text.push_str(&format!("{name} {rule}\n"));
        fs::write(format!("/etc/sudoers.d/{name}"), text).unwrap();
    }

    /// Makes `site`'s hosts log in as this user with `become` (and `password`).
    fn login(&self, site: &Site, hosts: &TestHosts, password: Option<&str>) {
        // sshd reads authorized_keys as the login user.
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(hosts.dir(), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(hosts.dir().join("authorized_keys"), fs::Permissions::from_mode(0o644))
            .unwrap();
        let password = password
            .map(|password| format!(", become_password: \"{password}\""))
            .unwrap_or_default();
        let inventory = inventory(hosts, Some(&hosts.identity_file()))
            .replace("user: \"root\"", &format!("user: \"{}\", become: true{password}", self.name));
        fs::write(site.dir.path().join("hosts.cue"), inventory).unwrap();
    }
}

impl Drop for SudoUser {
    fn drop(&mut self) {
        let _ = fs::remove_file(format!("/etc/sudoers.d/{}", self.name));
        let _ = Command::new("userdel").args(["-r", &self.name]).output();
    }
}

#[test]
fn become_through_sudo_asks_for_its_password_and_never_shows_it() {
    let hosts = hosts_or_skip!(1);
    let Some(user) = SudoUser::create("p") else {
        assert!(std::env::var_os("FROYO_REQUIRE_SSH").is_none(), "sudo is not installed");
        eprintln!("skipped: sudo is not installed");
        return;
    };
    let site = Site::new(&hosts, ROOT_ONLY);
    site.trust(&hosts);
    user.login(&site, &hosts, None);

    // No password: a clear refusal naming the fix.
    let (code, _, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E1106") && stderr.contains("become_password"), "{stderr}");

    // A wrong password: refused, and shown nowhere.
    let wrong = "froyo-wrong-pw-5d1e";
    user.login(&site, &hosts, Some(wrong));
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E1106") && stderr.contains("refused"), "{stderr}");
    assert!(!format!("{report}{stderr}").contains(wrong));

    // The right one: the runner is root, and the password is printed nowhere.
    user.login(&site, &hosts, Some(SudoUser::PASSWORD));
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(fs::read_to_string(site.root().join("root-only/uid")).unwrap().trim(), "0");
    assert!(!format!("{report}{stderr}").contains(SudoUser::PASSWORD));
    let plan = site.froyo(&["plan", "--format", "json"]);
    assert!(!String::from_utf8_lossy(&plan.stdout).contains(SudoUser::PASSWORD));
}

#[test]
fn hosts_behind_a_jump_host_share_its_one_connection() {
    let hosts = hosts_or_skip!(1);
    let bastion = hosts.host(1);
    // Two inventory hosts reached through the bastion (both are its own
    // address, seen from inside its namespace), and their files.
    let site = Site::new(&hosts, "");
    site.trust(&hosts);
    // The bastion is an inventory host (no resources of its own): inner hosts
    // jump through it by name and reach it with its address, user and key.
    let jump = "bastion".to_string();
    let mut inventory = format!(
        "package site\n\nhosts: {{\n\tbastion: {{address: \"{}\", user: \"root\", identity_file: \"{}\", labels: name: \"bastion\"}}\n",
        bastion.address,
        hosts.identity_file().display(),
    );
    for name in ["inner1", "inner2"] {
        inventory.push_str(&format!(
            "\t{name}: {{address: \"{}\", user: \"root\", identity_file: \"{}\", jump_host: \"{jump}\", labels: name: \"{name}\"}}\n",
            bastion.address,
            hosts.identity_file().display(),
        ));
    }
    inventory.push_str("}\n");
    fs::write(site.dir.path().join("hosts.cue"), inventory).unwrap();
    site.write(
        "\t\"a\": linux.#File & {on: name: \"inner1\", path: \"@ROOT@/inner1\", content: \"1\\n\"}\n\
         \t\"b\": linux.#File & {on: name: \"inner2\", path: \"@ROOT@/inner2\", content: \"2\\n\"}\n",
    );
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert!(site.root().join("inner1").exists() && site.root().join("inner2").exists());
    // One connection from the controller (to the bastion), two forwarded from the bastion itself.
    let log = fs::read_to_string(&bastion.log).unwrap();
    let from = |address: &str| {
        log.lines().filter(|line| line.contains(&format!("Connection from {address} port"))).count()
    };
    assert_eq!(from(&bastion.gateway.to_string()), 1, "{log}");
    assert_eq!(from(&bastion.address.to_string()), 2, "{log}");

    // `jump_host: "none"` connects directly.
    let direct = fs::read_to_string(site.dir.path().join("hosts.cue"))
        .unwrap()
        .replace("jump_host: \"bastion\"", "jump_host: \"none\"");
    fs::write(site.dir.path().join("hosts.cue"), direct).unwrap();
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let log = fs::read_to_string(&bastion.log).unwrap();
    assert_eq!(
        log.lines()
            .filter(|line| line.contains(&format!("Connection from {} port", bastion.gateway)))
            .count(),
        3
    );
}

#[test]
fn rsa_and_ecdsa_client_keys_authenticate() {
    let hosts = hosts_or_skip!(1);
    let site = Site::new(&hosts, &per_host_resources(&hosts));
    site.trust(&hosts);
    for (kind, bits) in [("rsa", "3072"), ("ecdsa", "256")] {
        let key = site.dir.path().join(format!("id_{kind}"));
        ssh_keygen(&["-q", "-t", kind, "-b", bits, "-N", "", "-f"], &key);
        authorize(&hosts, &fs::read_to_string(format!("{}.pub", key.display())).unwrap());
        use_identity(&site, &hosts, Some(&key));
        let (code, report, stderr) = site.apply(&[]);
        assert_eq!(code, 0, "{kind}: {report:#}\n{stderr}");
    }
}

/// An HTTP server on the controller's side of `host`'s veth pair (the only
/// address outside its namespace the host can reach), answering `body`.
fn serve_http_to(host: &testhosts::TestHost, body: &'static str) -> u16 {
    http::serve(host.gateway.into(), body)
}

fn getent(database: &str, name: &str) -> String {
    Command::new("getent")
        .args([database, name])
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .unwrap_or_default()
}

/// Removes a user and group of this name however the test ends.
struct AccountCleanup(String);

impl Drop for AccountCleanup {
    fn drop(&mut self) {
        let _ = Command::new("userdel").arg(&self.0).output();
        let _ = Command::new("groupdel").arg(&self.0).output();
    }
}

#[test]
fn users_groups_http_probes_and_services_work_over_ssh() {
    let hosts = hosts_or_skip!(1);
    let host = hosts.host(1);
    let name = format!("fs{}", std::process::id() % 100_000);
    assert!(
        getent("passwd", &name).is_empty() && getent("group", &name).is_empty(),
        "`{name}` already exists on this machine"
    );
    let _cleanup = AccountCleanup(name.clone());
    let port = serve_http_to(host, "hello from the controller");
    let template = r#"package site

import (
	"froyo.dev/linux"
	"froyo.dev/probe"
)

resources: {
	group: linux.#Group & {name: "@NAME@", state: "@STATE@", system: true}
	user: linux.#User & {
		name:  "@NAME@"
		state: "@STATE@"
		group: "@NAME@"
		home:  "@ROOT@/home"
		shell: "/bin/sh"
		system: true
		require: ["group"]
	}
	page: linux.#File & {path: "@ROOT@/index.html", content: "hi\n", require: ["user"]}
	up: probe.#HTTP & {url: "http://@GATEWAY@:@PORT@/", body: "hello from [a-z]+", require: ["page"]}
}
"#
    .replace("@NAME@", &name)
    .replace("@GATEWAY@", &host.gateway.to_string())
    .replace("@PORT@", &port.to_string());
    let site = Site::new(&hosts, "");
    site.trust(&hosts);
    let write = |text: &str| {
        fs::write(
            site.dir.path().join("site.cue"),
            text.replace("@ROOT@", &site.root().display().to_string()),
        )
        .unwrap()
    };
    write(&template.replace("@STATE@", "present"));
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(
        statuses(&report),
        "linux.file.page@host1: applied\nlinux.group.group@host1: applied\n\
         linux.user.user@host1: applied\nprobe.http.up@host1: checked"
    );
    let passwd = getent("passwd", &name);
    assert!(
        passwd.contains(&format!("{}:/bin/sh", site.root().join("home").display())),
        "{passwd}"
    );
    assert!(!getent("group", &name).is_empty());
    let (code, again, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{again:#}\n{stderr}");
    assert_eq!(again["report"]["operations"], 0, "{again:#}");

    // Removed: the user before its group.
    write(
        &template
            .replace("@STATE@", "absent")
            .replace("\t\trequire: [\"group\"]\n", "")
            .replace("system: true}", "system: true, require: [\"user\"]}"),
    );
    let (code, report, stderr) = site.apply(&["--allow-destroy"]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert!(getent("passwd", &name).is_empty() && getent("group", &name).is_empty());

    // A service: the host's runner names its init system (the test hosts share
    // this machine's file system, so sysvinit without systemd) and the plan
    // probes it over SSH; a host with none would be refused at plan.
    write(
        "package site\n\nimport \"froyo.dev/linux\"\n\nresources: svc: linux.#Service & {name: \"ssh\"}\n",
    );
    let output = site.froyo(&["plan", "--show-ops"]);
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("no init system froyo knows") {
        assert_eq!(output.status.code(), Some(1), "{text}");
        assert!(
            text.contains(
                "unsupported on this host: no init system froyo knows (systemd, openrc, sysvinit)"
            ),
            "{text}"
        );
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(0), "{text}\n{stderr}");
    }
}

/// Whether Debian package `name` is installed on this machine.
fn package_installed(name: &str) -> bool {
    Command::new("dpkg-query").args(["-W", "-f=${Status}", name]).output().is_ok_and(|output| {
        String::from_utf8_lossy(&output.stdout).contains("install ok installed")
    })
}

/// Removes package `name` however the test ends.
struct PackageCleanup(&'static str);

impl Drop for PackageCleanup {
    fn drop(&mut self) {
        if package_installed(self.0) {
            let _ = Command::new("apt-get").args(["remove", "-y", "-q", self.0]).output();
        }
    }
}

/// The host has no network beyond its veth pair: its apt installs from the
/// archive cache, which the controller fills first (the test hosts share the
/// controller's file system).
#[test]
fn packages_install_and_remove_over_ssh() {
    let hosts = hosts_or_skip!(1);
    let package = "sl";
    if Command::new("dpkg-query").arg("--version").output().is_err() {
        eprintln!("skipped: no dpkg on this machine (the package test uses apt)");
        return;
    }
    if package_installed(package) {
        eprintln!("skipped: `{package}` is already installed here; the test would remove it");
        return;
    }
    let download = Command::new("apt-get")
        .args(["install", "-y", "-q", "--download-only", "--no-install-recommends", package])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap();
    if !download.status.success() {
        eprintln!(
            "skipped: cannot download `{package}` into apt's cache (run apt-get update): {}",
            String::from_utf8_lossy(&download.stderr)
        );
        return;
    }
    let _cleanup = PackageCleanup(package);
    let site = Site::new(&hosts, &format!("\tpkg: linux.#Package & {{name: \"{package}\"}}\n"));
    site.trust(&hosts);
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert!(package_installed(package));
    let (code, again, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{again:#}\n{stderr}");
    assert_eq!(again["report"]["operations"], 0, "{again:#}");
    site.write(&format!("\tpkg: linux.#Package & {{name: \"{package}\", state: \"absent\"}}\n"));
    let (code, report, stderr) = site.apply(&["--allow-destroy"]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert!(!package_installed(package));
}

/// Adds `line` (a public key, or a `cert-authority` entry) to the keys every test host accepts for root.
fn authorize(hosts: &TestHosts, line: &str) {
    use std::io::Write as _;
    let mut file =
        fs::OpenOptions::new().append(true).open(hosts.dir().join("authorized_keys")).unwrap();
    writeln!(file, "{}", line.trim_end()).unwrap();
}

/// Points every inventory host at `key` instead of the harness's key, or at no key file.
fn use_identity(site: &Site, hosts: &TestHosts, key: Option<&Path>) {
    fs::write(site.dir.path().join("hosts.cue"), inventory(hosts, key)).unwrap();
}

/// `ssh-keygen` with these arguments, which must succeed.
fn ssh_keygen(args: &[&str], path: &Path) {
    let output = Command::new("ssh-keygen").args(args).arg(path).output().unwrap();
    assert!(
        output.status.success(),
        "ssh-keygen {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The `SHA256:…` fingerprint of a public key file.
fn fingerprint(public: &Path) -> String {
    let output = Command::new("ssh-keygen").arg("-lf").arg(public).output().unwrap();
    String::from_utf8_lossy(&output.stdout).split_whitespace().nth(1).unwrap().to_string()
}

/// How many times `host`'s sshd accepted a login with a key whose log line contains `needle`.
fn accepted_with(host: &testhosts::TestHost, needle: &str) -> usize {
    fs::read_to_string(&host.log)
        .unwrap()
        .lines()
        .filter(|line| line.contains("Accepted publickey") && line.contains(needle))
        .count()
}

/// An `ssh-agent` of the test's own; killed on drop.
struct Agent {
    child: std::process::Child,
    socket: PathBuf,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !socket.exists() {
            assert!(std::time::Instant::now() < deadline, "ssh-agent did not start");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Agent { child, socket }
    }

    /// `ssh-add KEY`, answering its passphrase prompt through an askpass script.
    fn add(&self, key: &Path, passphrase: &str) {
        let askpass = key.with_extension("askpass");
        fs::write(&askpass, format!("#!/bin/sh\necho '{passphrase}'\n")).unwrap();
        use std::os::unix::fs::PermissionsExt as _;
        fs::set_permissions(&askpass, fs::Permissions::from_mode(0o700)).unwrap();
        let output = Command::new("ssh-add")
            .arg(key)
            .env("SSH_AUTH_SOCK", &self.socket)
            .env("SSH_ASKPASS", &askpass)
            .env("SSH_ASKPASS_REQUIRE", "force")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(output.status.success(), "ssh-add: {}", String::from_utf8_lossy(&output.stderr));
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn encrypted_keys_work_through_ssh_agent_or_a_passphrase_from_the_environment() {
    let hosts = hosts_or_skip!(1);
    let host = hosts.host(1);
    let site = Site::new(&hosts, &per_host_resources(&hosts));
    site.trust(&hosts);
    let passphrase = "froyo-passphrase-3b7e";
    let key = site.dir.path().join("id_encrypted");
    ssh_keygen(&["-q", "-t", "ed25519", "-N", passphrase, "-f"], &key);
    let public = PathBuf::from(format!("{}.pub", key.display()));
    authorize(&hosts, &fs::read_to_string(&public).unwrap());
    let key_fingerprint = fingerprint(&public);
    use_identity(&site, &hosts, Some(&key));

    // No agent and no passphrase: refused, saying what would have worked.
    let (code, _, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E1105") && stderr.contains("FROYO_SSH_PASSPHRASE"), "{stderr}");
    assert_eq!(accepted_with(host, &key_fingerprint), 0);

    // The passphrase from the environment decrypts it; it is shown nowhere.
    let output = site
        .command(&["apply", "--yes", "--format", "json"])
        .env("FROYO_SSH_PASSPHRASE", passphrase)
        .output()
        .unwrap();
    let (code, applied, stderr) = report(output);
    assert_eq!(code, 0, "{applied:#}\n{stderr}");
    assert!(!format!("{applied}{stderr}").contains(passphrase));
    assert_eq!(accepted_with(host, &key_fingerprint), 1);

    // An agent holding the key signs for it: with the key file named, and with none.
    let agent = Agent::start(site.dir.path());
    agent.add(&key, passphrase);
    for identity in [Some(key.as_path()), None] {
        use_identity(&site, &hosts, identity);
        let output = site
            .command(&["apply", "--yes", "--format", "json"])
            .env("SSH_AUTH_SOCK", &agent.socket)
            .output()
            .unwrap();
        let (code, applied, stderr) = report(output);
        assert_eq!(code, 0, "{identity:?}: {applied:#}\n{stderr}");
    }
    assert_eq!(accepted_with(host, &key_fingerprint), 3);
}

#[test]
fn user_certificates_signed_by_a_trusted_authority_authenticate() {
    let hosts = hosts_or_skip!(1);
    let host = hosts.host(1);
    let site = Site::new(&hosts, &per_host_resources(&hosts));
    site.trust(&hosts);
    let authority = site.dir.path().join("user_ca");
    ssh_keygen(&["-q", "-t", "ed25519", "-N", "", "-f"], &authority);
    let authority_public = fs::read_to_string(format!("{}.pub", authority.display())).unwrap();
    authorize(&hosts, &format!("cert-authority {authority_public}"));
    // The key itself is not authorized: only its certificate can open the door.
    let key = site.dir.path().join("id_certified");
    ssh_keygen(&["-q", "-t", "ed25519", "-N", "", "-f"], &key);
    let sign = |identity: &str, principal: &str| {
        ssh_keygen(
            &[
                "-q",
                "-s",
                &authority.display().to_string(),
                "-I",
                identity,
                "-n",
                principal,
                "-V",
                "-5m:+1h",
            ],
            Path::new(&format!("{}.pub", key.display())),
        )
    };
    use_identity(&site, &hosts, Some(&key));

    // A certificate for another principal is refused.
    sign("froyo-cert-other", "nobody");
    let (code, _, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E1105"), "{stderr}");

    sign("froyo-cert-root", "root");
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(accepted_with(host, "ID froyo-cert-root"), 1);
}

#[test]
fn nested_jump_hosts_chain_through_each_hop() {
    let hosts = hosts_or_skip!(1);
    let host = hosts.host(1);
    let site = Site::new(&hosts, "");
    site.trust(&hosts);
    // Three hops, all the one test host (each hop's address as seen from the previous one).
    let key = hosts.identity_file().display().to_string();
    let mut inventory = String::from("package site\n\nhosts: {\n");
    for (name, jump) in [("outer", None), ("middle", Some("outer")), ("inner", Some("middle"))] {
        let jump = jump.map(|jump| format!(", jump_host: \"{jump}\"")).unwrap_or_default();
        inventory.push_str(&format!(
            "\t{name}: {{address: \"{}\", user: \"root\", identity_file: \"{key}\"{jump}, labels: name: \"{name}\"}}\n",
            host.address
        ));
    }
    inventory.push_str("}\n");
    fs::write(site.dir.path().join("hosts.cue"), inventory).unwrap();
    site.write(
        "\tf: linux.#File & {on: name: \"inner\", path: \"@ROOT@/inner\", content: \"1\\n\"}\n",
    );
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(fs::read_to_string(site.root().join("inner")).unwrap(), "1\n");
    let connections = |from: &str| {
        fs::read_to_string(&host.log)
            .unwrap()
            .lines()
            .filter(|line| line.contains(&format!("Connection from {from} port")))
            .count()
    };
    // The controller connects once (outer); outer forwards to middle, middle to inner.
    assert_eq!(connections(&host.gateway.to_string()), 1);
    assert_eq!(connections(&host.address.to_string()), 2);

    // The same chain from ~/.ssh/config: `ProxyJump` with two hops, keys from `Host *`.
    fs::write(
        site.home.join(".ssh/config"),
        format!(
            "Host inner\n  HostName {address}\n  ProxyJump root@{address}:22,root@{address}\n\nHost *\n  User root\n  IdentityFile {key}\n",
            address = host.address
        ),
    )
    .unwrap();
    fs::write(
        site.dir.path().join("hosts.cue"),
        "package site\n\nhosts: inner: {address: \"inner\", labels: name: \"inner\"}\n",
    )
    .unwrap();
    site.write(
        "\tf: linux.#File & {on: name: \"inner\", path: \"@ROOT@/inner\", content: \"2\\n\"}\n",
    );
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(fs::read_to_string(site.root().join("inner")).unwrap(), "2\n");
    assert_eq!(connections(&host.gateway.to_string()), 2);
    assert_eq!(connections(&host.address.to_string()), 4);
}

#[test]
fn a_host_of_another_architecture_is_refused_before_any_upload() {
    let mut hosts = hosts_or_skip!(1);
    let host = hosts.host(1).clone();
    // The host's `uname -m` says riscv64: a `uname` first on the PATH of
    // its sessions (sshd's `SetEnv` overrides the default PATH).
    let bin = hosts.dir().join("riscv-bin");
    fs::create_dir_all(&bin).unwrap();
    fs::write(bin.join("uname"), "#!/bin/sh\necho riscv64\n").unwrap();
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(bin.join("uname"), fs::Permissions::from_mode(0o755)).unwrap();
    let config = fs::read_to_string(&host.sshd_config).unwrap();
    let line = config.lines().find(|line| line.trim_start().starts_with("SetEnv ")).unwrap();
    fs::write(
        &host.sshd_config,
        config.replace(line, &format!("{line} PATH={}:/usr/bin:/bin", bin.display())),
    )
    .unwrap();
    hosts.stop_sshd(1);
    hosts.start_sshd(1);

    let site = Site::new(&hosts, &per_host_resources(&hosts));
    site.trust(&hosts);
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    assert!(stderr.contains("E1108") && stderr.contains("riscv64"), "{stderr}");
    let cache = hosts.dir().join(&host.name).join("cache/froyo");
    let cached: Vec<_> =
        fs::read_dir(&cache).map(|dir| dir.flatten().collect()).unwrap_or_default();
    assert!(cached.is_empty(), "nothing was uploaded: {cached:?}");
}

#[test]
fn become_gets_a_terminal_only_when_sudo_requires_one() {
    let hosts = hosts_or_skip!(1);
    let Some(user) = SudoUser::create("t") else {
        assert!(std::env::var_os("FROYO_REQUIRE_SSH").is_none(), "sudo is not installed");
        eprintln!("skipped: sudo is not installed");
        return;
    };
    user.sudoers("requiretty", "ALL=(ALL) ALL");
    let site = Site::new(&hosts, ROOT_ONLY);
    site.trust(&hosts);
    user.login(&site, &hosts, Some(SudoUser::PASSWORD));
    let host = hosts.host(1);

    // sudo refuses the channel without a terminal; a second one, with a raw
    // terminal, carries the password prompt, the upload and the protocol.
    let before = hosts.sessions(host).commands;
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(fs::read_to_string(site.root().join("root-only/uid")).unwrap().trim(), "0");
    assert_eq!(hosts.sessions(host).commands - before, 2);
    assert!(!format!("{report}{stderr}").contains(SudoUser::PASSWORD));
    let (code, again, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{again:#}\n{stderr}");
    assert_eq!(again["report"]["operations"], 0, "{again:#}");

    // Without a password (NOPASSWD), the same.
    user.sudoers("requiretty", "ALL=(ALL) NOPASSWD: ALL");
    user.login(&site, &hosts, None);
    fs::remove_dir_all(site.root().join("root-only")).unwrap();
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(fs::read_to_string(site.root().join("root-only/uid")).unwrap().trim(), "0");

    // Without requiretty, no terminal: one channel.
    user.sudoers("", "ALL=(ALL) NOPASSWD: ALL");
    let before = hosts.sessions(host).commands;
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(hosts.sessions(host).commands - before, 1);
}
