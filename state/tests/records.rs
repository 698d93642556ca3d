//! Runs, events, instances, the serial, plans, the audit log and protected
//! secrets, written and read back through real database files.

mod common;

use common::{Workspace, apply_run, record, records};
use froyo_state::{State, StateError};
use serde_json::json;

#[test]
fn state_and_guard_can_move_between_threads() {
    fn assert_send<T: Send>() {}
    assert_send::<State>();
    assert_send::<froyo_state::LockGuard>();
    assert_send::<StateError>();
}

#[test]
fn put_instances_of_a_thousand_records_is_fast() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    let mut timings = Vec::new();
    for generation in 0..3 {
        let batch = records(1000, &format!("gen-{generation}"));
        let started = std::time::Instant::now();
        state.put_instances(run, &batch).unwrap();
        timings.push(started.elapsed());
    }
    // A converged apply: same content, new run and time.
    let converged = apply_run(&state);
    let batch = records(1000, "gen-2");
    let started = std::time::Instant::now();
    state.put_instances(converged, &batch).unwrap();
    timings.push(started.elapsed());
    let started = std::time::Instant::now();
    let all = state.instances().unwrap();
    let read = started.elapsed();
    assert_eq!(all.len(), 1000);
    assert!(all.iter().all(|instance| instance.last_run == Some(converged)));
    assert_eq!(state.serial().unwrap(), 3);
    println!("put_instances(1000), 3 changed then 1 converged: {timings:?}; instances(): {read:?}");
    // Generous for a debug build on a shared machine; release takes a few ms.
    assert!(timings.iter().all(|elapsed| elapsed.as_millis() < 2000), "{timings:?}");
}

#[test]
fn protect_hashes_sensitive_values_with_the_workspace_key() {
    let secret = "s3cr3t-Hunter2-9f2c";
    let mut properties = serde_json::Map::new();
    properties.insert("path".into(), json!("/etc/app.conf"));
    properties.insert("content".into(), json!(secret));
    properties.insert("token".into(), json!({"b": [1, 2], "a": secret}));
    let sensitive = vec!["content".to_string(), "token".to_string(), "absent".to_string()];

    let workspace = Workspace::new();
    let state = workspace.open();
    let protected = state.protect(&properties, &sensitive);
    assert_eq!(protected["path"], json!("/etc/app.conf"));
    assert!(protected.get("absent").is_none());
    let content = protected["content"].as_str().unwrap();
    assert!(content.starts_with("hmac-sha256:") && content.len() == 12 + 64, "{content}");
    assert_ne!(protected["content"], protected["token"]);
    assert_eq!(state.protect(&properties, &sensitive), protected, "stable");

    // Key order does not matter: the hash is over canonical JSON.
    let mut reordered = properties.clone();
    reordered.insert(
        "token".into(),
        serde_json::from_str(r#"{"a":"s3cr3t-Hunter2-9f2c","b":[1,2]}"#).unwrap(),
    );
    assert_eq!(state.protect(&reordered, &sensitive), protected);

    // The key is kept across opens, and differs between workspaces.
    drop(state);
    let state = workspace.open();
    assert_eq!(state.protect(&properties, &sensitive), protected, "same key after reopening");
    let elsewhere = Workspace::new();
    assert_ne!(elsewhere.open().protect(&properties, &sensitive)["content"], protected["content"]);

    // Written as observed properties and in an event, the secret never reaches
    // the database files; its hash does.
    let run = apply_run(&state);
    let mut observed = record("web", "app.conf", "d");
    observed.observed = Some(protected.clone());
    state.put_instance(run, &observed).unwrap();
    state.event(run, Some(&observed.key), "changed", &json!(protected)).unwrap();
    let directory = workspace.database().parent().unwrap().to_path_buf();
    let key_bytes = std::fs::read(directory.join("state.key")).unwrap();
    let files = common::database_bytes(&directory);
    assert!(files.iter().any(|(_, bytes)| common::contains(bytes, content.as_bytes())));
    for (path, bytes) in &files {
        assert!(!common::contains(bytes, secret.as_bytes()), "the secret is in {}", path.display());
        assert!(!common::contains(bytes, &key_bytes), "the key is in {}", path.display());
    }
    drop(state);
    for (path, bytes) in common::database_bytes(&directory) {
        assert!(
            !common::contains(&bytes, secret.as_bytes()),
            "the secret is in {}",
            path.display()
        );
    }
}

#[test]
fn damaged_data_pages_are_reported() {
    let workspace = Workspace::new();
    let state = workspace.open();
    let run = apply_run(&state);
    state.put_instances(run, &records(2000, "d")).unwrap();
    drop(state);
    let path = workspace.database();
    let mut bytes = std::fs::read(&path).unwrap();
    let pages = bytes.len() / 4096;
    assert!(pages > 20, "{pages} pages");
    // Damage the middle of the file: instance pages, not the schema.
    for page in pages / 2..pages / 2 + 5 {
        bytes[page * 4096..page * 4096 + 4096].fill(0x5A);
    }
    std::fs::write(&path, &bytes).unwrap();
    // Refused at open, before anything is read or written.
    let error = State::open(&path).unwrap_err();
    assert!(matches!(error, StateError::Corrupt { .. }), "{error}");
    assert_eq!(std::fs::read(&path).unwrap(), bytes, "left untouched");
}
