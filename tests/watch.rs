//! `froyo drift --watch` against real sshd's in network namespaces
//! (`scripts/testhosts`), scraped by a real Prometheus (Debian's
//! `prometheus` package) that this test starts on loopback with a
//! configuration of its own: a file edited on a test host shows up as a
//! drifted instance in Prometheus; a host whose sshd goes away is reported
//! unreachable and the watch goes on until it is back; SIGTERM stops the
//! watch promptly and releases the lock; `--remediate` puts the file back
//! and the metric returns to 0. Every check is a run in state.
//!
//! Without test hosts, or without Prometheus, the test says why and passes,
//! unless `FROYO_REQUIRE_SSH=1` or `FROYO_REQUIRE_PROMETHEUS=1` (both set by
//! `scripts/test`) makes that a failure.

#[path = "support/otlp.rs"]
mod otlp;
#[path = "support/testhosts.rs"]
mod testhosts;

use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use testhosts::TestHosts;

/// A child process killed when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port on loopback that nothing listens on (the system's pick).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `GET path` on loopback `port`: the status code and body.
fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(stream, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split_whitespace().nth(1)?.parse().ok()?;
    // Prometheus answers small queries whole; a chunked answer is decoded.
    let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Percent-encodes a PromQL query for a URL.
fn encode(query: &str) -> String {
    query
        .bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'_' | b'-' | b'.' => {
                (byte as char).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// Prometheus, started on loopback with a temporary configuration that
/// scrapes froyo's metrics endpoint every second.
struct Prometheus {
    port: u16,
    _process: Running,
}

impl Prometheus {
    fn start(dir: &Path, target: u16) -> Option<Prometheus> {
        let found =
            Command::new("prometheus").arg("--version").output().is_ok_and(|o| o.status.success());
        if !found {
            if std::env::var_os("FROYO_REQUIRE_PROMETHEUS").is_some() {
                panic!(
                    "prometheus is missing and FROYO_REQUIRE_PROMETHEUS is set: install the prometheus package"
                );
            }
            return None;
        }
        let config = dir.join("prometheus.yml");
        fs::write(
            &config,
            format!(
                "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n\
                 scrape_configs:\n  - job_name: froyo\n    static_configs:\n      - targets: [\"127.0.0.1:{target}\"]\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let process = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("tsdb").display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .unwrap();
        let prometheus = Prometheus { port, _process: Running(process) };
        wait_until(Duration::from_secs(60), "prometheus to be ready", || {
            http_get(port, "/-/ready").is_some_and(|(status, _)| status == 200)
        });
        Some(prometheus)
    }

    /// The value of the one series `query` selects now, if there is one.
    fn value(&self, query: &str) -> Option<String> {
        let (status, body) =
            http_get(self.port, &format!("/api/v1/query?query={}", encode(query)))?;
        assert_eq!(status, 200, "{query}: {body}");
        let answer: Value = serde_json::from_str(&body).ok()?;
        let result = answer["data"]["result"].as_array()?;
        assert!(result.len() <= 1, "{query} selects one series: {body}");
        Some(result.first()?["value"][1].as_str()?.to_string())
    }

    /// Waits until `query` has the value `expected`.
    fn wait_for(&self, query: &str, expected: &str, watch_log: &Path) {
        let deadline = Instant::now() + Duration::from_secs(90);
        let mut last = None;
        while Instant::now() < deadline {
            last = self.value(query);
            if last.as_deref() == Some(expected) {
                return;
            }
            std::thread::sleep(Duration::from_millis(300));
        }
        panic!(
            "{query} is {last:?}, not {expected}; the watch logged:\n{}",
            fs::read_to_string(watch_log).unwrap_or_default()
        );
    }
}

fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if done() {
            return;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    panic!("timed out waiting for {what}");
}

/// The workspace: one file on each of two test hosts.
struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn new(hosts: &TestHosts) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        fs::create_dir_all(home.join(".ssh")).unwrap();
        fs::create_dir_all(dir.path().join("cue.mod")).unwrap();
        fs::create_dir_all(dir.path().join("root")).unwrap();
        fs::write(dir.path().join("cue.mod/module.cue"), "module: \"example.com/watch\"\n")
            .unwrap();
        let mut inventory = String::from("package site\n\nhosts: {\n");
        for host in hosts.hosts() {
            inventory.push_str(&format!(
                "\t{name}: {{address: \"{}\", user: \"root\", identity_file: \"{}\", labels: name: \"{name}\"}}\n",
                host.address,
                hosts.identity_file().display(),
                name = host.name,
            ));
        }
        inventory.push_str("}\n");
        fs::write(dir.path().join("hosts.cue"), inventory).unwrap();
        fs::copy(hosts.known_hosts(), dir.path().join("known_hosts")).unwrap();
        let site = Site { dir };
        let mut resources =
            String::from("package site\n\nimport \"froyo.dev/linux\"\n\nresources: {\n");
        for host in hosts.hosts() {
            resources.push_str(&format!(
                "\t\"motd-{name}\": linux.#File & {{on: name: \"{name}\", path: \"{}\", content: \"managed\\n\"}}\n",
                site.file(&host.name).display(),
                name = host.name,
            ));
        }
        resources.push_str("}\n");
        fs::write(site.dir.path().join("site.cue"), resources).unwrap();
        site
    }

    /// The file managed on `host` (the hosts share this machine's file system).
    fn file(&self, host: &str) -> PathBuf {
        self.dir.path().join("root").join(format!("{host}.motd"))
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", self.dir.path().join("home"))
            .env("NO_COLOR", "1")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("FROYO_LOG")
            .stdin(Stdio::null());
        command
    }

    /// Starts `froyo drift --watch` serving metrics on `port`, logging JSON to `log`.
    fn watch(&self, port: u16, extra: &[&str], log: &Path) -> Running {
        let address = format!("127.0.0.1:{port}");
        let mut args = vec![
            "drift",
            "--watch",
            "--interval",
            "1s",
            "--metrics-addr",
            &address,
            "--log-format",
            "json",
        ];
        args.extend_from_slice(extra);
        let child = self
            .command(&args)
            .stdout(Stdio::null())
            .stderr(fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        Running(child)
    }

    fn state(&self) -> froyo_state::State {
        froyo_state::State::open_existing(&self.dir.path().join(".froyo/state.db")).unwrap()
    }
}

/// Sends SIGTERM to the watch and waits for it to exit: its exit code and how long it took.
fn terminate(watch: &mut Running) -> (Option<i32>, Duration) {
    let started = Instant::now();
    let status = Command::new("kill").arg("-TERM").arg(watch.0.id().to_string()).status().unwrap();
    assert!(status.success());
    loop {
        if let Some(status) = watch.0.try_wait().unwrap() {
            return (status.code(), started.elapsed());
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the watch did not stop on SIGTERM");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Two test hosts with the site applied to them; none (the test is
/// skipped) when this machine cannot run test hosts.
fn applied_site() -> Option<(TestHosts, Site)> {
    let hosts = match TestHosts::try_up(2) {
        Ok(hosts) => hosts,
        Err(unavailable) => {
            eprintln!("skipped: {unavailable}");
            return None;
        }
    };
    let site = Site::new(&hosts);
    let applied = site.command(&["apply", "--yes"]).output().unwrap();
    assert_eq!(applied.status.code(), Some(0), "{}", String::from_utf8_lossy(&applied.stderr));
    Some((hosts, site))
}

#[test]
fn prometheus_sees_drift_on_a_test_host_hosts_that_come_and_go_and_remediation() {
    let Some((mut hosts, site)) = applied_site() else { return };

    let metrics_port = free_port();
    let Some(prometheus) = Prometheus::start(site.dir.path(), metrics_port) else {
        eprintln!("skipped: prometheus is not installed");
        return;
    };
    let log = site.dir.path().join("watch.log");
    let mut watch = site.watch(metrics_port, &["--log-level", "debug"], &log);
    let drifted = r#"froyo_drifted_instances{host="host1",resource_type="linux.file"}"#;
    prometheus.wait_for(drifted, "0", &log);
    prometheus.wait_for(r#"froyo_host_up{host="host2"}"#, "1", &log);

    // A file edited on host1 behind froyo's back.
    fs::write(site.file("host1"), "edited by hand\n").unwrap();
    prometheus.wait_for(drifted, "1", &log);
    prometheus.wait_for(r#"froyo_runs_total{kind="drift",outcome="drifted"} > bool 0"#, "1", &log);

    // host2 goes away: reported unreachable, and the watch goes on.
    hosts.stop_sshd(2);
    prometheus.wait_for(r#"froyo_host_up{host="host2"}"#, "0", &log);
    prometheus.wait_for(r#"froyo_hosts_unreachable{kind="drift"}"#, "1", &log);
    // ... and comes back.
    hosts.start_sshd(2);
    prometheus.wait_for(r#"froyo_host_up{host="host2"}"#, "1", &log);
    prometheus.wait_for(r#"froyo_hosts_unreachable{kind="drift"}"#, "0", &log);
    prometheus.wait_for(drifted, "1", &log);

    // SIGTERM: a clean stop, well within the grace period, lock released.
    let (code, took) = terminate(&mut watch);
    assert_eq!(code, Some(0), "{}", fs::read_to_string(&log).unwrap());
    assert!(took < Duration::from_secs(12), "stopping took {took:?}");
    assert!(site.state().lock_info().unwrap().is_none(), "the lock was released");
    let logged = fs::read_to_string(&log).unwrap();
    let events: Vec<Value> = logged
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}")))
        .collect();
    let drift_event = events
        .iter()
        .find(|event| event["fields"]["message"] == "drift detected")
        .unwrap_or_else(|| panic!("{logged}"));
    assert_eq!(drift_event["fields"]["host"], "host1");
    assert_eq!(drift_event["fields"]["address"], "linux.file.motd-host1");
    // host2 went away between checks (not reached) or during one (its
    // instances could not be probed): either way, the log names it.
    assert!(
        events.iter().any(|event| {
            let message = &event["fields"]["message"];
            (message == "host not reached" || message == "instance could not be probed for drift")
                && event["fields"]["host"] == "host2"
        }),
        "{logged}"
    );
    assert!(events.iter().any(|event| event["fields"]["message"] == "stopped watching"));
    // Every check's engine runs on the watch's runtimes, and leaves nothing
    // running there when it ends: not when a host was unreachable either.
    let checks: Vec<&Value> =
        events.iter().filter(|event| event["fields"]["message"] == "check done").collect();
    assert!(checks.len() >= 5, "{logged}");
    for check in checks {
        assert_eq!(check["fields"]["alive_tasks"], 0, "a check left tasks running: {check}");
    }
    assert_eq!(fs::read_to_string(site.file("host1")).unwrap(), "edited by hand\n");

    // --remediate: the file is put back, and the metric goes back to 0.
    let log = site.dir.path().join("remediate.log");
    let mut watch = site.watch(metrics_port, &["--remediate"], &log);
    prometheus.wait_for(drifted, "0", &log);
    assert_eq!(fs::read_to_string(site.file("host1")).unwrap(), "managed\n");
    prometheus.wait_for(r#"froyo_instances_total{action="update",outcome="applied"}"#, "1", &log);
    let (code, _) = terminate(&mut watch);
    assert_eq!(code, Some(0));

    // Every check is a drift run in state; the remediation an apply run.
    let runs = site.state().runs(1000).unwrap();
    let drift_runs = runs.iter().filter(|run| run.kind == froyo_state::RunKind::Drift).count();
    let apply_runs = runs.iter().filter(|run| run.kind == froyo_state::RunKind::Apply).count();
    assert!(drift_runs >= 5, "{runs:#?}");
    assert_eq!(apply_runs, 2, "the first apply and one remediation: {runs:#?}");
}

/// Pauses a process with SIGSTOP; it is continued (SIGCONT) when dropped,
/// however the test ends.
struct Paused(u32);

impl Paused {
    fn new(pid: u32) -> Paused {
        let status = Command::new("kill").arg("-STOP").arg(pid.to_string()).status().unwrap();
        assert!(status.success(), "cannot pause {pid}");
        Paused(pid)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg("-CONT").arg(self.0.to_string()).status();
    }
}

#[test]
fn sigterm_during_a_check_stalled_on_a_paused_sshd_abandons_it_within_the_grace_and_releases_the_lock()
 {
    let Some((hosts, site)) = applied_site() else { return };

    // host2's sshd is paused: the kernel still accepts the connection, and
    // the SSH handshake waits for a banner that does not come, for up to
    // ConnectTimeout, here far beyond the watch's 10 s grace.
    fs::write(site.dir.path().join("home/.ssh/config"), "Host *\n  ConnectTimeout 300\n").unwrap();
    let sshd_pid = fs::read_to_string(hosts.dir().join("host2/sshd.pid")).unwrap();
    let paused = Paused::new(sshd_pid.trim().parse().unwrap());

    let log = site.dir.path().join("watch.log");
    // Spans are exported, to see the abandoned check's trace arrive.
    let receiver = otlp::Receiver::start();
    let child = site
        .command(&["drift", "--watch", "--interval", "1s", "--log-format", "json"])
        .env("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint())
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut watch = Running(child);
    // The first check has taken the lock and is stuck on host2.
    wait_until(Duration::from_secs(60), "the check to take the lock", || {
        site.state().lock_info().unwrap().is_some()
    });
    std::thread::sleep(Duration::from_secs(2));
    assert!(site.state().lock_info().unwrap().is_some(), "the check is still going");
    let (code, took) = terminate(&mut watch);
    let logged = fs::read_to_string(&log).unwrap();
    assert_eq!(code, Some(0), "{logged}");
    // Abandoned after the grace (10 s), not finished: the handshake had 300 s.
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(15),
        "stopping took {took:?}: {logged}"
    );
    assert!(logged.contains("abandoning it"), "{logged}");
    assert!(!logged.contains("\"drift checked\""), "the check did not finish: {logged}");

    // The abandoned check was sent as one trace, its open spans ended as
    // interrupted.
    let spans = receiver.take();
    let root = spans
        .iter()
        .find(|span| span.name == "drift_check")
        .unwrap_or_else(|| panic!("{spans:#?}"));
    assert!(root.parent.is_empty());
    assert_eq!(root.attributes.get("outcome").map(String::as_str), Some("interrupted"));
    // (The watch's compile, at start, is a trace of its own.)
    let check: Vec<&otlp::Span> = spans.iter().filter(|span| span.trace == root.trace).collect();
    let ids: Vec<&Vec<u8>> = check.iter().map(|span| &span.id).collect();
    assert!(
        check.iter().all(|span| span.parent.is_empty() || ids.contains(&&span.parent)),
        "every parent was sent: {check:#?}"
    );
    assert_eq!(check.iter().filter(|span| span.parent.is_empty()).count(), 1);
    for name in ["drift", "connect_host"] {
        assert!(
            check.iter().any(|span| span.name == name
                && span.attributes.get("outcome").map(String::as_str) == Some("interrupted")),
            "an interrupted `{name}`: {check:#?}"
        );
    }

    // The lock is free: another process can take it at once, while host2
    // is still paused.
    assert!(site.state().lock_info().unwrap().is_none(), "the lock was released");
    let guard = site.state().lock("test").expect("the lock can be taken");
    drop(guard);

    // With host2 back, the next command runs, and the abandoned check's run
    // is marked interrupted.
    drop(paused);
    let drift = site.command(&["drift"]).output().unwrap();
    assert_eq!(drift.status.code(), Some(0), "{}", String::from_utf8_lossy(&drift.stderr));
    let runs = site.state().runs(100).unwrap();
    let abandoned: Vec<_> = runs
        .iter()
        .filter(|run| run.kind == froyo_state::RunKind::Drift)
        .map(|run| run.status)
        .collect();
    assert!(abandoned.contains(&froyo_state::RunStatus::Interrupted), "{runs:#?}");
    assert!(runs.iter().all(|run| run.status != froyo_state::RunStatus::Running), "{runs:#?}");
}
