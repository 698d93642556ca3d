//! Apply batches against the real runner in temporary directories: file
//! operations, exec with guards and timeouts, per-item failures, streaming,
//! and parallelism.

mod common;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use expect_test::expect;
use froyo_runner_client::protocol::{ApplyItem, Command, ItemOutcome, Op, OpOutcome};

fn mode_of(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn entries(directory: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

#[test]
fn write_file_writes_exact_content_with_the_given_mode() {
    let directory = tempfile::tempdir().unwrap();
    let mut session = session();
    let cases = [
        ("unicode", "grüße, 世界 🍦\nline 2\n", "0600"),
        ("empty", "", "0644"),
        ("exec", "#!/bin/sh\n", "4750"),
    ];
    for (name, content, mode) in cases {
        let target = directory.path().join(name);
        let ops =
            applied(apply(&mut session, vec![write_file(&path(&target), content, Some(mode))]));
        assert_eq!(ops, [OpOutcome { ran: true, output: None }]);
        assert_eq!(fs::read_to_string(&target).unwrap(), content);
        assert_eq!(format!("{:04o}", mode_of(&target)), mode);
    }
    // Nothing but the three files: no temporary file left behind.
    assert_eq!(entries(directory.path()), ["empty", "exec", "unicode"]);
}

#[test]
fn write_file_keeps_the_existing_mode_and_replaces_atomically() {
    let directory = tempfile::tempdir().unwrap();
    let target = directory.path().join("config");
    fs::write(&target, "old").unwrap();
    fs::set_permissions(&target, fs::Permissions::from_mode(0o640)).unwrap();
    let old_inode = fs::metadata(&target).unwrap().ino();
    let mut session = session();
    applied(apply(&mut session, vec![write_file(&path(&target), "new", None)]));
    assert_eq!(fs::read_to_string(&target).unwrap(), "new");
    assert_eq!(mode_of(&target), 0o640);
    // Renamed over, not rewritten in place.
    assert_ne!(fs::metadata(&target).unwrap().ino(), old_inode);

    // A new file without a mode gets 0644, whatever the umask.
    let fresh = directory.path().join("fresh");
    applied(apply(&mut session, vec![write_file(&path(&fresh), "x", None)]));
    assert_eq!(mode_of(&fresh), 0o644);
}

#[test]
fn write_file_failures_leave_no_temporary_file() {
    let directory = tempfile::tempdir().unwrap();
    let mut session = session();
    let missing = directory.path().join("missing/dir/file");
    let (message, ops) = failed(apply(&mut session, vec![write_file(&path(&missing), "x", None)]));
    assert_eq!(
        message,
        format!(
            "write_file {}: the directory {} does not exist",
            path(&missing),
            path(&directory.path().join("missing/dir"))
        )
    );
    assert!(ops.is_empty());

    let in_the_way = directory.path().join("in-the-way");
    fs::create_dir(&in_the_way).unwrap();
    let (message, _) = failed(apply(&mut session, vec![write_file(&path(&in_the_way), "x", None)]));
    assert_eq!(message, format!("write_file {}: it is a directory", path(&in_the_way)));

    let mut with_owner = write_file(&path(&directory.path().join("owned")), "x", None);
    if let Op::WriteFile { owner, .. } = &mut with_owner {
        *owner = Some("no-such-user-froyo".into());
    }
    let (message, _) = failed(apply(&mut session, vec![with_owner]));
    assert!(message.ends_with(": unknown user `no-such-user-froyo`"), "{message}");
    assert_eq!(entries(directory.path()), ["in-the-way"]);
    assert!(entries(&in_the_way).is_empty());
}

#[test]
fn write_file_failing_midway_removes_its_temporary_file_and_keeps_the_old_one() {
    // A runner whose file size limit is one block: the write itself fails (EFBIG)
    // after the temporary file was created.
    let directory = tempfile::tempdir().unwrap();
    let target = directory.path().join("config");
    fs::write(&target, "old").unwrap();
    let runner = froyo_runner_client::install_runner().unwrap();
    let mut command = std::process::Command::new("/bin/sh");
    command.args(["-c", "trap '' XFSZ; ulimit -f 1; exec \"$0\""]).arg(runner);
    let mut session = froyo_runner_client::Session::spawn(command).unwrap();
    let big = "x".repeat(256 * 1024);
    let (message, ops) = failed(apply(&mut session, vec![write_file(&path(&target), &big, None)]));
    assert_eq!(
        message,
        format!("write_file {}: write: File too large (os error 27)", path(&target))
    );
    assert!(ops.is_empty());
    assert_eq!(entries(directory.path()), ["config"]);
    assert_eq!(fs::read_to_string(&target).unwrap(), "old");
}

#[test]
fn write_file_rejects_a_bad_mode() {
    let directory = tempfile::tempdir().unwrap();
    let mut session = session();
    let target = directory.path().join("file");
    let (message, _) =
        failed(apply(&mut session, vec![write_file(&path(&target), "x", Some("999"))]));
    assert_eq!(
        message,
        format!("write_file {}: bad mode `999` (expected octal like 0644)", path(&target))
    );
    assert!(entries(directory.path()).is_empty());
}

#[test]
fn mkdir_remove_chmod_chown() {
    let directory = tempfile::tempdir().unwrap();
    let mut session = session();
    let user = session.hello().facts.user.clone();
    let group =
        String::from_utf8(std::process::Command::new("id").arg("-gn").output().unwrap().stdout)
            .unwrap();
    let group = group.trim().to_owned();
    let deep = directory.path().join("a/b/c");
    let mkdir = |path: &Path, mode: Option<&str>| Op::Mkdir {
        path: path.to_str().unwrap().to_owned(),
        mode: mode.map(str::to_owned),
        owner: Some(user.clone()),
        group: Some(group.clone()),
    };
    applied(apply(&mut session, vec![mkdir(&deep, Some("0750"))]));
    assert_eq!(mode_of(&deep), 0o750);
    assert_eq!(mode_of(&directory.path().join("a")), 0o755);
    assert_eq!(mode_of(&directory.path().join("a/b")), 0o755);
    // An existing directory is fine (and gets the mode asked for).
    applied(apply(&mut session, vec![mkdir(&deep, Some("0700"))]));
    assert_eq!(mode_of(&deep), 0o700);
    // An existing file is not.
    let file = directory.path().join("file");
    fs::write(&file, "").unwrap();
    let (message, _) = failed(apply(&mut session, vec![mkdir(&file, None)]));
    assert_eq!(message, format!("mkdir {}: it exists and is not a directory", path(&file)));

    // chmod and chown, recursively, to our own user and group.
    fs::write(deep.join("leaf"), "").unwrap();
    let top = directory.path().join("a");
    let ops = vec![
        Op::Chmod { path: path(&top), mode: "0770".into(), recursive: true },
        Op::Chown {
            path: path(&top),
            owner: Some(user.clone()),
            group: Some(group.clone()),
            recursive: true,
        },
    ];
    assert_eq!(applied(apply(&mut session, ops)).len(), 2);
    for changed in [top.clone(), top.join("b"), deep.clone(), deep.join("leaf")] {
        assert_eq!(mode_of(&changed), 0o770, "{}", changed.display());
        let metadata = fs::metadata(&changed).unwrap();
        assert_eq!((metadata.uid(), metadata.gid()), (id("-u"), id("-g")));
    }
    let single = vec![Op::Chmod { path: path(&file), mode: "600".into(), recursive: false }];
    applied(apply(&mut session, single));
    assert_eq!(mode_of(&file), 0o600);

    // remove: a non-empty directory needs `recursive`; absent paths are fine.
    let (message, _) =
        failed(apply(&mut session, vec![Op::Remove { path: path(&top), recursive: false }]));
    assert_eq!(
        message,
        format!("remove {}: the directory is not empty (and recursive is not set)", path(&top))
    );
    let removals = vec![
        Op::Remove { path: path(&top), recursive: true },
        Op::Remove { path: path(&file), recursive: false },
        Op::Remove { path: path(&directory.path().join("absent")), recursive: false },
    ];
    assert_eq!(applied(apply(&mut session, removals)).len(), 3);
    assert!(entries(directory.path()).is_empty());

    // A symlink is removed, not what it points to.
    let kept = directory.path().join("kept");
    fs::create_dir(&kept).unwrap();
    fs::write(kept.join("inside"), "").unwrap();
    let link = directory.path().join("link");
    std::os::unix::fs::symlink(&kept, &link).unwrap();
    applied(apply(&mut session, vec![Op::Remove { path: path(&link), recursive: true }]));
    assert_eq!(entries(directory.path()), ["kept"]);
    assert_eq!(entries(&kept), ["inside"]);
}

fn exec(command: Command) -> Op {
    Op::Exec { command, creates: None, unless: None, onlyif: None }
}

#[test]
fn exec_with_env_cwd_and_stdin() {
    let directory = tempfile::tempdir().unwrap();
    let mut session = session();
    let mut command = sh("pwd; echo \"$GREETING\"; cat; echo \"$PATH|$LANG\"");
    command.env.insert("GREETING".into(), "hallo wêreld".into());
    command.cwd = Some(path(directory.path()));
    command.stdin = Some("from stdin\n".into());
    let ops = applied(apply(&mut session, vec![exec(command)]));
    let output = ops[0].output.clone().unwrap();
    assert_eq!(output.status, Some(0));
    let expected = [
        path(directory.path()).as_str(),
        "hallo wêreld",
        "from stdin",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin|C.UTF-8",
    ]
    .map(|line| format!("{line}\n"))
    .concat();
    assert_eq!(output.stdout, expected);
    assert!(ops[0].ran);

    // The environment is clean: nothing of the runner's own (this test's CARGO_* and all)
    // reaches the command, only PATH, LANG, HOME and what the command adds.
    let mut env = Command::new(["env"]);
    env.env.insert("GREETING".into(), "hi".into());
    let ops = applied(apply(&mut session, vec![exec(env)]));
    let mut names: Vec<String> = ops[0]
        .output
        .as_ref()
        .unwrap()
        .stdout
        .lines()
        .map(|line| line.split('=').next().unwrap().to_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["GREETING", "HOME", "LANG", "PATH"]);
}

#[test]
fn exec_guards_skip_or_run() {
    let directory = tempfile::tempdir().unwrap();
    let marker = directory.path().join("marker");
    let counter = directory.path().join("count");
    let mut session = session();
    let count_run = sh(&format!("echo run >> {}", path(&counter)));
    let runs = || fs::read_to_string(&counter).map(|text| text.lines().count()).unwrap_or(0);
    let guarded = |creates: Option<&Path>, unless: Option<&str>, onlyif: Option<&str>| Op::Exec {
        command: count_run.clone(),
        creates: creates.map(path),
        unless: unless.map(sh),
        onlyif: onlyif.map(sh),
    };
    let cases: [(Op, bool); 6] = [
        (guarded(Some(&marker), None, None), true),
        (guarded(None, Some("exit 0"), None), false),
        (guarded(None, Some("exit 1"), None), true),
        (guarded(None, None, Some("exit 0")), true),
        (guarded(None, None, Some("exit 3")), false),
        (guarded(Some(&directory.path().join("count")), None, None), false),
    ];
    let mut expected_runs = 0;
    for (index, (op, runs_now)) in cases.into_iter().enumerate() {
        let ops = applied(apply(&mut session, vec![op]));
        expected_runs += usize::from(runs_now);
        assert_eq!(ops[0].ran, runs_now, "case {index}");
        assert_eq!(ops[0].output.is_some(), runs_now, "case {index}");
        assert_eq!(runs(), expected_runs, "case {index}");
    }
    // The creates guard is checked when the operation runs, after earlier operations.
    let ops = vec![write_file(&path(&marker), "", None), guarded(Some(&marker), None, None)];
    let outcomes = applied(apply(&mut session, ops));
    assert_eq!((outcomes[0].ran, outcomes[1].ran), (true, false));

    // A guard that cannot run fails the item instead of counting as "no".
    let broken_guard = Op::Exec {
        command: count_run.clone(),
        creates: None,
        unless: Some(Command::new(["no-such-guard-froyo"])),
        onlyif: None,
    };
    let (message, _) = failed(apply(&mut session, vec![broken_guard]));
    assert_eq!(runs(), expected_runs);
    assert!(
        message.contains(
            "unless guard `no-such-guard-froyo`: program `no-such-guard-froyo` not found"
        ),
        "{message}"
    );
}

#[test]
fn exec_failure_is_an_item_error_with_status_and_stderr_and_stops_the_item() {
    let directory = tempfile::tempdir().unwrap();
    let after = directory.path().join("after");
    let mut session = session();
    let ops = vec![
        exec(sh("echo first")),
        exec(sh("echo progress; echo 'E: Unable to locate package nope' >&2; exit 100")),
        write_file(&path(&after), "never", None),
    ];
    let (message, outcomes) = failed(apply(&mut session, ops));
    expect!["exec `/bin/sh -c 'echo progress; echo '\\''E: Unable to locate package nope'\\'' >&2; exit 100'`: exited with status 100: E: Unable to locate package nope"]
        .assert_eq(&message);
    // The first op's outcome, then the failing one's, output kept.
    assert_eq!(outcomes.len(), 2);
    let failing = outcomes[1].output.clone().unwrap();
    assert_eq!((failing.status, failing.stdout.as_str()), (Some(100), "progress\n"));
    assert!(!after.exists(), "operations after a failure do not run");
}

#[test]
fn exec_timeout_kills_the_whole_process_group() {
    let directory = tempfile::tempdir().unwrap();
    let pid_file = directory.path().join("pid");
    let mut session = session();
    let mut command = sh(&format!("sleep 30 & echo $! > {}; echo started; wait", path(&pid_file)));
    command.timeout_ms = Some(300);
    let started = Instant::now();
    let (message, outcomes) = failed(apply(&mut session, vec![exec(command)]));
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(message.ends_with("timed out after 300 ms and was killed: started"), "{message}");
    let output = outcomes[0].output.clone().unwrap();
    assert!(output.timed_out);
    assert_eq!(output.status, None);
    // The background `sleep` was in the group, so it is gone too (or a zombie about to be reaped).
    let pid = fs::read_to_string(&pid_file).unwrap().trim().to_owned();
    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let state = fs::read_to_string(format!("/proc/{pid}/stat")).ok();
        let alive = state.as_deref().is_some_and(|stat| {
            stat.rsplit(')').next().is_some_and(|rest| !rest.trim_start().starts_with('Z'))
        });
        if !alive {
            break;
        }
        assert!(Instant::now() < deadline, "sleep {pid} survived the timeout");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn item_errors_do_not_fail_the_batch() {
    let directory = tempfile::tempdir().unwrap();
    let mut session = session();
    let ok = |name: &str| ApplyItem {
        id: 0,
        ops: vec![write_file(&path(&directory.path().join(name)), name, None)],
    };
    let items = vec![
        ApplyItem { id: 1, ..ok("one") },
        ApplyItem { id: 2, ops: vec![write_file("/nonexistent-froyo/dir/file", "", None)] },
        ApplyItem { id: 3, ops: vec![exec(Command::new(["false"]))] },
        ApplyItem { id: 4, ..ok("four") },
    ];
    let results = session.apply(1, items, &mut |_, _| {}).unwrap();
    let summary: Vec<String> = results
        .iter()
        .map(|(id, outcome)| match outcome {
            ItemOutcome::Applied { ops } => format!("{id}: applied {} op(s)", ops.len()),
            ItemOutcome::Error { message, .. } => format!("{id}: {message}"),
            ItemOutcome::Probed { .. } => format!("{id}: probed?"),
        })
        .collect();
    expect![[r#"
        [
            "1: applied 1 op(s)",
            "2: write_file /nonexistent-froyo/dir/file: the directory /nonexistent-froyo/dir does not exist",
            "3: exec `false`: exited with status 1",
            "4: applied 1 op(s)",
        ]
    "#]]
    .assert_debug_eq(&summary);
    assert_eq!(entries(directory.path()), ["four", "one"]);
}

#[test]
fn results_stream_in_completion_order() {
    let mut session = session();
    let items = vec![
        ApplyItem { id: 1, ops: vec![exec(sh("sleep 0.6"))] },
        ApplyItem { id: 2, ops: vec![exec(Command::new(["true"]))] },
        ApplyItem { id: 3, ops: vec![exec(sh("sleep 0.2"))] },
    ];
    let started = Instant::now();
    let mut seen = Vec::new();
    let results = session
        .apply(3, items, &mut |id, outcome| {
            assert!(matches!(outcome, ItemOutcome::Applied { .. }));
            seen.push((id, started.elapsed()));
        })
        .unwrap();
    let total = started.elapsed();
    let order: Vec<u64> = seen.iter().map(|(id, _)| *id).collect();
    assert_eq!(order, [2, 3, 1], "completion order");
    assert_eq!(results.iter().map(|(id, _)| *id).collect::<Vec<_>>(), [1, 2, 3], "returned sorted");
    // The quick item was reported long before the batch ended.
    assert!(seen[0].1 + Duration::from_millis(300) < total, "{seen:?} vs {total:?}");
}

#[test]
fn parallelism_runs_items_at_once() {
    let mut session = session();
    let sleepers = |count: u64| -> Vec<ApplyItem> {
        (1..=count)
            .map(|id| ApplyItem { id, ops: vec![exec(Command::new(["sleep", "0.3"]))] })
            .collect()
    };
    let started = Instant::now();
    let results = session.apply(8, sleepers(8), &mut |_, _| {}).unwrap();
    let parallel = started.elapsed();
    assert_eq!(results.len(), 8);
    assert!(
        parallel < Duration::from_millis(1500),
        "8 × 0.3 s with parallelism 8 took {parallel:?}"
    );

    // Parallelism 0 means 1: one at a time.
    let started = Instant::now();
    session.apply(0, sleepers(3), &mut |_, _| {}).unwrap();
    let serial = started.elapsed();
    assert!(serial >= Duration::from_millis(900), "3 × 0.3 s with parallelism 0 took {serial:?}");
    eprintln!(
        "8 × sleep 0.3 at parallelism 8: {parallel:?}; 3 × sleep 0.3 at parallelism 0: {serial:?}"
    );
}
