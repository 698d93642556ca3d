//! The session's life: handshake and facts, version and process failures,
//! empty batches, closing, and the embedded binary itself.

mod common;

use std::time::Instant;

use common::*;
use expect_test::expect;
use froyo_runner_client::protocol::{ApplyItem, Probe, ProbeItem};
use froyo_runner_client::{ClientError, Session, runner_binary, runner_sha256};

#[test]
fn handshake_reports_this_hosts_facts() {
    let session = session();
    let hello = session.hello();
    assert_eq!(hello.runner, env!("CARGO_PKG_VERSION"));
    assert_eq!(hello.arch, std::env::consts::ARCH);
    let facts = &hello.facts;
    assert!(!facts.os_family.is_empty());
    // This machine is Debian: os-release says so and apt is installed.
    assert_eq!(facts.os_family, "debian");
    assert_eq!(facts.package_manager.as_deref(), Some("apt"));
    assert_eq!(facts.uid, id("-u"));
    assert_eq!(facts.gid, id("-g"));
    let name = std::process::Command::new("id").arg("-un").output().unwrap().stdout;
    assert_eq!(facts.user, String::from_utf8(name).unwrap().trim());
    // Debian: systemd when it runs; in a container without it, sysvinit when
    // init-system-helpers is installed (`service`, `update-rc.d`).
    let exists = |path: &str| std::path::Path::new(path).exists();
    let expected_init = if exists("/run/systemd/system") {
        Some("systemd")
    } else if exists("/etc/init.d")
        && exists("/usr/sbin/service")
        && exists("/usr/sbin/update-rc.d")
    {
        Some("sysvinit")
    } else {
        None
    };
    assert_eq!(facts.init_system.as_deref(), expected_init);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    assert_eq!(facts.hostname, hostname.trim());
    assert_eq!(session.round_trips(), 1);
    session.close().unwrap();
}

#[test]
fn sessions_and_errors_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    fn assert_error<T: std::error::Error + Send + Sync + 'static>() {}
    assert_send::<Session>();
    assert_error::<ClientError>();
}

#[test]
fn empty_batches_need_no_round_trip() {
    let mut session = session();
    assert!(session.probe(Vec::new()).unwrap().is_empty());
    let mut calls = 0;
    assert!(session.apply(4, Vec::new(), &mut |_, _| calls += 1).unwrap().is_empty());
    assert_eq!((session.round_trips(), calls), (1, 0));
}

#[test]
fn duplicate_item_ids_are_refused_before_sending() {
    let mut session = session();
    let item = ProbeItem { id: 5, probe: Probe::Stat { path: "/".into(), content_limit: None } };
    let error = session.probe(vec![item.clone(), item]).unwrap_err();
    expect!["invalid batch: item id 5 appears twice"].assert_eq(&error.to_string());
    // Nothing was sent and the session is still usable.
    assert_eq!(session.round_trips(), 1);
    let ops = vec![write_file("/nonexistent-froyo/x", "", None)];
    let results = session.apply(1, vec![ApplyItem { id: 1, ops }], &mut |_, _| {}).unwrap();
    assert_eq!(results.len(), 1);
}

#[test]
fn a_runner_with_another_protocol_version_is_refused() {
    let fake = r#"read request; echo '{"type":"hello","protocol":99,"runner":"9.9.9","arch":"x86_64","facts":{"os_family":"x","os_release":"","package_manager":null,"init_system":null,"user":"u","uid":1,"gid":1,"hostname":"h"}}'; sleep 5"#;
    let mut command = std::process::Command::new("/bin/sh");
    command.args(["-c", fake]);
    let started = Instant::now();
    let error = Session::spawn(command).unwrap_err();
    assert!(matches!(error, ClientError::VersionMismatch { ours: 1, theirs: 99, .. }), "{error:?}");
    expect!["the runner (version 9.9.9) speaks protocol version 99, this froyo speaks 1"]
        .assert_eq(&error.to_string());
    // The fake runner was killed, not waited for.
    assert!(started.elapsed().as_secs() < 4);
}

#[test]
fn the_real_runner_refuses_another_protocol_version() {
    // Speak to the installed runner directly with a version it does not know.
    use std::io::{BufRead, BufReader, Write};
    let path = froyo_runner_client::install_runner().unwrap();
    let mut child = std::process::Command::new(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"{\"type\":\"hello\",\"protocol\":2}\n").unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    expect![[r#"
        {"type":"fatal","message":"protocol version 2 is not supported: froyo-runner 0.1.0 speaks version 1"}
    "#]]
    .assert_eq(&line);
    assert_eq!(child.wait().unwrap().code(), Some(1));
}

#[test]
fn a_fatal_answer_is_reported_with_the_runners_reason() {
    let mut command = std::process::Command::new("/bin/sh");
    command.args([
        "-c",
        r#"read request; echo 'froyo-runner: starting' >&2; echo '{"type":"fatal","message":"no way"}'; exit 2"#,
    ]);
    let error = Session::spawn(command).unwrap_err();
    assert!(matches!(error, ClientError::Fatal { .. }), "{error:?}");
    expect![[r#"
        the runner stopped the session: no way; its last lines on stderr:
          froyo-runner: starting"#]]
    .assert_eq(&error.to_string());
}

#[test]
fn a_runner_that_dies_reports_its_status_and_stderr() {
    let mut command = std::process::Command::new("/bin/sh");
    command.args(["-c", "read request; echo 'cannot exec: no such file' >&2; exit 3"]);
    let error = Session::spawn(command).unwrap_err();
    expect![[r#"
        the runner exited unexpectedly (exit status: 3); its last lines on stderr:
          cannot exec: no such file"#]]
    .assert_eq(&error.to_string());
}

#[test]
fn a_runner_that_sends_garbage_is_a_protocol_error_and_breaks_the_session() {
    let script = r#"read request; echo '{"type":"hello","protocol":1,"runner":"fake","arch":"x86_64","facts":{"os_family":"x","os_release":"","package_manager":null,"init_system":null,"user":"u","uid":1,"gid":1,"hostname":"h"}}'; read request; echo 'not json'; sleep 5"#;
    let mut command = std::process::Command::new("/bin/sh");
    command.args(["-c", script]);
    let mut session = Session::spawn(command).unwrap();
    assert_eq!(session.hello().runner, "fake");
    let probe =
        || vec![ProbeItem { id: 1, probe: Probe::Stat { path: "/".into(), content_limit: None } }];
    let error = session.probe(probe()).unwrap_err();
    expect!["runner protocol error: the runner sent a line that is not a response (expected ident at line 1 column 2): not json"]
        .assert_eq(&error.to_string());
    let again = session.probe(probe()).unwrap_err();
    assert!(matches!(again, ClientError::Broken { .. }), "{again:?}");
    let started = Instant::now();
    drop(session);
    assert!(started.elapsed().as_secs() < 4, "drop kills the runner");
}

#[test]
fn a_missing_program_is_an_io_error() {
    let error =
        Session::spawn(std::process::Command::new("/nonexistent/froyo-runner")).unwrap_err();
    expect!["start the runner `/nonexistent/froyo-runner`: No such file or directory (os error 2)"]
        .assert_eq(&error.to_string());
}

#[test]
fn close_ends_the_runner_cleanly() {
    let mut session = session();
    stat(&mut session, "/", None);
    session.close().unwrap();
}

/// ELF64 little-endian: no `PT_INTERP` program header means no dynamic loader.
#[test]
fn the_embedded_runner_is_a_static_x86_64_executable() {
    let elf = runner_binary();
    assert_eq!(&elf[..4], b"\x7fELF");
    assert_eq!(elf[4], 2, "64-bit");
    assert_eq!(elf[5], 1, "little-endian");
    let u16_at = |offset: usize| u16::from_le_bytes([elf[offset], elf[offset + 1]]);
    let u32_at = |offset: usize| u32::from_le_bytes(elf[offset..offset + 4].try_into().unwrap());
    let u64_at = |offset: usize| u64::from_le_bytes(elf[offset..offset + 8].try_into().unwrap());
    assert_eq!(u16_at(0x12), 62, "EM_X86_64");
    let program_headers = usize::try_from(u64_at(0x20)).unwrap();
    let entry_size = usize::from(u16_at(0x36));
    let count = usize::from(u16_at(0x38));
    assert!(count > 0);
    const PT_INTERP: u32 = 3;
    let types: Vec<u32> =
        (0..count).map(|index| u32_at(program_headers + index * entry_size)).collect();
    assert!(!types.contains(&PT_INTERP), "the runner asks for a dynamic loader: {types:?}");
    assert_eq!(runner_sha256().len(), 64);
    eprintln!("embedded runner: {} bytes, sha256 {}", elf.len(), runner_sha256());
}
