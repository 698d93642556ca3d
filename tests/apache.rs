//! `examples/apache` end to end on four separate test machines (three web
//! servers, one database server) reached over SSH: install, configure, start,
//! the handler's one restart, the HTTP probe; a second apply that does
//! nothing; a port change that touches only the site file and restarts once;
//! drift on one host; a host lost in the middle of an apply.
//!
//! The machines come from `scripts/testhosts up --machines` (their own root
//! file systems, process trees and hostnames; apt installs from a local
//! archive): what is installed on a web host is not installed on this
//! machine or on the database host. Needs root; see `docs/testhosts.md`.

#[path = "support/json_report.rs"]
mod json_report;
#[path = "support/testhosts.rs"]
mod testhosts;

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use json_report::statuses;
use serde_json::Value;
use testhosts::{TestHost, TestHosts};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/apache");
const SITE_FILE: &str = "etc/apache2/sites-enabled/www.example.com.conf";
const PAGE: &str = "<h1>www.example.com</h1>\n";

/// The copy of the example `up --site` made, and a home of its own for froyo.
struct Site {
    dir: PathBuf,
    home: tempfile::TempDir,
}

impl Site {
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
        command
            .args(args)
            .arg(&self.dir)
            .env("HOME", self.home.path())
            .env("NO_COLOR", "1")
            .env_remove("SSH_AUTH_SOCK")
            .stdin(Stdio::null());
        command
    }

    /// `froyo apply --yes --format json`: the exit code, the report, stderr.
    fn apply(&self) -> (i32, Value, String) {
        json_report::report(self.command(&["apply", "--yes", "--format", "json"]).output().unwrap())
    }

    fn edit(&self, file: &str, from: &str, to: &str) {
        let path = self.dir.join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{} has no `{from}`", path.display());
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

/// The statuses of the instances on `host`.
fn statuses_on(report: &Value, host: &str) -> String {
    statuses(report)
        .lines()
        .filter(|line| line.contains(&format!("@{host}:")))
        .map(|line| format!("{}\n", line.replace(&format!("@{host}"), "")))
        .collect()
}

fn root(host: &TestHost) -> &Path {
    host.root.as_deref().expect("the hosts are machines")
}

/// How often apache has (re)started on `host`, from its own error log.
fn apache_starts(host: &TestHost) -> usize {
    fs::read_to_string(root(host).join("var/log/apache2/error.log"))
        .map(|log| log.matches("resuming normal operations").count())
        .unwrap_or(0)
}

fn installed(host: &TestHost, package: &str) -> bool {
    root(host).join(format!("var/lib/dpkg/info/{package}.list")).exists()
}

/// GET / from this machine, on `host`'s address: the status line and body,
/// or the error.
fn get(address: Ipv4Addr, port: u16) -> Result<String, String> {
    let mut stream = TcpStream::connect_timeout(&(address, port).into(), Duration::from_secs(5))
        .map_err(|error| error.to_string())?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(stream, "GET / HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).map_err(|error| error.to_string())?;
    let status = answer.lines().next().unwrap_or_default().to_string();
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
    Ok(format!("{status}\n{body}"))
}

/// The pids of processes named `name` in host `index`'s namespaces.
fn processes_named(hosts: &TestHosts, index: usize, name: &str) -> Vec<u32> {
    let namespace = &hosts.host(index).namespace;
    let output = Command::new("ip").args(["netns", "pids", namespace]).output().unwrap();
    String::from_utf8_lossy(&output.stdout)
        .split_whitespace()
        .filter_map(|pid| pid.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|comm| comm.trim_end() == name)
        })
        .collect()
}

#[test]
fn the_apache_example_converges_four_machines_restarts_once_and_survives_a_lost_host() {
    let mut hosts = match TestHosts::try_up_machines(
        4,
        &["web", "web", "web", "db"],
        &["apache2"],
        Some(Path::new(EXAMPLE)),
    ) {
        Ok(hosts) => hosts,
        Err(unavailable) => {
            eprintln!("skipped: {unavailable}");
            return;
        }
    };
    let site = Site { dir: hosts.site(), home: tempfile::tempdir().unwrap() };
    let web = [1, 2, 3];
    // The machines are separate: nothing of apache here or on them yet.
    for index in 1..=4 {
        assert!(!installed(hosts.host(index), "apache2"), "host{index}");
    }

    // 1. Installed on the web hosts only, configured, started, restarted
    //    once for the configuration (the handler), probed.
    let (code, report, stderr) = site.apply();
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    for index in web {
        let host = hosts.host(index);
        assert_eq!(
            statuses_on(&report, &host.name),
            "linux.directory.docroot: applied\n\
             linux.file.page: applied\n\
             linux.file.site: applied\n\
             linux.package.apache: applied\n\
             linux.service.apache-svc: applied\n\
             probe.http.homepage: checked\n",
            "{}",
            host.name
        );
        assert!(installed(host, "apache2"), "{}", host.name);
        // Started, then restarted once because the site changed.
        assert_eq!(apache_starts(host), 2, "{}", host.name);
        assert_eq!(get(host.address, 8080).unwrap(), format!("HTTP/1.1 200 OK\n{PAGE}"));
        let site_file = fs::read_to_string(root(host).join(SITE_FILE)).unwrap();
        assert!(site_file.starts_with("Listen 8080\n<VirtualHost *:8080>"), "{site_file}");
    }
    assert_eq!(statuses_on(&report, "host4"), "");
    assert!(!installed(hosts.host(4), "apache2"));
    assert!(!Path::new("/var/lib/dpkg/info/apache2.list").exists(), "apache2 is on the controller");
    assert!(stderr.contains("host1: done (5 changes and 1 check)"), "{stderr}");

    // 2. Again: nothing to do, no operation, no restart.
    let (code, report, stderr) = site.apply();
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["report"]["operations"], 0, "{report:#}");
    assert!(!statuses(&report).contains("applied"), "{}", statuses(&report));
    assert!(stderr.contains("running 3 checks") && !stderr.contains("applying"), "{stderr}");
    for index in web {
        assert_eq!(apache_starts(hosts.host(index)), 2);
    }

    // 3. Another port: only the site file changes, and apache restarts once.
    site.edit("site.cue", "port:  8080", "port:  8081");
    let (code, report, stderr) = site.apply();
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    for index in web {
        let host = hosts.host(index);
        assert_eq!(
            statuses_on(&report, &host.name),
            "linux.directory.docroot: unchanged\n\
             linux.file.page: unchanged\n\
             linux.file.site: applied\n\
             linux.package.apache: unchanged\n\
             linux.service.apache-svc: applied\n\
             probe.http.homepage: checked\n",
            "{}",
            host.name
        );
        assert_eq!(apache_starts(host), 3, "{}", host.name);
        assert_eq!(get(host.address, 8081).unwrap(), format!("HTTP/1.1 200 OK\n{PAGE}"));
        assert!(get(host.address, 8080).is_err(), "{}: still on port 8080", host.name);
    }

    // 4. Someone edits the site file on host2: drift names host2 only.
    let edited = root(hosts.host(2)).join(SITE_FILE);
    let output = hosts
        .ssh(hosts.host(2))
        .arg(format!("echo '# edited by hand' >> /{SITE_FILE}"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    assert!(fs::read_to_string(&edited).unwrap().ends_with("# edited by hand\n"));
    let output = site.command(&["drift", "--format", "json"]).output().unwrap();
    let (code, drift, stderr) = json_report::report(output);
    assert_eq!(code, 3, "{drift:#}\n{stderr}");
    let drifted: Vec<String> = drift["drifted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| format!("{}@{}", entry["address"].as_str().unwrap(), entry["key"]["host"]))
        .collect();
    assert_eq!(drifted, ["linux.file.site@\"host2\""], "{drift:#}");
    let output = site.command(&["drift"]).output().unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("linux.file.site on host2 drifted"), "{text}");
    assert!(!text.contains("host1") && !text.contains("host3"), "{text}");

    // 5. host3 is lost in the middle of an apply (its sshd and every process
    //    of the machine killed while a slow command runs there): the others
    //    finish, the report says exactly what happened, and the next apply,
    //    once host3 is back, converges.
    site.edit("site.cue", "webmaster@example.com", "ops@example.com");
    fs::write(
        site.dir.join("slow.cue"),
        "package site\n\nimport \"froyo.dev/linux\"\n\n\
         resources: slow: linux.#Exec & {on: index: \"3\", command: \"sleep 8 && touch /root/slow-done\", creates: \"/root/slow-done\"}\n",
    )
    .unwrap();
    let child = site
        .command(&["apply", "--yes", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while processes_named(&hosts, 3, "sleep").is_empty() {
        assert!(Instant::now() < deadline, "the slow command never ran on host3");
        std::thread::sleep(Duration::from_millis(50));
    }
    hosts.stop_sshd(3);
    let (code, report, stderr) = json_report::report(child.wait_with_output().unwrap());
    assert_eq!(code, 1, "{report:#}\n{stderr}");
    let all = statuses(&report);
    for host in ["host1", "host2"] {
        assert!(all.contains(&format!("linux.file.site@{host}: applied")), "{all}");
        assert!(all.contains(&format!("linux.service.apache-svc@{host}: applied")), "{all}");
        assert!(all.contains(&format!("probe.http.homepage@{host}: checked")), "{all}");
    }
    assert!(all.contains("linux.exec.slow@host3: failed"), "{all}");
    let host_errors = report["report"]["host_errors"].as_array().unwrap();
    assert_eq!(host_errors.len(), 1, "{report:#}");
    assert_eq!(host_errors[0]["host"], "host3", "{report:#}");
    assert!(stderr.contains("E1109"), "{stderr}");
    // State says the same: the run failed, with what it applied; host1's and
    // host2's new site files are recorded by it, host3's old one is not, and
    // the command that never finished is not recorded at all.
    let json = |args: &[&str]| -> Value {
        let output = site.command(args).output().unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        serde_json::from_slice(&output.stdout).unwrap()
    };
    let runs = json(&["runs", "list", "--format", "json"]);
    let run = &runs[0];
    assert_eq!(run["status"], "failed", "{run:#}");
    assert_eq!(
        run["summary"]["applied"],
        report["report"]["instances"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["status"] == "applied")
            .count(),
        "{run:#}\n{report:#}"
    );
    let failed_run = run["id"].as_u64().unwrap();
    let recorded = json(&["state", "list", "--format", "json"]);
    let last_run = |resource: &str, host: &str| {
        recorded
            .as_array()
            .unwrap()
            .iter()
            .find(|record| record["key"]["resource"] == resource && record["key"]["host"] == host)
            .map(|record| record["last_run"].as_u64().unwrap())
    };
    assert_eq!(last_run("site", "host1"), Some(failed_run), "{recorded:#}");
    assert_eq!(last_run("site", "host2"), Some(failed_run), "{recorded:#}");
    assert!(last_run("site", "host3").is_some_and(|run| run < failed_run), "{recorded:#}");
    assert_eq!(last_run("slow", "host3"), None, "{recorded:#}");
    // host2's hand edit is gone with the new site file; host3 kept its old one.
    assert!(!fs::read_to_string(&edited).unwrap().contains("# edited by hand"));
    assert!(
        fs::read_to_string(root(hosts.host(3)).join(SITE_FILE))
            .unwrap()
            .contains("webmaster@example.com")
    );

    // host3 comes back (a reboot: apache is not running) and the next apply converges.
    hosts.start_sshd(3);
    assert!(get(hosts.host(3).address, 8081).is_err());
    let (code, report, stderr) = site.apply();
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    let host3 = statuses_on(&report, "host3");
    for line in [
        "linux.exec.slow: applied",
        "linux.file.site: applied",
        "linux.service.apache-svc: applied",
        "probe.http.homepage: checked",
    ] {
        assert!(host3.contains(line), "{host3}");
    }
    assert_eq!(statuses_on(&report, "host1").matches("applied").count(), 0, "{report:#}");
    assert!(root(hosts.host(3)).join("root/slow-done").exists());
    for index in web {
        let host = hosts.host(index);
        assert_eq!(get(host.address, 8081).unwrap(), format!("HTTP/1.1 200 OK\n{PAGE}"));
        let site_file = fs::read_to_string(root(host).join(SITE_FILE)).unwrap();
        assert!(site_file.contains("ServerAdmin ops@example.com"), "{}: {site_file}", host.name);
    }
    let (code, report, stderr) = site.apply();
    assert_eq!(code, 0, "{report:#}\n{stderr}");
    assert_eq!(report["report"]["operations"], 0, "{report:#}");
}
