//! Test hosts for integration tests: real OpenSSH servers in network namespaces.
//!
//! [`TestHosts::up`] runs `scripts/testhosts up N` in a fresh temporary
//! directory and reads the `hosts.json` it writes; dropping the value runs
//! `scripts/testhosts down`, so the namespaces, links, routes and sshd
//! processes go away also when a test panics (and, should the test binary be
//! killed, the next `up` removes them). This module starts no sshd and
//! touches no network itself: the script does, and `docs/testhosts.md`
//! describes what it makes. Include it with
//! `#[path = "support/testhosts.rs"] mod testhosts;`.
//!
//! Where the hosts cannot run (not root, no network namespaces, no way to
//! install sshd), [`TestHosts::try_up`] returns the reason, and a test prints
//! `skipped: <reason>` and returns. With `FROYO_REQUIRE_SSH=1` it panics
//! instead, so a run that must exercise SSH cannot pass by skipping.

#![allow(dead_code)] // Each test binary uses its own part of the helper.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde::Deserialize;

/// The harness script; see `docs/testhosts.md`.
pub const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/testhosts");

/// An address of the harness's range that no host is ever given: connecting to
/// it must fail at once (an `unreachable` route), with no packet sent.
pub const UNASSIGNED_ADDRESS: Ipv4Addr = Ipv4Addr::new(169, 254, 127, 254);

/// The range every test host's /30 comes from.
pub const ADDRESS_RANGE: &str = "169.254.64.0/18";

/// Where the script keeps the state its instances share: `lock`, and
/// `blocks` (the allocated /30s).
pub fn state_dir() -> PathBuf {
    std::env::var_os("FROYO_TESTHOSTS_STATE")
        .filter(|value| !value.is_empty())
        .map_or_else(|| PathBuf::from("/run/froyo-testhosts"), PathBuf::from)
}

/// The script's exit status when this machine cannot run test hosts.
const EXIT_UNSUPPORTED: i32 = 77;

/// One host: a network namespace with its own sshd, as `hosts.json` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct TestHost {
    /// `host1`, `host2`, …: the `Host` name in `ssh_config` and in `inventory.cue`.
    pub name: String,
    /// The number in the name, from 1.
    pub index: usize,
    /// The network namespace the sshd runs in.
    pub namespace: String,
    /// The host's address, inside its namespace.
    pub address: Ipv4Addr,
    /// The root namespace's end of the host's link.
    pub gateway: Ipv4Addr,
    pub port: u16,
    /// The root namespace's end of the veth pair.
    pub veth: String,
    /// The listening sshd, or none while it is stopped.
    pub sshd_pid: Option<u32>,
    /// The sshd's log (`LogLevel DEBUG1`).
    pub log: PathBuf,
    pub sshd_config: PathBuf,
    /// A machine's root file system (`up --machines`), as this machine sees
    /// it; none for a host that shares this machine's.
    pub root: Option<PathBuf>,
    /// SHA256 fingerprints of the host keys by type: `ed25519`, `ecdsa`, `rsa`.
    pub fingerprints: BTreeMap<String, String>,
}

/// What a host's sshd log has counted since the host came up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionCounts {
    /// TCP connections accepted ("Connection from").
    pub connections: usize,
    /// Sessions that ran a command ("Starting session: command").
    pub commands: usize,
    /// SFTP sessions ("Starting session: subsystem 'sftp'").
    pub sftp: usize,
}

/// Why test hosts cannot run on this machine.
#[derive(Debug, Clone)]
pub struct Unavailable {
    pub reason: String,
}

impl fmt::Display for Unavailable {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.reason)
    }
}

#[derive(Deserialize)]
struct HostsFile {
    prefix: String,
    hosts: Vec<TestHost>,
}

/// Running test hosts; dropping them removes them.
pub struct TestHosts {
    dir: tempfile::TempDir,
    prefix: String,
    hosts: Vec<TestHost>,
}

impl TestHosts {
    /// Brings up `count` hosts, or panics saying why it could not.
    pub fn up(count: usize) -> TestHosts {
        match TestHosts::try_up(count) {
            Ok(hosts) => hosts,
            Err(unavailable) => panic!("test hosts cannot run here: {unavailable}"),
        }
    }

    /// Brings up `count` hosts, or says why this machine cannot run them.
    ///
    /// Panics when the harness could run but failed (a bug to look at), and,
    /// with `FROYO_REQUIRE_SSH=1`, when it cannot run.
    pub fn try_up(count: usize) -> Result<TestHosts, Unavailable> {
        TestHosts::try_up_with(count, &[])
    }

    /// Brings up `count` separate machines (`up --machines`): their own root
    /// file systems, process trees and hostnames, apt installing from a
    /// local archive of `packages`. Host I gets the label `role: roles[I-1]`,
    /// and with `site`, a copy of that workspace with these hosts as its
    /// inventory is made in [`TestHosts::site`]. The first call on a machine
    /// makes the image with debootstrap (about 30 s, cached under ~/.cache).
    pub fn try_up_machines(
        count: usize,
        roles: &[&str],
        packages: &[&str],
        site: Option<&Path>,
    ) -> Result<TestHosts, Unavailable> {
        let mut arguments = vec!["--machines".to_string()];
        if !roles.is_empty() {
            arguments.extend(["--roles".to_string(), roles.join(",")]);
        }
        if !packages.is_empty() {
            arguments.extend(["--packages".to_string(), packages.join(",")]);
        }
        if let Some(site) = site {
            arguments.extend(["--site".to_string(), site.display().to_string()]);
        }
        TestHosts::try_up_with(count, &arguments)
    }

    fn try_up_with(count: usize, arguments: &[String]) -> Result<TestHosts, Unavailable> {
        let result = TestHosts::start(count, arguments);
        if let Err(unavailable) = &result
            && std::env::var_os("FROYO_REQUIRE_SSH").is_some_and(|value| value == "1")
        {
            panic!("FROYO_REQUIRE_SSH=1, but test hosts cannot run here: {unavailable}");
        }
        result
    }

    fn start(count: usize, arguments: &[String]) -> Result<TestHosts, Unavailable> {
        let dir =
            tempfile::Builder::new().prefix("froyo-testhosts-").tempdir().map_err(|error| {
                Unavailable { reason: format!("cannot create a temporary directory: {error}") }
            })?;
        let output = Command::new("bash")
            .arg(SCRIPT)
            .arg("up")
            .arg(count.to_string())
            .arg("--dir")
            .arg(dir.path())
            // Should this process die before `Drop` runs, the next `up` removes the hosts.
            .arg("--owner")
            .arg(std::process::id().to_string())
            .args(arguments)
            .output()
            .map_err(|error| Unavailable {
                reason: format!("cannot run bash {SCRIPT}: {error}"),
            })?;
        if output.status.code() == Some(EXIT_UNSUPPORTED) {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let reason = stderr
                .lines()
                .rev()
                .find(|line| !line.trim().is_empty())
                .unwrap_or("(no reason given)");
            let reason = reason
                .trim_start_matches("testhosts: ")
                .trim_start_matches("cannot run test hosts here: ");
            return Err(Unavailable { reason: reason.to_string() });
        }
        if !output.status.success() {
            panic!(
                "scripts/testhosts up {count} failed ({}):\n{}",
                output.status,
                describe(&output)
            );
        }
        // The value exists before anything can panic, so that its `Drop` runs `down`.
        let mut hosts = TestHosts { dir, prefix: String::new(), hosts: Vec::new() };
        let hosts_file = read_hosts_file(hosts.dir());
        hosts.prefix = hosts_file.prefix;
        hosts.hosts = hosts_file.hosts;
        Ok(hosts)
    }

    /// The directory holding the keys, configuration files and logs.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The namespaces' common prefix: host I's namespace is `PREFIX-hostI`.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    pub fn hosts(&self) -> &[TestHost] {
        &self.hosts
    }

    /// Host `index`, counting from 1 as the names do.
    pub fn host(&self, index: usize) -> &TestHost {
        self.hosts
            .iter()
            .find(|host| host.index == index)
            .unwrap_or_else(|| panic!("there is no host{index} (there are {})", self.hosts.len()))
    }

    /// The client key every host accepts for root.
    pub fn identity_file(&self) -> PathBuf {
        self.dir().join("id_ed25519")
    }

    /// Every host's keys, one `ADDRESS TYPE KEY` line each.
    pub fn known_hosts(&self) -> PathBuf {
        self.dir().join("known_hosts")
    }

    /// The workspace `up --site` copied, with these hosts as its inventory.
    pub fn site(&self) -> PathBuf {
        self.dir().join("site")
    }

    /// An OpenSSH client configuration with a `Host hostI` block per host.
    pub fn ssh_config(&self) -> PathBuf {
        self.dir().join("ssh_config")
    }

    /// A CUE file of package `site` listing the hosts for froyo.
    pub fn inventory_cue(&self) -> PathBuf {
        self.dir().join("inventory.cue")
    }

    /// An OpenSSH client command for `host` (no remote command yet).
    pub fn ssh(&self, host: &TestHost) -> Command {
        let mut command = Command::new("ssh");
        command.arg("-F").arg(self.ssh_config()).arg(&host.name);
        command
    }

    /// What `host`'s sshd log has counted so far.
    pub fn sessions(&self, host: &TestHost) -> SessionCounts {
        let log = fs::read(&host.log)
            .unwrap_or_else(|error| panic!("cannot read {}: {error}", host.log.display()));
        let mut counts = SessionCounts::default();
        for line in String::from_utf8_lossy(&log).lines() {
            if line.contains("Connection from ") {
                counts.connections += 1;
            } else if line.contains("Starting session: command") {
                counts.commands += 1;
            } else if line.contains("Starting session: subsystem 'sftp'") {
                counts.sftp += 1;
            }
        }
        counts
    }

    /// Kills host `index`'s sshd and its sessions, as if the host were lost.
    pub fn stop_sshd(&mut self, index: usize) {
        self.run_sshd_command("stop-sshd", index);
    }

    /// Starts host `index`'s sshd again and waits until it accepts connections.
    pub fn start_sshd(&mut self, index: usize) {
        self.run_sshd_command("start-sshd", index);
    }

    fn run_sshd_command(&mut self, action: &str, index: usize) {
        let output = Command::new("bash")
            .arg(SCRIPT)
            .arg(action)
            .arg(index.to_string())
            .arg("--dir")
            .arg(self.dir.path())
            .output()
            .unwrap_or_else(|error| panic!("cannot run bash {SCRIPT}: {error}"));
        if !output.status.success() {
            panic!(
                "scripts/testhosts {action} {index} failed ({}):\n{}",
                output.status,
                describe(&output)
            );
        }
        self.hosts = read_hosts_file(self.dir.path()).hosts;
    }
}

impl Drop for TestHosts {
    fn drop(&mut self) {
        let result =
            Command::new("bash").arg(SCRIPT).arg("down").arg("--dir").arg(self.dir.path()).output();
        match result {
            Ok(output) if output.status.success() => {}
            // No panic here: this may run while a test is already panicking.
            Ok(output) => eprintln!(
                "scripts/testhosts down --dir {} failed ({}); `scripts/testhosts down --all` cleans up:\n{}",
                self.dir.path().display(),
                output.status,
                describe(&output)
            ),
            Err(error) => eprintln!("cannot run bash {SCRIPT} down: {error}"),
        }
    }
}

fn read_hosts_file(dir: &Path) -> HostsFile {
    let path = dir.join("hosts.json");
    let text = fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| {
        panic!("{} is not what the helper expects: {error}", path.display())
    })
}

fn describe(output: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}
