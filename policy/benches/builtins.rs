//! The built-in policies over a compiled workspace, cold: loading the set
//! (parsing every built-in module), then evaluating every check-time
//! policy, once over the whole IR and once per source file as the
//! language server and `froyo check` do.
//!
//! Usage: `cargo bench -p froyo-policy --bench builtins -- site.ir` on an IR
//! written by `froyo build` (bench/policy-workspace does both, on the
//! 10,000-resource workspace of bench/gen-workspace.py). Prints the best of
//! five runs of each step and the number of findings.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use froyo_ir::Ir;
use froyo_policy::{PolicySet, Stage};

fn main() {
    let ir = match std::env::args().skip(1).find(|argument| !argument.starts_with("--")) {
        Some(path) => {
            let text = std::fs::read_to_string(&path).expect("the IR file");
            Ir::from_json(&text).expect("an IR written by `froyo build`")
        }
        // Under `cargo test --all-targets`: a smoke run on a small IR.
        None => small_ir(),
    };
    let data = serde_json::json!({"packages": {"deny": ["telnetd"]}});
    let mut by_file: BTreeMap<&str, Vec<&froyo_ir::Resource>> = BTreeMap::new();
    for resource in &ir.resources {
        by_file.entry(resource.origin.file.as_str()).or_default().push(resource);
    }
    let mut best = [Duration::MAX; 5];
    let mut findings = (0, 0);
    for _ in 0..5 {
        let started = Instant::now();
        let set = PolicySet::load(Vec::new(), &data);
        let loaded = started.elapsed();
        assert!(set.problems.is_empty(), "{:?}", set.problems);

        let started = Instant::now();
        let input = froyo_policy::input::check_document(&ir.hosts, ir.resources.iter());
        let built = started.elapsed();
        let whole = set.evaluate(Stage::Check, &input, &|_| true);
        let once = started.elapsed();

        let started = Instant::now();
        let mut per_file = 0;
        for resources in by_file.values() {
            let input = froyo_policy::input::check_document(&ir.hosts, resources.iter().copied());
            per_file += set.evaluate(Stage::Check, &input, &|_| true).findings.len();
        }
        let files = started.elapsed();
        findings = (whole.findings.len(), per_file);
        for (slot, value) in best.iter_mut().zip([loaded, once, files, loaded + files, built]) {
            *slot = (*slot).min(value);
        }
    }
    // Each policy alone over the whole IR (its input built already), to see
    // where the time goes.
    let set = PolicySet::load(Vec::new(), &data);
    let input = froyo_policy::input::check_document(&ir.hosts, ir.resources.iter());
    for policy in set.policies.iter().filter(|policy| policy.check) {
        let started = Instant::now();
        let found = set.evaluate(Stage::Check, &input, &|candidate| candidate.name == policy.name);
        println!(
            "  {:<24} {:>8.1} ms  {} findings",
            policy.name,
            ms(started.elapsed()),
            found.findings.len()
        );
    }
    println!(
        "{} resources, {} hosts, {} files: load {:.1} ms; whole IR {:.1} ms (input {:.1} ms, {} findings); per file {:.1} ms ({} findings); cold total (load + per file) {:.1} ms",
        ir.resources.len(),
        ir.hosts.len(),
        by_file.len(),
        ms(best[0]),
        ms(best[1]),
        ms(best[4]),
        findings.0,
        ms(best[2]),
        findings.1,
        ms(best[3]),
    );
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn small_ir() -> Ir {
    let text = r#"{"format":"froyo-ir","version":1,"hash":"","hosts":[],"resources":[{"id":"a","type":"linux.file","on":{},"properties":{"path":"/a","mode":"0666"},"require":[],"notify":[],"origin":{"file":"site.cue","start":0,"end":1,"language":"cue"}}]}"#;
    let ir: Ir = serde_json::from_str(text).expect("a small IR");
    Ir::new(ir.hosts, ir.resources)
}
