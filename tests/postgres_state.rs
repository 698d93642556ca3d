//! `froyo` with its state in PostgreSQL (`--state postgres://…?workspace=ID`
//! or `FROYO_STATE`), end to end against a real server the harness starts
//! (`tests/support/postgres.rs`): every command that touches state, two
//! controllers at once, a killed holder taken over, workspaces sharing one
//! database, passwords from the environment or `~/.pgpass` only, and the
//! team key.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "support/postgres.rs"]
mod postgres_cluster;

#[path = "support/site.rs"]
mod site;

use postgres_cluster::Cluster;
use site::Site;

const FILES: &str = r#"package site

import "froyo.dev/linux"

resources: {
	motd: linux.#File & {path: "@ROOT@/motd", content: "hello\n"}
	conf: linux.#File & {path: "@ROOT@/app.conf", content: "port = 8080\n", mode: "0600"}
	secret: linux.#Exec & {
		command: "printf '%s' \"$TOKEN\" > @ROOT@/token"
		creates: "@ROOT@/token"
		env: TOKEN: "tok-Very-Secret-77"
	}
}
"#;

const SLOW: &str = r#"package site

import "froyo.dev/linux"

resources: {
	slow: linux.#Exec & {
		command: "touch @ROOT@/started; sleep 30"
		creates: "@ROOT@/done"
	}
	file: linux.#File & {path: "@ROOT@/file", content: "x\n"}
}
"#;

/// A workspace and the team key file its controllers share.
struct Controller {
    site: Site,
    key: tempfile::TempDir,
}

impl Controller {
    fn new(source: &str) -> Controller {
        let key = tempfile::tempdir().unwrap();
        write_private(&key.path().join("team.key"), &format!("{}\n", "3c".repeat(32)));
        Controller { site: Site::new(source), key }
    }

    fn key_file(&self) -> std::path::PathBuf {
        self.key.path().join("team.key")
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_froyo"));
        command
            .args(args)
            .current_dir(self.site.dir.path())
            .env("NO_COLOR", "1")
            .env("FROYO_STATE_KEY_FILE", self.key_file())
            .env_remove("FROYO_STATE")
            .env_remove("PGPASSWORD")
            .stdin(Stdio::null());
        command
    }

    fn froyo(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    /// `apply --yes --format json --state URL`: the exit code and the report.
    fn apply(&self, url: &str) -> (i32, Value) {
        let output = self.froyo(&["apply", "--yes", "--format", "json", "--state", url]);
        let code = output.status.code().unwrap_or(-1);
        let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
            panic!(
                "apply printed no JSON ({error}); exit {code}\nstderr: {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (code, report)
    }
}

fn write_private(path: &Path, text: &str) {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .unwrap();
    file.write_all(text.as_bytes()).unwrap();
}

fn operations(report: &Value) -> u64 {
    report["report"]["operations"].as_u64().unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !path.exists() {
        assert!(Instant::now() < deadline, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Everything the `froyo` schema holds, as text: what a database dump would show.
fn everything_stored(cluster: &Cluster, database: &str) -> String {
    ["workspaces", "runs", "events", "instances", "plans", "audit", "locks"]
        .iter()
        .map(|table| {
            cluster.sql(
                database,
                &format!("SELECT coalesce(string_agg(t::text, E'\\n'), '') FROM froyo.{table} t"),
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_command_that_touches_state_works_on_postgres() {
    let Some(cluster) = Cluster::start_or_skip() else { return };
    let database = cluster.database();
    let url = cluster.url(&database, "site");
    let controller = Controller::new(FILES);

    let (code, report) = controller.apply(&url);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(operations(&report), 3, "{report:#}");
    assert_eq!(fs::read_to_string(controller.site.path("motd")).unwrap(), "hello\n");
    let (code, again) = controller.apply(&url);
    assert_eq!((code, operations(&again)), (0, 0), "{again:#}");
    assert!(
        !controller.site.dir.path().join(".froyo/state.db").exists(),
        "nothing was written to the workspace's SQLite file"
    );

    // FROYO_STATE names the state as --state does.
    let list = controller.command(&["state", "list"]).env("FROYO_STATE", &url).output().unwrap();
    assert!(list.status.success(), "{}", stderr(&list));
    let listed = stdout(&list);
    for resource in ["motd", "conf", "secret"] {
        assert!(listed.contains(resource), "{listed}");
    }
    let show = controller.froyo(&["state", "show", "linux.file.conf", "--state", &url]);
    assert!(stdout(&show).contains("0600"), "{}{}", stdout(&show), stderr(&show));

    let runs = controller.froyo(&["runs", "list", "--format", "json", "--state", &url]);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
    let statuses: Vec<(&str, &str)> = runs
        .as_array()
        .unwrap()
        .iter()
        .map(|run| (run["kind"].as_str().unwrap(), run["status"].as_str().unwrap()))
        .collect();
    assert_eq!(statuses, [("apply", "succeeded"), ("apply", "succeeded")]);
    let first = runs[1]["id"].to_string();
    let shown = controller.froyo(&["runs", "show", &first, "--state", &url]);
    assert!(shown.status.success(), "{}", stderr(&shown));

    // Drift: none, then an edit on the host.
    let drift = controller.froyo(&["drift", "--state", &url]);
    assert_eq!(drift.status.code(), Some(0), "{}", stderr(&drift));
    fs::write(controller.site.path("motd"), "edited\n").unwrap();
    let drift = controller.froyo(&["drift", "--state", &url]);
    assert_eq!(drift.status.code(), Some(3), "{}{}", stdout(&drift), stderr(&drift));
    assert!(stdout(&drift).contains("motd"), "{}", stdout(&drift));

    // A saved plan is authenticated with the team key and applied.
    let plan = controller.site.dir.path().join("fix.froyo");
    let planned = controller.froyo(&["plan", "-o", plan.to_str().unwrap(), "--state", &url]);
    assert!(planned.status.success(), "{}", stderr(&planned));
    let applied = controller.froyo(&["apply", plan.to_str().unwrap(), "--yes", "--state", &url]);
    assert!(applied.status.success(), "{}", stderr(&applied));
    assert_eq!(fs::read_to_string(controller.site.path("motd")).unwrap(), "hello\n");

    // The lock, and the audit log of breaking it.
    let lock = controller.froyo(&["state", "lock", "--state", &url]);
    assert!(lock.status.success(), "{}", stderr(&lock));
    let unlock = controller.froyo(&["state", "unlock", "--state", &url]);
    assert!(unlock.status.success(), "{}", stderr(&unlock));
    let audit = controller.froyo(&["state", "audit", "--state", &url]);
    assert!(audit.status.success(), "{}", stderr(&audit));

    // The sensitive value is stored only as its keyed hash, and the key not at all.
    let stored = everything_stored(&cluster, &database);
    assert!(stored.contains("linux.exec"), "the dump covers the instances");
    assert!(!stored.contains("tok-Very-Secret-77"), "the secret is stored in clear");
    assert!(!stored.contains(&"3c".repeat(32)), "the key is stored");
}

#[test]
fn a_second_controller_is_refused_with_the_holder_shown_and_a_killed_one_taken_over() {
    let Some(cluster) = Cluster::start_or_skip() else { return };
    let database = cluster.database();
    let url = cluster.url(&database, "shared");
    let first = Controller::new(SLOW);
    // A second checkout of the same workspace, on "another laptop".
    let second = Controller::new(SLOW);
    fs::copy(first.key_file(), second.key_file()).unwrap();
    second.site.write(&SLOW.replace("@ROOT@", &first.site.root().to_string_lossy()));

    let mut holder = first
        .command(&["apply", "--yes", "--state", &url])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for(&first.site.path("started"));
    let refused = second.froyo(&["apply", "--yes", "--state", &url]);
    assert_eq!(refused.status.code(), Some(4), "{}", stderr(&refused));
    let message = stderr(&refused);
    assert!(message.contains("the state is locked: `apply`"), "{message}");
    assert!(message.contains(&format!("pid {}", holder.id())), "{message}");
    let lock = second.froyo(&["state", "lock", "--state", &url]);
    assert!(stdout(&lock).contains("locked for `apply`"), "{}", stdout(&lock));

    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();
    second.site.write(
        &SLOW
            .replace("sleep 30", "touch @ROOT@/done")
            .replace("@ROOT@", &first.site.root().to_string_lossy()),
    );
    let (code, report) = second.apply(&url);
    assert_eq!(code, 0, "{report:#}");
    assert!(first.site.path("done").exists());
    let runs = second.froyo(&["runs", "list", "--format", "json", "--state", &url]);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
    let statuses: Vec<&str> =
        runs.as_array().unwrap().iter().map(|run| run["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["succeeded", "interrupted"]);
    let audit = second.froyo(&["state", "audit", "--format", "json", "--state", &url]);
    let audit: Value = serde_json::from_slice(&audit.stdout).unwrap();
    assert!(
        audit.as_array().unwrap().iter().any(|entry| entry["action"] == "lock.takeover"),
        "{audit:#}"
    );
}

#[test]
fn workspaces_share_a_database_and_apply_at_once_without_meeting() {
    let Some(cluster) = Cluster::start_or_skip() else { return };
    let database = cluster.database();
    let web = Controller::new(FILES);
    let db = Controller::new(FILES.replace("motd", "banner").as_str());
    let (web_url, db_url) = (cluster.url(&database, "web"), cluster.url(&database, "db"));
    let started: Vec<_> = [(&web, &web_url), (&db, &db_url)]
        .into_iter()
        .map(|(controller, url)| {
            controller
                .command(&["apply", "--yes", "--state", url])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in started {
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
    }
    let list = |controller: &Controller, url: &str| {
        let output = controller.froyo(&["state", "list", "--format", "json", "--state", url]);
        let instances: Value = serde_json::from_slice(&output.stdout).unwrap();
        let mut names: Vec<String> = instances
            .as_array()
            .unwrap()
            .iter()
            .map(|instance| instance["key"]["resource"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    assert_eq!(list(&web, &web_url), ["conf", "motd", "secret"]);
    assert_eq!(list(&db, &db_url), ["banner", "conf", "secret"]);
    let runs = web.froyo(&["runs", "list", "--format", "json", "--state", &web_url]);
    let runs: Value = serde_json::from_slice(&runs.stdout).unwrap();
    assert_eq!(runs.as_array().unwrap().len(), 1, "{runs:#}");
    // A workspace nothing was applied to is not there to read.
    let missing = web.froyo(&["state", "list", "--state", &cluster.url(&database, "nope")]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(stderr(&missing).contains("E1236 cannot open the state"), "{}", stderr(&missing));
    assert!(stderr(&missing).contains("there is no state"), "{}", stderr(&missing));
}

#[test]
fn passwords_come_from_the_environment_or_pgpass_never_from_the_url() {
    let Some(cluster) = Cluster::start_or_skip() else { return };
    let password = "pw-Team-Secret-42";
    let role = format!("team_{}", std::process::id());
    cluster.sql("postgres", &format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"));
    let database = cluster.database();
    cluster.sql("postgres", &format!("ALTER DATABASE {database} OWNER TO {role}"));
    let url = cluster.tcp_url(&role, &database, "site");
    let controller = Controller::new(FILES);
    let home = tempfile::tempdir().unwrap();

    // No password anywhere: the server's refusal, said.
    let refused = controller
        .command(&["state", "list", "--state", &url])
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("password"), "{}", stderr(&refused));

    // PGPASSWORD.
    let applied = controller
        .command(&["apply", "--yes", "--state", &url])
        .env("HOME", home.path())
        .env("PGPASSWORD", password)
        .output()
        .unwrap();
    assert!(applied.status.success(), "{}", stderr(&applied));

    // ~/.pgpass, libpq's format, only when private.
    let line = format!("127.0.0.1:{}:{database}:{role}:{password}\n", cluster.port());
    write_private(&home.path().join(".pgpass"), &line);
    let listed = controller
        .command(&["state", "list", "--state", &url])
        .env("HOME", home.path())
        .output()
        .unwrap();
    assert!(listed.status.success(), "{}", stderr(&listed));
    assert!(stdout(&listed).contains("motd"));

    // In the URL: refused before anything connects, and never echoed.
    let with_password = url.replace(&format!("{role}@"), &format!("{role}:{password}@"));
    for args in [
        vec!["state", "list", "--state", with_password.as_str()],
        vec!["apply", "--yes", "--state", with_password.as_str()],
    ] {
        let output = controller.command(&args).env("HOME", home.path()).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let text = format!("{}{}", stdout(&output), stderr(&output));
        assert!(text.contains("E1231") && text.contains("PGPASSWORD or ~/.pgpass"), "{text}");
        assert!(!text.contains(password), "{text}");
    }
}

#[test]
fn the_team_key_must_be_configured_and_the_same_on_every_controller() {
    let Some(cluster) = Cluster::start_or_skip() else { return };
    let database = cluster.database();
    let url = cluster.url(&database, "site");
    let controller = Controller::new(FILES);

    let no_key = controller
        .command(&["apply", "--yes", "--state", &url])
        .env_remove("FROYO_STATE_KEY_FILE")
        .env_remove("FROYO_STATE_KEY")
        .output()
        .unwrap();
    assert_eq!(no_key.status.code(), Some(2));
    assert!(stderr(&no_key).contains("E1233"), "{}", stderr(&no_key));
    assert!(stderr(&no_key).contains("no team key is configured"), "{}", stderr(&no_key));
    assert!(!controller.site.path("motd").exists(), "nothing was applied");

    let (code, report) = controller.apply(&url);
    assert_eq!(code, 0, "{report:#}");
    // FROYO_STATE_KEY holds the same key as the file: accepted.
    let by_variable = controller
        .command(&["drift", "--state", &url])
        .env_remove("FROYO_STATE_KEY_FILE")
        .env("FROYO_STATE_KEY", "3c".repeat(32))
        .output()
        .unwrap();
    assert_eq!(by_variable.status.code(), Some(0), "{}", stderr(&by_variable));
    // Another key: refused, nothing changed.
    let wrong = controller
        .command(&["drift", "--state", &url])
        .env_remove("FROYO_STATE_KEY_FILE")
        .env("FROYO_STATE_KEY", "9d".repeat(32))
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(stderr(&wrong).contains("not the one this workspace's state was written with"));
}

#[test]
fn tls_is_verified_against_sslrootcert_and_used() {
    let Some(cluster) = Cluster::start_with_tls_or_skip() else { return };
    let ca = cluster.ca().expect("a TLS cluster has a CA").to_path_buf();
    let password = "pw-Tls-Secret-9";
    let role = format!("tls_{}", std::process::id());
    cluster.sql("postgres", &format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"));
    let database = cluster.database();
    cluster.sql("postgres", &format!("ALTER DATABASE {database} OWNER TO {role}"));
    // Over TCP the server accepts TLS connections only (`hostssl`).
    let base = cluster.tcp_url(&role, &database, "site").replace("&sslmode=disable", "");
    let controller = Controller::new(FILES);
    let run = |url: &str| {
        controller
            .command(&["apply", "--yes", "--state", url])
            .env("PGPASSWORD", password)
            .output()
            .unwrap()
    };

    let verified = format!("{base}&sslmode=verify-full&sslrootcert={}", ca.display());
    let applied = run(&verified);
    assert!(applied.status.success(), "{}", stderr(&applied));

    // Without the CA the self-signed chain is not trusted: refused, said.
    let untrusted = run(&format!("{base}&sslmode=require"));
    assert_eq!(untrusted.status.code(), Some(2));
    assert!(stderr(&untrusted).to_lowercase().contains("certificate"), "{}", stderr(&untrusted));
    assert!(stderr(&untrusted).contains("E1232"), "{}", stderr(&untrusted));
    // Without TLS the server refuses.
    let plain = run(&format!("{base}&sslmode=disable"));
    assert_eq!(plain.status.code(), Some(2));
    assert!(stderr(&plain).contains("no encryption"), "{}", stderr(&plain));
    // A root certificate file that is not one.
    let bogus = controller.site.dir.path().join("bogus.pem");
    fs::write(&bogus, "not a certificate\n").unwrap();
    let unreadable = run(&format!("{base}&sslmode=require&sslrootcert={}", bogus.display()));
    assert_eq!(unreadable.status.code(), Some(2));
    assert!(stderr(&unreadable).contains("sslrootcert"), "{}", stderr(&unreadable));
}
