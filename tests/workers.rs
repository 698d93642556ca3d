//! `froyo apply --workers` and `froyo worker`, end to end: a PostgreSQL
//! state the harness starts (`tests/support/postgres.rs`), test hosts in
//! network namespaces (`scripts/testhosts`), and `froyo worker` processes
//! leasing the hosts of a run: three workers against sixteen hosts with one
//! of them killed in the middle of its unit, cross-host `require` ordering
//! the units, a failure on one host skipping what waits on it elsewhere,
//! and the refusals when the state is not in PostgreSQL.
//!
//! Without root, network namespaces or Debian's PostgreSQL the tests say
//! why and pass, unless `FROYO_REQUIRE_SSH=1` / `FROYO_REQUIRE_POSTGRES=1`
//! (set by `scripts/test`) make that a failure.

#[path = "support/postgres.rs"]
mod postgres_cluster;
#[path = "support/testhosts.rs"]
mod testhosts;

use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use postgres_cluster::Cluster;
use serde_json::Value;
use testhosts::TestHosts;

/// A workspace whose hosts are the test hosts, with its state in PostgreSQL.
struct Site {
    dir: tempfile::TempDir,
    home: PathBuf,
    url: String,
}

impl Site {
    fn new(hosts: &TestHosts, url: String, resources: impl Fn(&Path) -> String) -> Site {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("home");
        fs::create_dir_all(home.join(".ssh")).unwrap();
        fs::create_dir_all(dir.path().join("cue.mod")).unwrap();
        fs::create_dir_all(dir.path().join("root")).unwrap();
        fs::write(dir.path().join("cue.mod/module.cue"), "module: \"example.com/workers\"\n")
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
        let key = dir.path().join("team.key");
        write_private(&key, &format!("{}\n", "5e".repeat(32)));
        let site = Site { dir, home, url };
        let body = resources(&site.root());
        fs::write(
            site.dir.path().join("site.cue"),
            format!("package site\n\nimport \"froyo.dev/linux\"\n\nresources: {{\n{body}}}\n"),
        )
        .unwrap();
        site
    }

    fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("HOME", &self.home)
            .env("NO_COLOR", "1")
            .env("FROYO_STATE", &self.url)
            .env("FROYO_STATE_KEY_FILE", self.dir.path().join("team.key"))
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("PGPASSWORD")
            .stdin(Stdio::null());
        command
    }

    fn froyo(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// A `froyo worker` named `name`, its standard error read line by line
    /// into `lines` (tagged with the name).
    fn worker(&self, name: &str, lines: &mpsc::Sender<(String, String)>) -> Child {
        let mut child = self
            .command(&["worker", "--name", name, "--lease", "2s"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (lines, name) = (lines.clone(), name.to_string());
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if lines.send((name.clone(), line)).is_err() {
                    break;
                }
            }
        });
        child
    }
}

/// Workers, killed when the test ends however it ends.
struct Workers(BTreeMap<String, Child>);

impl Drop for Workers {
    fn drop(&mut self) {
        for child in self.0.values_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn write_private(path: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file =
        fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

/// Runs `command` to its end, or kills it after `limit` and fails the test
/// with what it and the workers (`lines`) said.
fn finish(
    mut command: Command,
    limit: Duration,
    lines: &mpsc::Receiver<(String, String)>,
) -> Output {
    let child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    wait_for(child, limit, lines)
}

fn wait_for(mut child: Child, limit: Duration, lines: &mpsc::Receiver<(String, String)>) -> Output {
    use std::io::Read as _;
    // Read as it comes: a report larger than a pipe would block the child.
    let drain = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut bytes);
            }
            bytes
        })
    };
    let stdout =
        drain(child.stdout.take().map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>));
    let stderr_pipe =
        drain(child.stderr.take().map(|pipe| Box::new(pipe) as Box<dyn std::io::Read + Send>));
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            let said = String::from_utf8_lossy(&stderr_pipe.join().unwrap()).into_owned();
            let workers: Vec<(String, String)> = lines.try_iter().collect();
            panic!(
                "froyo did not finish in {limit:?}; it said:\n{said}\nworkers said:\n{workers:#?}"
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr_pipe.join().unwrap() }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The hosts and the database, or `None` (the test returns) when this
/// machine cannot run them and nothing requires it to.
fn hosts_and_cluster(count: usize) -> Option<(TestHosts, Cluster)> {
    let cluster = Cluster::start_or_skip()?;
    match TestHosts::try_up(count) {
        Ok(hosts) => Some((hosts, cluster)),
        Err(unavailable) => {
            eprintln!("skipped: {unavailable}");
            None
        }
    }
}

/// Per host: a directory, files in it, and a slow command that needs the
/// gate host1 opens first (cross-host `require`) and records that it saw it.
fn fleet(hosts: &TestHosts, files: usize) -> impl Fn(&Path) -> String + '_ {
    move |root| {
        let root = root.display();
        let mut text = format!(
            "\tgate: linux.#File & {{on: name: \"host1\", path: \"{root}/gate\", content: \"open\\n\"}}\n"
        );
        for host in hosts.hosts() {
            let name = &host.name;
            text.push_str(&format!(
                "\t\"dir-{name}\": linux.#Directory & {{on: name: \"{name}\", path: \"{root}/{name}\"}}\n"
            ));
            let mut files_of_host = Vec::new();
            for file in 0..files {
                text.push_str(&format!(
                    "\t\"f{file}-{name}\": linux.#File & {{on: name: \"{name}\", path: \"{root}/{name}/f{file}\", content: \"{file} on {name}\\n\", require: [\"dir-{name}\"]}}\n"
                ));
                files_of_host.push(format!("\"f{file}-{name}\""));
            }
            text.push_str(&format!(
                "\t\"slow-{name}\": linux.#Exec & {{on: name: \"{name}\", command: \"cat {root}/gate > {root}/{name}/gate-seen && sleep 2 && echo done > {root}/{name}/marker\", creates: \"{root}/{name}/marker\", require: [\"gate\", {}]}}\n",
                files_of_host.join(", ")
            ));
        }
        text
    }
}

#[test]
fn three_workers_apply_sixteen_hosts_and_a_killed_one_loses_nothing() {
    let Some((hosts, cluster)) = hosts_and_cluster(16) else { return };
    let database = cluster.database();
    let site = Site::new(&hosts, cluster.url(&database, "fleet"), fleet(&hosts, 3));
    let (lines_in, lines) = mpsc::channel();
    let mut workers = Workers(BTreeMap::new());
    for name in ["w1", "w2", "w3"] {
        workers.0.insert(name.to_string(), site.worker(name, &lines_in));
    }
    let coordinator = site
        .command(&["apply", "--workers", "--yes", "--format", "json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    // w1 dies in the middle of a unit: after one of its instances applied,
    // before the unit's slow command is through.
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut current: Option<String> = None;
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed_host = loop {
        let remaining = deadline.saturating_duration_since(Instant::now());
        let (name, line) = lines
            .recv_timeout(remaining)
            .unwrap_or_else(|_| panic!("w1 never applied anything; workers said:\n{seen:#?}"));
        seen.push((name.clone(), line.clone()));
        if name != "w1" {
            continue;
        }
        // Log lines: `… INFO leased run=1 unit=4 attempt=1 hosts=host13`,
        // `… INFO …: instance applied host=host13 address=linux.file.f0-host13 …`.
        let field = |name: &str| {
            line.split(&format!(" {name}=")).nth(1)?.split(' ').next().map(str::to_string)
        };
        if line.contains(" leased ") {
            current = field("hosts");
        } else if let Some(host) = current.as_deref().filter(|host| *host != "host1")
            && line.contains("instance applied ")
            && field("host").as_deref() == Some(host)
            && field("address").is_some_and(|address| address.starts_with("linux.file.f"))
        {
            break host.to_string();
        }
    };
    let mut w1 = workers.0.remove("w1").unwrap();
    w1.kill().unwrap();
    w1.wait().unwrap();

    let output = wait_for(coordinator, Duration::from_secs(180), &lines);
    let coordinator_said = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{coordinator_said}");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let instances = report["report"]["instances"].as_array().unwrap();
    assert_eq!(instances.len(), 1 + 16 * 5, "{report:#}");
    let mut statuses: BTreeMap<&str, usize> = BTreeMap::new();
    for instance in instances {
        *statuses.entry(instance["status"].as_str().unwrap()).or_default() += 1;
        assert!(
            ["applied", "already_applied"].contains(&instance["status"].as_str().unwrap()),
            "{instance}"
        );
    }
    assert!(statuses.get("already_applied").is_some_and(|&count| count >= 1), "{statuses:?}");
    for instance in instances.iter().filter(|i| i["status"] == "already_applied") {
        assert_eq!(instance["key"]["host"], killed_host.as_str(), "{instance}");
    }
    assert!(
        coordinator_said.contains(&format!("{killed_host}: leased again by w")),
        "{coordinator_said}"
    );

    // Every host got everything, the gate first.
    for host in hosts.hosts() {
        let directory = site.root().join(&host.name);
        for file in 0..3 {
            assert_eq!(
                fs::read_to_string(directory.join(format!("f{file}"))).unwrap(),
                format!("{file} on {}\n", host.name)
            );
        }
        assert_eq!(fs::read_to_string(directory.join("gate-seen")).unwrap(), "open\n");
        assert_eq!(fs::read_to_string(directory.join("marker")).unwrap(), "done\n");
    }

    // The state is exact: every instance recorded as the hosts are.
    let drift = site.froyo(&["drift", "--format", "json"]);
    assert_eq!(drift.status.code(), Some(0), "{}", stderr(&drift));
    let drift: Value = serde_json::from_slice(&drift.stdout).unwrap();
    assert_eq!(drift["checked"], 1 + 16 * 5, "{drift:#}");
    assert_eq!(drift["unrecorded"], serde_json::json!([]), "{drift:#}");
    assert_eq!(drift["drifted"], serde_json::json!([]), "{drift:#}");
    let runs = site.froyo(&["runs", "list", "--format", "json"]);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs[1]["kind"], "apply");
    assert_eq!(runs[1]["status"], "succeeded", "{runs:#}");
    assert_eq!(runs[1]["summary"]["failed"], 0, "{runs:#}");

    // And the next apply, with workers, has nothing to do and publishes nothing.
    let again = site.froyo(&["apply", "--workers", "--yes", "--format", "json"]);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    let again: Value = serde_json::from_slice(&again.stdout).unwrap();
    assert_eq!(again["report"]["operations"], 0, "{again:#}");
    let published = cluster.sql(
        &database,
        &format!("SELECT count(*) FROM froyo.work WHERE run = {}", again["report"]["run"]),
    );
    assert_eq!(published, "0");
}

#[test]
fn what_waits_on_a_failure_on_another_host_is_skipped_by_its_worker() {
    let Some((hosts, cluster)) = hosts_and_cluster(3) else { return };
    let database = cluster.database();
    let site = Site::new(&hosts, cluster.url(&database, "failing"), |root| {
        let root = root.display();
        format!(
            "\tgate: linux.#Exec & {{on: name: \"host1\", command: \"exit 3\", creates: \"{root}/never\"}}\n\
             \tafter: linux.#File & {{on: name: \"host2\", path: \"{root}/after\", content: \"x\\n\", require: [\"gate\"]}}\n\
             \tfree: linux.#File & {{on: name: \"host3\", path: \"{root}/free\", content: \"x\\n\"}}\n"
        )
    });
    let (lines_in, lines) = mpsc::channel();
    let _workers = Workers(BTreeMap::from([("w1".to_string(), site.worker("w1", &lines_in))]));
    let output = finish(
        site.command(&["apply", "--workers", "--yes", "--format", "json"]),
        Duration::from_secs(60),
        &lines,
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let status = |host: &str| {
        report["report"]["instances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|instance| instance["key"]["host"] == host)
            .unwrap()
            .clone()
    };
    assert_eq!(status("host1")["status"], "failed", "{report:#}");
    assert_eq!(status("host2")["status"], "skipped", "{report:#}");
    assert_eq!(status("host2")["because"], "linux.exec.gate on host1 did not apply");
    assert_eq!(status("host3")["status"], "applied", "{report:#}");
    assert!(!site.root().join("after").exists());
    assert!(site.root().join("free").exists());
}

#[test]
fn a_worker_whose_connections_are_cut_connects_again() {
    let Some((hosts, cluster)) = hosts_and_cluster(1) else { return };
    let database = cluster.database();
    let site = Site::new(&hosts, cluster.url(&database, "cut"), |root| {
        format!("\tfile: linux.#File & {{path: \"{}/file\", content: \"x\\n\"}}\n", root.display())
    });
    // The workspace first, then the worker, then every connection to the
    // database cut (as a server restart or an administrator would).
    let created = site.froyo(&["apply", "--yes", "--format", "json"]);
    assert_eq!(created.status.code(), Some(0), "{}", stderr(&created));
    fs::remove_file(site.root().join("file")).unwrap();
    let (lines_in, lines) = mpsc::channel();
    let _workers = Workers(BTreeMap::from([("w1".to_string(), site.worker("w1", &lines_in))]));
    let deadline = Instant::now() + Duration::from_secs(60);
    while !lines
        .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        .expect("the worker never said it was waiting for work")
        .1
        .contains("waiting for work")
    {}
    let cut = cluster.sql(
        &database,
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    );
    assert_ne!(cut, "0", "the worker's connections were cut");
    let output = finish(
        site.command(&["apply", "--workers", "--yes", "--format", "json"]),
        Duration::from_secs(90),
        &lines,
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(site.root().join("file").exists());
    let said: Vec<String> = lines.try_iter().map(|(_, line)| line).collect();
    assert!(said.iter().any(|line| line.contains("connecting again")), "{said:#?}");
}

#[test]
fn a_saved_plan_applied_by_workers_refuses_what_went_stale() {
    let Some((hosts, cluster)) = hosts_and_cluster(2) else { return };
    let database = cluster.database();
    let site = Site::new(&hosts, cluster.url(&database, "saved"), |root| {
        let root = root.display();
        format!(
            "\tone: linux.#File & {{on: name: \"host1\", path: \"{root}/one\", content: \"1\\n\"}}\n\
             \ttwo: linux.#File & {{on: name: \"host2\", path: \"{root}/two\", content: \"2\\n\"}}\n"
        )
    });
    let plan = site.dir.path().join("plan.json");
    let planned = site.froyo(&["plan", "-o", plan.to_str().unwrap()]);
    assert_eq!(planned.status.code(), Some(0), "{}", stderr(&planned));
    // host2 changes behind the plan's back.
    fs::write(site.root().join("two"), "changed\n").unwrap();
    let (lines_in, lines) = mpsc::channel();
    let _workers = Workers(BTreeMap::from([("w1".to_string(), site.worker("w1", &lines_in))]));
    let output = finish(
        site.command(&["apply", plan.to_str().unwrap(), "--workers", "--format", "json"]),
        Duration::from_secs(60),
        &lines,
    );
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let report: Value = serde_json::from_slice(&output.stdout).unwrap();
    let statuses: BTreeMap<String, String> = report["report"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| (i["key"]["host"].as_str().unwrap().into(), i["status"].as_str().unwrap().into()))
        .collect();
    assert_eq!(statuses["host1"], "applied", "{report:#}");
    assert_eq!(statuses["host2"], "stale", "{report:#}");
    assert_eq!(fs::read_to_string(site.root().join("one")).unwrap(), "1\n");
    assert_eq!(fs::read_to_string(site.root().join("two")).unwrap(), "changed\n");
}

#[test]
fn a_worker_stops_when_idle_or_told() {
    let Some(cluster) = Cluster::start_or_skip() else { return };
    let database = cluster.database();
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("cue.mod")).unwrap();
    fs::write(dir.path().join("cue.mod/module.cue"), "module: \"example.com/local\"\n").unwrap();
    fs::write(
        dir.path().join("site.cue"),
        format!(
            "package site\n\nimport \"froyo.dev/linux\"\n\nresources: motd: linux.#File & {{path: \"{}\", content: \"hi\\n\"}}\n",
            dir.path().join("motd").display()
        ),
    )
    .unwrap();
    let key = dir.path().join("team.key");
    write_private(&key, &format!("{}\n", "7a".repeat(32)));
    let url = cluster.url(&database, "idle");
    let froyo = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
        command
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env("FROYO_STATE", &url)
            .env("FROYO_STATE_KEY_FILE", &key)
            .stdin(Stdio::null());
        command
    };
    let applied = froyo(&["apply", "--yes"]).output().unwrap();
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    let (_, nothing) = mpsc::channel();

    let idle =
        finish(froyo(&["worker", "--exit-when-idle", "1s"]), Duration::from_secs(30), &nothing);
    assert_eq!(idle.status.code(), Some(0), "{}", stderr(&idle));
    assert!(stderr(&idle).contains("no work came; stopping"), "{}", stderr(&idle));

    let mut worker = froyo(&["worker"]).stderr(Stdio::piped()).spawn().unwrap();
    let mut said = BufReader::new(worker.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("waiting for work") {
        line.clear();
        assert_ne!(said.read_line(&mut line).unwrap(), 0, "the worker ended before waiting");
    }
    let stopped_at = Instant::now();
    let killed = Command::new("kill").arg("-TERM").arg(worker.id().to_string()).status().unwrap();
    assert!(killed.success());
    let (_, none) = mpsc::channel();
    let output = wait_for(worker, Duration::from_secs(10), &none);
    assert_eq!(output.status.code(), Some(0));
    assert!(stopped_at.elapsed() < Duration::from_secs(5), "{:?}", stopped_at.elapsed());
}

#[test]
fn workers_need_a_postgres_state() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("cue.mod")).unwrap();
    fs::write(dir.path().join("cue.mod/module.cue"), "module: \"example.com/local\"\n").unwrap();
    let target = dir.path().join("motd");
    fs::write(
        dir.path().join("site.cue"),
        format!(
            "package site\n\nimport \"froyo.dev/linux\"\n\nresources: motd: linux.#File & {{path: \"{}\", content: \"hi\\n\"}}\n",
            target.display()
        ),
    )
    .unwrap();
    let froyo = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_froyo"))
            .args(args)
            .current_dir(dir.path())
            .env("NO_COLOR", "1")
            .env_remove("FROYO_STATE")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let apply = froyo(&["apply", "--workers", "--yes"]);
    assert_eq!(apply.status.code(), Some(2), "{}", stderr(&apply));
    assert!(stderr(&apply).contains("E1240"), "{}", stderr(&apply));
    assert!(!target.exists(), "nothing was applied");
    let worker = froyo(&["worker"]);
    assert_eq!(worker.status.code(), Some(2), "{}", stderr(&worker));
    assert!(stderr(&worker).contains("E1240"), "{}", stderr(&worker));
    assert!(stderr(&worker).contains("--state postgres://"), "{}", stderr(&worker));
}
