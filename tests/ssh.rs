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

#[path = "support/testhosts.rs"]
mod testhosts;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

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
        let mut inventory = String::from("package site\n\nhosts: {\n");
        for host in hosts.hosts() {
            inventory.push_str(&format!(
                "\t{}: {{address: \"{}\", user: \"root\", identity_file: \"{}\", labels: name: \"{}\"}}\n",
                host.name,
                host.address,
                hosts.identity_file().display(),
                host.name
            ));
        }
        inventory.push_str("}\n");
        fs::write(dir.path().join("hosts.cue"), inventory).unwrap();
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

fn report(output: Output) -> (i32, Value, String) {
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "no JSON report ({error}); exit {code}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (code, report, stderr)
}

fn statuses(report: &Value) -> String {
    let mut lines: Vec<String> = report["report"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|instance| {
            format!(
                "{}@{}: {}",
                instance["address"].as_str().unwrap(),
                instance["key"]["host"].as_str().unwrap_or("?"),
                instance["status"].as_str().unwrap()
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
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
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
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

/// A login user for the `become` test, whose sudo asks for a password; removed on drop.
struct SudoUser {
    name: String,
}

impl SudoUser {
    const PASSWORD: &'static str = "froyo-sudo-pw-91c2";

    fn create() -> Option<SudoUser> {
        if !Path::new("/usr/bin/sudo").exists() {
            return None;
        }
        let name = format!("fb{}", std::process::id() % 100_000);
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

impl Drop for SudoUser {
    fn drop(&mut self) {
        let _ = fs::remove_file(format!("/etc/sudoers.d/{}", self.name));
        let _ = Command::new("userdel").args(["-r", &self.name]).output();
    }
}

#[test]
fn become_through_sudo_asks_for_its_password_and_never_shows_it() {
    let hosts = hosts_or_skip!(1);
    let Some(user) = SudoUser::create() else {
        assert!(std::env::var_os("FROYO_REQUIRE_SSH").is_none(), "sudo is not installed");
        eprintln!("skipped: sudo is not installed");
        return;
    };
    let resources = "\tsecret: linux.#Directory & {path: \"@ROOT@/root-only\", mode: \"0700\", owner: \"root\"}\n\tprobe: linux.#Exec & {command: \"id -u > @ROOT@/root-only/uid\", creates: \"@ROOT@/root-only/uid\", require: [\"secret\"]}\n";
    let site = Site::new(&hosts, resources);
    site.trust(&hosts);
    // sshd reads authorized_keys as the login user.
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(hosts.dir(), fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(hosts.dir().join("authorized_keys"), fs::Permissions::from_mode(0o644))
        .unwrap();
    let inventory = fs::read_to_string(site.dir.path().join("hosts.cue")).unwrap();
    let as_user =
        inventory.replace("user: \"root\"", &format!("user: \"{}\", become: true", user.name));
    fs::write(site.dir.path().join("hosts.cue"), &as_user).unwrap();

    // No password: a clear refusal naming the fix.
    let (code, _, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E1106") && stderr.contains("become_password"), "{stderr}");

    // A wrong password: refused, and shown nowhere.
    let wrong = "froyo-wrong-pw-5d1e";
    fs::write(
        site.dir.path().join("hosts.cue"),
        as_user.replace("become: true", &format!("become: true, become_password: \"{wrong}\"")),
    )
    .unwrap();
    let (code, report, stderr) = site.apply(&[]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("E1106") && stderr.contains("refused"), "{stderr}");
    assert!(!format!("{report}{stderr}").contains(wrong));

    // The right one: the runner is root, and the password is printed nowhere.
    fs::write(
        site.dir.path().join("hosts.cue"),
        as_user.replace(
            "become: true",
            &format!("become: true, become_password: \"{}\"", SudoUser::PASSWORD),
        ),
    )
    .unwrap();
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
    let inventory = fs::read_to_string(site.dir.path().join("hosts.cue")).unwrap();
    for (kind, bits) in [("rsa", "3072"), ("ecdsa", "256")] {
        let key = site.dir.path().join(format!("id_{kind}"));
        let status = Command::new("ssh-keygen")
            .args(["-q", "-t", kind, "-b", bits, "-N", "", "-f"])
            .arg(&key)
            .status()
            .unwrap();
        assert!(status.success());
        let public = fs::read_to_string(format!("{}.pub", key.display())).unwrap();
        let mut authorized =
            fs::OpenOptions::new().append(true).open(hosts.dir().join("authorized_keys")).unwrap();
        use std::io::Write as _;
        authorized.write_all(public.as_bytes()).unwrap();
        fs::write(
            site.dir.path().join("hosts.cue"),
            inventory
                .replace(&hosts.identity_file().display().to_string(), &key.display().to_string()),
        )
        .unwrap();
        let (code, report, stderr) = site.apply(&[]);
        assert_eq!(code, 0, "{kind}: {report:#}\n{stderr}");
    }
}
