//! The test-host harness itself (`scripts/testhosts` through `tests/support/testhosts.rs`).
//!
//! Three hosts come up; each answers `ssh -F DIR/ssh_config hostI hostname`
//! with its own name and its sshd log counts the session; each address is
//! reachable only over its own link, and an address of the range no host holds
//! fails at once; stopping a host's sshd makes connecting fail fast and
//! starting it brings the host back; after the value is dropped no namespace,
//! link, route, process or file of the harness is left, also when a test
//! panics. Where the harness cannot run, the tests print `skipped: <reason>`
//! (or fail, with `FROYO_REQUIRE_SSH=1`).

#[path = "support/testhosts.rs"]
mod testhosts;

use std::io::ErrorKind;
use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use testhosts::{ADDRESS_RANGE, TestHost, TestHosts, UNASSIGNED_ADDRESS};

/// Connection attempts that fail must fail well within this.
const FAST: Duration = Duration::from_millis(500);

#[test]
fn hosts_serve_ssh_on_their_own_links_and_leave_nothing_behind() {
    let mut hosts = match TestHosts::try_up(3) {
        Ok(hosts) => hosts,
        Err(unavailable) => {
            eprintln!("skipped: {unavailable}");
            return;
        }
    };
    assert_eq!(hosts.hosts().len(), 3);

    for host in hosts.hosts() {
        let before = hosts.sessions(host);
        let name = run_ssh(&hosts, host, "hostname");
        assert_eq!(name.trim(), host.name, "each host has its own hostname");
        let after = hosts.sessions(host);
        assert_eq!(after.connections, before.connections + 1, "{}: {after:?}", host.name);
        assert_eq!(after.commands, before.commands + 1, "{}: {after:?}", host.name);
        assert_eq!(after.sftp, before.sftp);
        assert_eq!(host.fingerprints.len(), 3, "{}: ed25519, ecdsa and rsa host keys", host.name);
    }
    let inventory = std::fs::read_to_string(hosts.inventory_cue()).expect("inventory.cue");
    assert!(inventory.starts_with("// ") && inventory.contains("\npackage site\n"), "{inventory}");
    for host in hosts.hosts() {
        assert!(
            inventory.contains(&format!("{}: {{address: \"{}\"", host.name, host.address)),
            "{inventory}"
        );
    }

    check_links(&hosts);

    // A host whose sshd is gone refuses at once; started again, it serves.
    let host2 = hosts.host(2).clone();
    hosts.stop_sshd(2);
    assert_eq!(hosts.host(2).sshd_pid, None);
    let started = Instant::now();
    let error = connect(&host2).expect_err("host2's sshd is stopped");
    assert_eq!(error.kind(), ErrorKind::ConnectionRefused, "{error}");
    assert!(started.elapsed() < FAST, "refusing took {:?}", started.elapsed());
    let started = Instant::now();
    let output = hosts.ssh(&host2).arg("true").output().expect("run ssh");
    assert!(!output.status.success(), "ssh to a stopped host succeeded");
    assert!(started.elapsed() < Duration::from_secs(2), "ssh took {:?} to fail", started.elapsed());
    hosts.start_sshd(2);
    assert!(hosts.host(2).sshd_pid.is_some_and(|pid| Some(pid) != host2.sshd_pid));
    assert_eq!(run_ssh(&hosts, &host2, "hostname").trim(), "host2");

    // Dropping removes every trace.
    let dir = hosts.dir().to_path_buf();
    let owned: Vec<TestHost> = hosts.hosts().to_vec();
    drop(hosts);
    assert!(!dir.exists(), "{} is still there", dir.display());
    let namespaces = command_output(Command::new("ip").args(["netns", "list"]));
    let routes = command_output(Command::new("ip").args(["route", "show", "table", "all"]));
    let links = command_output(Command::new("ip").args(["-o", "link", "show"]));
    for host in &owned {
        assert!(
            !namespaces.lines().any(|line| line.split_whitespace().next() == Some(&host.namespace)),
            "{namespaces}"
        );
        let address = host.address.to_string();
        let gateway = host.gateway.to_string();
        for line in routes.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert!(
                !words.contains(&host.veth.as_str())
                    && !words.contains(&address.as_str())
                    && !words.contains(&gateway.as_str()),
                "{} left a route: {line}",
                host.name
            );
        }
        assert!(!links.contains(&format!(": {}@", host.veth)), "{links}");
    }
    // The range's unreachable route goes with the last set of hosts (other
    // tests may have theirs up: look at the route and the allocations at once).
    let state_dir = testhosts::state_dir();
    let state = command_output(
        Command::new("flock")
            .arg(state_dir.join("lock"))
            .args(["sh", "-c", "cat \"$1/blocks\"; echo ---; ip route show", "sh"])
            .arg(&state_dir),
    );
    let (allocations, routes_then) = state.split_once("---\n").expect("separator");
    if allocations.trim().is_empty() {
        assert!(
            !routes_then.contains(ADDRESS_RANGE),
            "the range's route outlived every host:\n{routes_then}"
        );
    }
    let leftover = Command::new("pgrep").arg("-af").arg(&dir).output().expect("run pgrep");
    assert!(
        leftover.stdout.is_empty(),
        "processes left behind:\n{}",
        String::from_utf8_lossy(&leftover.stdout)
    );
}

#[test]
fn hosts_are_removed_when_a_test_panics() {
    let mut made = None;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let hosts = match TestHosts::try_up(1) {
            Ok(hosts) => hosts,
            Err(unavailable) => {
                eprintln!("skipped: {unavailable}");
                return;
            }
        };
        made = Some((hosts.dir().to_path_buf(), hosts.host(1).namespace.clone()));
        panic!("a deliberate panic while hosts are up (this test checks that they go)");
    }));
    let Some((dir, namespace)) = made else { return };
    assert!(result.is_err());
    assert!(!dir.exists(), "{} is still there", dir.display());
    let namespaces = command_output(Command::new("ip").args(["netns", "list"]));
    assert!(
        !namespaces.lines().any(|line| line.split_whitespace().next() == Some(namespace.as_str())),
        "{namespaces}"
    );
}

/// Each address is on its host's link only; others in the range are unreachable.
fn check_links(hosts: &TestHosts) {
    let root_addresses = command_output(Command::new("ip").args(["-o", "-4", "addr", "show"]));
    let routes = command_output(Command::new("ip").args(["route", "show"]));
    assert!(
        routes.lines().any(|line| line.trim() == format!("unreachable {ADDRESS_RANGE}")),
        "{routes}"
    );
    for host in hosts.hosts() {
        // The root namespace reaches the host over its veth and does not hold its address.
        assert!(!root_addresses.contains(&format!(" {}/", host.address)), "{root_addresses}");
        let route =
            command_output(Command::new("ip").args(["route", "get", &host.address.to_string()]));
        assert!(route.contains(&format!(" dev {} ", host.veth)), "{}: {route}", host.name);
        // Inside, the only routes are the link and an unreachable default.
        let inside =
            command_output(Command::new("ip").args(["-n", &host.namespace, "route", "show"]));
        assert!(
            inside.lines().any(|line| line.trim() == "unreachable default"),
            "{}: {inside}",
            host.name
        );
        assert_eq!(inside.lines().count(), 2, "{}: {inside}", host.name);
        // From another host, this host's address is unreachable at once.
        for other in hosts.hosts().iter().filter(|other| other.index != host.index) {
            let probe = Command::new("ip")
                .args(["netns", "exec", &other.namespace, "timeout", "2", "bash", "-c"])
                .arg(format!("exec 3<>/dev/tcp/{}/22", host.address))
                .output()
                .expect("run ip netns exec");
            let stderr = String::from_utf8_lossy(&probe.stderr);
            assert!(
                !probe.status.success() && stderr.contains("No route to host"),
                "{} from {}: {stderr}",
                host.name,
                other.name
            );
        }
    }
    // An address of the range that no host holds fails at once, without a packet sent.
    let started = Instant::now();
    let error = TcpStream::connect_timeout(
        &SocketAddr::from((UNASSIGNED_ADDRESS, 22)),
        Duration::from_secs(3),
    )
    .expect_err("an unassigned address answered");
    assert_eq!(error.kind(), ErrorKind::HostUnreachable, "{error}");
    assert!(started.elapsed() < FAST, "failing took {:?}", started.elapsed());
}

fn connect(host: &TestHost) -> std::io::Result<TcpStream> {
    TcpStream::connect_timeout(&SocketAddr::from((host.address, host.port)), Duration::from_secs(3))
}

fn run_ssh(hosts: &TestHosts, host: &TestHost, remote_command: &str) -> String {
    let output = hosts.ssh(host).arg(remote_command).output().expect("run ssh");
    assert!(
        output.status.success(),
        "ssh {} {remote_command}: {}\n{}",
        host.name,
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn command_output(command: &mut Command) -> String {
    let output = command.output().unwrap_or_else(|error| panic!("run {command:?}: {error}"));
    assert!(output.status.success(), "{command:?}: {}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn machines_have_their_own_files_processes_and_hostnames_and_go_without_a_trace() {
    let mut hosts = match TestHosts::try_up_machines(2, &["web", "db"], &[], None) {
        Ok(hosts) => hosts,
        Err(unavailable) => {
            eprintln!("skipped: {unavailable}");
            return;
        }
    };
    let dir = hosts.dir().to_path_buf();
    let inventory = std::fs::read_to_string(hosts.inventory_cue()).unwrap();
    assert!(inventory.contains("index: \"1\", role: \"web\"}"), "{inventory}");
    assert!(inventory.contains("index: \"2\", role: \"db\"}"), "{inventory}");
    let marker = "/etc/froyo-testhosts-only-on-host1";
    let host1 = hosts.host(1).clone();
    let host2 = hosts.host(2).clone();
    let seen = run_ssh(
        &hosts,
        &host1,
        &format!(
            "hostname; cat /proc/1/comm; ls /proc | grep -c '^[0-9]'; \
             echo here > {marker}; cat /etc/apt/sources.list.d/*.list; \
             apt-cache policy apache2 | grep -c 'file:/srv/froyo-archive'"
        ),
    );
    let lines: Vec<&str> = seen.lines().collect();
    assert_eq!(lines[0], "host1", "its own hostname: {seen}");
    assert_eq!(lines[1], "sshd", "sshd is its first process: {seen}");
    let processes: usize = lines[2].parse().unwrap();
    assert!(processes < 10, "it sees only its own processes: {seen}");
    assert_eq!(lines[3], "deb [trusted=yes] file:/srv/froyo-archive ./", "{seen}");
    assert_eq!(lines[4], "1", "apt knows apache2 from the local archive: {seen}");
    // The file is on host1's disk only.
    let root1 = host1.root.clone().expect("a machine");
    let root2 = host2.root.clone().expect("a machine");
    assert!(root1.join(marker.trim_start_matches('/')).exists());
    assert!(!root2.join(marker.trim_start_matches('/')).exists());
    assert!(!std::path::Path::new(marker).exists(), "written on the controller");
    assert_eq!(run_ssh(&hosts, &host2, &format!("test -e {marker} || echo absent")), "absent\n");

    // Lost power, and back with its disk as it was.
    hosts.stop_sshd(1);
    assert!(connect(&host1).is_err());
    hosts.start_sshd(1);
    let host1 = hosts.host(1).clone();
    assert_eq!(run_ssh(&hosts, &host1, &format!("cat {marker}")), "here\n");

    let mounted = |dir: &std::path::Path| {
        std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap()
            .lines()
            .filter(|line| line.contains(&*dir.to_string_lossy()))
            .count()
    };
    assert_eq!(mounted(&dir), 2, "one root file system per machine");
    drop(hosts);
    assert_eq!(mounted(&dir), 0, "mounts left behind");
    assert!(!dir.exists(), "{} is still there", dir.display());
}
