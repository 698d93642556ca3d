//! Probe batches against the real runner: stat, commands, HTTP, and one
//! thousand items in one round trip.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::time::Instant;

use common::*;
use expect_test::expect;
use froyo_runner_client::protocol::{
    Command, HttpResponse, ItemOutcome, Probe, ProbeItem, ProbeResult, Stat,
};

#[test]
fn stat_of_a_file_a_directory_a_symlink_and_nothing() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("motd");
    std::fs::write(&file, "héllo\n").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
    let link = directory.path().join("link");
    std::os::unix::fs::symlink(&file, &link).unwrap();
    let mut session = session();
    let (uid, gid) = (id("-u"), id("-g"));
    let user = session.hello().facts.user.clone();

    let file_stat = stat(&mut session, &path(&file), Some(1024));
    assert_eq!((file_stat.uid, file_stat.gid, file_stat.owner.as_str()), (uid, gid, user.as_str()));
    let group =
        String::from_utf8(std::process::Command::new("id").arg("-gn").output().unwrap().stdout)
            .unwrap();
    assert_eq!(file_stat.group, group.trim());
    expect![[r#"
        exists=true kind=file mode=0640 size=7
        sha256=Some("sha256:b95becd154aa095f76c4ca47a5aeb8350d6dfcb838404edfc9dae06628de938d")
        content=Some("héllo\n")"#]]
    .assert_eq(&describe(&file_stat));

    // Content only within the limit; the hash always.
    let limited = stat(&mut session, &path(&file), Some(3));
    assert_eq!((limited.content, limited.sha256), (None, file_stat.sha256.clone()));
    assert_eq!(stat(&mut session, &path(&file), None).content, None);

    std::fs::set_permissions(directory.path(), std::fs::Permissions::from_mode(0o750)).unwrap();
    let dir_stat = stat(&mut session, &path(directory.path()), Some(1024));
    assert_eq!((dir_stat.kind.as_str(), dir_stat.sha256, dir_stat.content), ("dir", None, None));
    assert_eq!(dir_stat.mode, "0750");

    let link_stat = stat(&mut session, &path(&link), Some(1024));
    assert_eq!(
        (link_stat.kind.as_str(), link_stat.sha256, link_stat.content),
        ("symlink", None, None)
    );
    assert_eq!(link_stat.size, path(&file).len() as u64);

    let absent = stat(&mut session, &path(&directory.path().join("absent")), Some(1024));
    assert_eq!(absent, Stat::default());
}

fn describe(stat: &Stat) -> String {
    format!(
        "exists={} kind={} mode={} size={}\nsha256={:?}\ncontent={:?}",
        stat.exists, stat.kind, stat.mode, stat.size, stat.sha256, stat.content
    )
}

#[test]
fn an_unreadable_file_is_an_item_error_naming_it() {
    let directory = tempfile::tempdir().unwrap();
    std::fs::set_permissions(directory.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let file = directory.path().join("secret");
    std::fs::write(&file, "x").unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    let mut session = if id("-u") == 0 {
        // Root reads every file: run a copy of the runner as `nobody` instead.
        let runner = directory.path().join("runner");
        std::fs::write(&runner, froyo_runner_client::runner_binary()).unwrap();
        std::fs::set_permissions(&runner, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut command = std::process::Command::new(&runner);
        std::os::unix::process::CommandExt::uid(&mut command, 65534);
        froyo_runner_client::Session::spawn(command).unwrap()
    } else {
        session()
    };
    let outcome = probe(&mut session, Probe::Stat { path: path(&file), content_limit: None });
    let (message, _) = failed(outcome);
    assert_eq!(message, format!("stat {}: read: Permission denied (os error 13)", path(&file)));
    if session.hello().facts.uid != 0 {
        // Not root: switching users is refused with a reason.
        let mut command = Command::new(["true"]);
        command.user = Some("root".into());
        let (message, _) = failed(probe(&mut session, Probe::Command(command)));
        assert!(message.ends_with("not root (use become)"), "{message}");
    }
}

#[test]
fn command_probes_report_status_and_output_without_failing() {
    let mut session = session();
    let output = run(&mut session, sh("echo out; echo err >&2; exit 7"));
    assert_eq!(
        (output.status, output.stdout.as_str(), output.stderr.as_str()),
        (Some(7), "out\n", "err\n")
    );
    assert!(!output.timed_out);
    let missing = probe(&mut session, Probe::Command(Command::new(["no-such-program-froyo"])));
    let (message, _) = failed(missing);
    expect!["run `no-such-program-froyo`: program `no-such-program-froyo` not found (PATH is /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin): No such file or directory (os error 2)"]
        .assert_eq(&message);
}

#[test]
fn commands_run_as_another_user_only_when_root() {
    let mut session = session();
    let mut command = Command::new(["id", "-u"]);
    command.user = Some("nobody".into());
    let outcome = probe(&mut session, Probe::Command(command));
    if id("-u") == 0 {
        let ItemOutcome::Probed { result: ProbeResult::Command(output) } = outcome else {
            panic!("{outcome:?}")
        };
        assert_eq!(output.stdout, "65534\n");
        let mut home = sh("echo $HOME $USER; id -G");
        home.user = Some("nobody".into());
        let output = run(&mut session, home);
        assert_eq!(output.stdout, "/nonexistent nobody\n65534\n");
    } else {
        let (message, _) = failed(outcome);
        assert!(message.contains("not root"), "{message}");
    }
    let mut unknown = Command::new(["true"]);
    unknown.user = Some("no-such-user-froyo".into());
    let (message, _) = failed(probe(&mut session, Probe::Command(unknown)));
    expect!["run `true`: unknown user `no-such-user-froyo`"].assert_eq(&message);
}

/// Serves one canned response on a local port; returns the URL and a handle giving the request head.
fn serve_once(response: &'static [u8]) -> (String, std::thread::JoinHandle<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream);
        let mut head = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            if line == "\r\n" || line.is_empty() {
                break;
            }
            head.push_str(&line);
        }
        reader.get_mut().write_all(response).unwrap();
        head
    });
    (url, server)
}

fn http(session: &mut froyo_runner_client::Session, url: &str, timeout_ms: u64) -> ItemOutcome {
    let headers = BTreeMap::from([("X-Token".to_owned(), "abc".to_owned())]);
    probe(session, Probe::Http { url: url.to_owned(), method: "GET".into(), headers, timeout_ms })
}

fn http_response(outcome: ItemOutcome) -> HttpResponse {
    match outcome {
        ItemOutcome::Probed { result: ProbeResult::Http(response) } => response,
        other => panic!("http: {other:?}"),
    }
}

#[test]
fn http_probe_with_content_length() {
    let (url, server) =
        serve_once(b"HTTP/1.1 201 Created\r\nContent-Length: 5\r\nX-Multi: a\r\nX-Multi: b\r\n\r\nhello and more");
    let mut session = session();
    let response = http_response(http(&mut session, &format!("{url}/health?full=1"), 5000));
    assert_eq!((response.status, response.body.as_str()), (201, "hello"));
    assert_eq!(response.headers["x-multi"], "a, b");
    let head = server.join().unwrap();
    let host = url.trim_start_matches("http://");
    let expected = format!(
        "GET /health?full=1 HTTP/1.1\r\nHost: {host}\r\nUser-Agent: froyo-runner/0.1.0\r\nAccept: */*\r\nX-Token: abc\r\nConnection: close\r\n"
    );
    assert_eq!(head, expected);
}

#[test]
fn http_probe_with_a_chunked_body() {
    let (url, server) = serve_once(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nfroy\r\n1;ext=x\r\no\r\n0\r\n\r\n",
    );
    let mut session = session();
    let response = http_response(http(&mut session, &url, 5000));
    assert_eq!((response.status, response.body.as_str()), (200, "froyo"));
    server.join().unwrap();
}

#[test]
fn http_probe_errors_are_item_errors() {
    let mut session = session();
    let (message, _) = failed(http(&mut session, "https://example.com/", 1000));
    expect!["http GET https://example.com/: https probes are not supported by the runner yet"]
        .assert_eq(&message);

    // A server that accepts and never answers: the timeout.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let started = Instant::now();
    let (message, _) = failed(http(&mut session, &url, 300));
    assert!(started.elapsed().as_millis() < 3000);
    assert_eq!(message, format!("http GET {url}: timed out after 300 ms (read the response)"));
    drop(listener);

    // Nobody listening.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = closed.local_addr().unwrap();
    drop(closed);
    let (message, _) = failed(http(&mut session, &format!("http://{address}/"), 1000));
    assert_eq!(
        message,
        format!(
            "http GET http://{address}/: connect to {address}: Connection refused (os error 111)"
        )
    );
}

#[test]
fn a_thousand_probes_are_one_round_trip() {
    let directory = tempfile::tempdir().unwrap();
    for index in 0..10 {
        std::fs::write(directory.path().join(format!("f{index}")), format!("{index}")).unwrap();
    }
    let mut session = session();
    let before = session.round_trips();
    let items: Vec<ProbeItem> = (0..1000u64)
        .map(|id| {
            let file = directory.path().join(format!("f{}", id % 10));
            let probe = if id % 100 == 99 {
                Probe::Command(Command::new(["true"]))
            } else {
                Probe::Stat { path: path(&file), content_limit: Some(10) }
            };
            ProbeItem { id: 1000 - id, probe }
        })
        .collect();
    let started = Instant::now();
    let results = session.probe(items).unwrap();
    let elapsed = started.elapsed();
    assert_eq!(session.round_trips(), before + 1);
    assert_eq!(results.len(), 1000);
    assert!(results.windows(2).all(|pair| pair[0].0 < pair[1].0), "sorted by id");
    assert_eq!(results[0].0, 1);
    assert!(results.iter().all(|(_, outcome)| matches!(outcome, ItemOutcome::Probed { .. })));
    eprintln!("1000-item probe batch (990 stat + 10 commands): {elapsed:?}");
}
