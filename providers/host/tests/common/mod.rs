//! Shared helpers of the host's integration tests: one `Host` per test
//! binary (compiling the components is the slow part), request builders and
//! JSON rendering for snapshots.

#![allow(dead_code)]

use std::sync::OnceLock;

use froyo_provider_api::{
    CommandOutput, Facts, PlanRequest, PlanResponse, ProbeOutcome, ProbeRequest, ProbeResult,
    Properties, Stat,
};
use froyo_providers::{Host, HostOptions};
use serde_json::Value;

/// The shared host: built-ins plus the overreach provider, cached in a
/// directory of the target dir so test runs after the first are fast.
pub fn host() -> &'static Host {
    static HOST: OnceLock<Host> = OnceLock::new();
    HOST.get_or_init(|| {
        let dir = std::env::temp_dir().join("froyo-providers-test-cache");
        let mut host = Host::new(HostOptions { cache_dir: Some(dir), ..HostOptions::default() })
            .expect("the built-in providers load");
        host.load(froyo_providers::builtin::OVERREACH).expect("the overreach provider loads");
        host
    })
}

pub fn props(v: Value) -> Properties {
    v.as_object().cloned().expect("properties are an object")
}

pub fn facts() -> Facts {
    Facts {
        os_family: "debian".into(),
        os_release: "12".into(),
        os_like: vec![],
        package_manager: Some("apt".into()),
        init_system: Some("systemd".into()),
        user: "root".into(),
        uid: 0,
        gid: 0,
        hostname: "web1".into(),
    }
}

pub fn probe_req(properties: Value, facts: Facts) -> ProbeRequest {
    ProbeRequest { properties: props(properties), facts }
}

pub fn plan_req(
    properties: Value,
    facts: Facts,
    probes: Vec<ProbeResult>,
    notified: bool,
) -> PlanRequest {
    PlanRequest {
        properties: props(properties),
        facts,
        probes: probes.into_iter().map(ProbeOutcome::Ok).collect(),
        notified,
    }
}

pub fn out(status: i32, stdout: &str) -> ProbeResult {
    ProbeResult::Command(CommandOutput {
        status: Some(status),
        stdout: stdout.into(),
        stderr: String::new(),
        timed_out: false,
    })
}

pub fn absent() -> ProbeResult {
    ProbeResult::Stat(Stat::default())
}

pub fn file(content: &str, mode: &str, owner: &str) -> ProbeResult {
    ProbeResult::Stat(Stat {
        exists: true,
        kind: "file".into(),
        mode: mode.into(),
        uid: 0,
        gid: 0,
        owner: owner.into(),
        group: owner.into(),
        size: content.len() as u64,
        sha256: Some(froyo_provider_sdk_sha(content)),
        content: Some(content.into()),
    })
}

pub fn dir(mode: &str, owner: &str) -> ProbeResult {
    ProbeResult::Stat(Stat {
        exists: true,
        kind: "dir".into(),
        mode: mode.into(),
        owner: owner.into(),
        group: owner.into(),
        ..Stat::default()
    })
}

/// sha256 as the runner reports it, computed independently of the SDK.
fn froyo_provider_sdk_sha(content: &str) -> String {
    use sha2::{Digest, Sha256};
    let d = Sha256::digest(content.as_bytes());
    format!("sha256:{}", d.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

pub fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string_pretty(v).expect("serialisable")
}

/// Plan through the host; the plan or the error's message, as text.
pub fn plan(type_name: &str, request: &PlanRequest) -> String {
    match host().plan(type_name, request) {
        Ok(p) => json(&p),
        Err(e) => format!("error: {e}"),
    }
}

pub fn plan_ok(type_name: &str, request: &PlanRequest) -> PlanResponse {
    host().plan(type_name, request).unwrap_or_else(|e| panic!("{type_name} plan failed: {e}"))
}

pub fn probe(type_name: &str, request: &ProbeRequest) -> String {
    match host().probe(type_name, request) {
        Ok(p) => json(&p),
        Err(e) => format!("error: {e}"),
    }
}
