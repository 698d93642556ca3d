//! Opening state files: migrations from nothing, reopening, and refusing files
//! that are newer, foreign, garbage or damaged, without touching them.

mod common;

use common::Workspace;
use expect_test::{Expect, expect};
use froyo_state::{SCHEMA_VERSION, State, StateError};

/// Opens `path`, expects a refusal, checks its message, and that the file's
/// bytes are what they were.
fn check_refused(workspace: &Workspace, expected: Expect) -> StateError {
    let path = workspace.database();
    let before = std::fs::read(&path).expect("read the file before");
    let error = State::open(&path).expect_err("the file must be refused");
    expected.assert_eq(&workspace.redact(&error.to_string()));
    let after = std::fs::read(&path).expect("read the file after");
    assert!(before == after, "the refused file was modified");
    error
}

#[test]
fn opens_empty_workspace_and_reopens_idempotently() {
    let workspace = Workspace::new();
    let state = workspace.open();
    assert_eq!(state.location().file(), Some(workspace.database().as_path()));
    assert_eq!(state.serial().unwrap(), 0);
    state.check_integrity().unwrap();
    let run = common::apply_run(&state);
    state.put_instance(run, &common::record("web", "motd", "h1")).unwrap();
    drop(state);

    for _ in 0..3 {
        let state = workspace.open();
        assert_eq!(state.serial().unwrap(), 1);
        assert_eq!(state.instances().unwrap().len(), 1);
        assert_eq!(state.runs(10).unwrap().len(), 1);
    }

    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    let version: u32 =
        connection.pragma_query_value(None, "user_version", |row| row.get(0)).unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    let mode: String =
        connection.pragma_query_value(None, "journal_mode", |row| row.get(0)).unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn many_states_open_a_new_file_at_once() {
    let workspace = Workspace::new();
    let database = workspace.database();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let database = database.clone();
            std::thread::spawn(move || State::open(&database).map(|state| state.serial()))
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().unwrap().unwrap().unwrap(), 0);
    }
}

#[test]
fn refuses_a_newer_schema() {
    let workspace = Workspace::new();
    drop(workspace.open());
    let connection = rusqlite::Connection::open(workspace.database()).unwrap();
    connection.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
    drop(connection);
    let error = check_refused(
        &workspace,
        expect![
            "state database <workspace>/.froyo/state.db has schema version 4, written by a newer froyo; this froyo knows versions up to 3: upgrade froyo to use it"
        ],
    );
    assert!(
        matches!(error, StateError::TooNew { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION)
    );
}

#[test]
fn refuses_garbage_and_leaves_it_alone() {
    let workspace = Workspace::new();
    let path = workspace.database();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, "this is a note, not a database\n".repeat(200)).unwrap();
    let error = check_refused(
        &workspace,
        expect![[
            r#"state database <workspace>/.froyo/state.db is not a usable froyo state database (the file does not start with the SQLite header); it was left untouched: move it aside to start with an empty state"#
        ]],
    );
    assert!(matches!(error, StateError::Corrupt { .. }));
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|entry| entry.unwrap().file_name())
        .collect();
    assert_eq!(names, ["state.db"], "nothing is created beside a refused file");
}

#[test]
fn refuses_a_damaged_database_and_leaves_it_alone() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = common::apply_run(&state);
    state.put_instances(run, &common::records(50, "h")).unwrap();
    drop(state);
    // Keep the 100-byte header, overwrite the rest of page 1 (the schema's root).
    let path = workspace.database();
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 4096);
    bytes[100..4096].fill(0xA5);
    std::fs::write(&path, &bytes).unwrap();
    let error = check_refused(
        &workspace,
        expect![
            "state database <workspace>/.froyo/state.db is not a usable froyo state database (database disk image is malformed, found trying to read the schema); it was left untouched: move it aside to start with an empty state"
        ],
    );
    assert!(matches!(error, StateError::Corrupt { .. }));
}

#[test]
fn refuses_another_applications_database() {
    let workspace = Workspace::new();
    let path = workspace.database();
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let connection = rusqlite::Connection::open(&path).unwrap();
    connection.execute_batch("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT);").unwrap();
    drop(connection);
    check_refused(
        &workspace,
        expect![[
            r#"state database <workspace>/.froyo/state.db is not a usable froyo state database (a SQLite database of another application (application id 0x0, 1 schema objects)); it was left untouched: move it aside to start with an empty state"#
        ]],
    );
}

#[test]
fn refuses_an_unreadable_key() {
    use std::os::unix::fs::PermissionsExt;
    let workspace = Workspace::new();
    drop(workspace.open());
    let key = workspace.database().with_file_name("state.key");
    let metadata = std::fs::metadata(&key).unwrap();
    assert_eq!(metadata.permissions().mode() & 0o777, 0o600);
    assert_eq!(metadata.len(), 32);

    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let error = State::open(&workspace.database()).unwrap_err();
    expect![[r#"<workspace>/.froyo/state.key: could not use the state key: it must be a regular file readable only by its owner (mode 644); run `chmod 600` on it"#]]
    .assert_eq(&workspace.redact(&error.to_string()));

    std::fs::write(&key, b"short").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let error = State::open(&workspace.database()).unwrap_err();
    expect![[r#"<workspace>/.froyo/state.key: could not use the state key: it holds 5 bytes, a key is 32"#]]
    .assert_eq(&workspace.redact(&error.to_string()));
}

#[test]
fn what_froyo_creates_is_private_and_wider_permissions_are_warned_about() {
    use std::os::unix::fs::PermissionsExt as _;
    let workspace = Workspace::new();
    let state = workspace.open();
    let database = workspace.database();
    let directory = database.parent().unwrap().to_path_buf();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&directory), 0o700);
    assert_eq!(mode(&database), 0o600);
    assert_eq!(mode(&directory.join("state.key")), 0o600);
    assert!(state.permission_warnings().is_empty());
    // Nothing of the database under construction is left behind.
    let names: Vec<String> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with("-wal") && !name.ends_with("-shm"))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(names, ["state.db", "state.key"]);

    std::fs::set_permissions(&database, std::fs::Permissions::from_mode(0o644)).unwrap();
    let warnings = state.permission_warnings();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("mode 644") && warnings[0].contains("chmod 600"), "{warnings:?}");
}

#[test]
fn an_empty_state_file_is_damage_not_a_new_state() {
    let workspace = Workspace::new();
    let state = workspace.open();
    common::apply_run(&state);
    drop(state);
    std::fs::write(workspace.database(), b"").unwrap();
    check_refused(
        &workspace,
        expect![[
            r#"state database <workspace>/.froyo/state.db is not a usable froyo state database (the file is empty (truncated?)); it was left untouched: move it aside to start with an empty state"#
        ]],
    );
}

#[test]
fn a_lost_or_foreign_key_is_refused_not_replaced() {
    let workspace = Workspace::new();
    let state = workspace.open();
    common::apply_run(&state);
    drop(state);
    let key = workspace.database().with_file_name("state.key");
    let original = std::fs::read(&key).unwrap();

    std::fs::remove_file(&key).unwrap();
    let error = check_refused(
        &workspace,
        expect![[
            r#"the state key <workspace>/.froyo/state.key is missing, but state database <workspace>/.froyo/state.db was written with it (recorded sensitive values are compared through it): restore it from a backup of this workspace; if it is lost for good, move the state aside to start over (froyo then forgets what it manages)"#
        ]],
    );
    assert!(matches!(error, StateError::Key { missing: true, .. }));
    assert!(!key.exists(), "no new key was made");

    // Another workspace's key.
    let other = Workspace::new();
    drop(other.open());
    std::fs::copy(other.database().with_file_name("state.key"), &key).unwrap();
    let error = check_refused(
        &workspace,
        expect![[
            r#"the state key <workspace>/.froyo/state.key is not the one state database <workspace>/.froyo/state.db was written with: restore the right key beside it, or move the state aside to start over"#
        ]],
    );
    assert!(matches!(error, StateError::Key { missing: false, .. }));

    std::fs::write(&key, &original).unwrap();
    workspace.open();
}

#[test]
fn open_existing_refuses_a_path_with_no_state() {
    let workspace = Workspace::new();
    let path = workspace.database().with_file_name("typo.db");
    let error = State::open_existing(&path).unwrap_err();
    assert!(matches!(error, StateError::Missing { .. }), "{error}");
    assert!(!path.exists() && !path.parent().unwrap().exists(), "nothing was created");
}
