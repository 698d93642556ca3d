//! Measures the host: `Host::new` with an empty cache (compiling every
//! component) and with a warm one, and the per-call overhead of `plan` for
//! `linux.file` after warm-up (fresh store and instance per call). Prints
//! its numbers; run with `cargo bench -p froyo-providers --bench calls`.

use std::time::{Duration, Instant};

use froyo_provider_api::{Facts, PlanRequest, ProbeOutcome, ProbeResult, Stat};
use froyo_providers::{Host, HostOptions};

fn main() {
    let dir = std::env::temp_dir().join(format!("froyo-bench-cache-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = HostOptions { cache_dir: Some(dir.clone()), ..HostOptions::default() };

    let t = Instant::now();
    let cold = Host::new(options.clone());
    let cold_time = t.elapsed();
    drop(cold);
    let t = Instant::now();
    let host = match Host::new(options) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("cannot start the host: {e}");
            return;
        }
    };
    let warm_time = t.elapsed();
    println!("Host::new cold (empty cache): {cold_time:?}");
    println!("Host::new warm (cached):      {warm_time:?}");

    let request = PlanRequest {
        properties: serde_json::json!({"path": "/etc/motd", "content": "hello\n", "mode": "0644"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        facts: Facts::default(),
        probes: vec![ProbeOutcome::Ok(ProbeResult::Stat(Stat::default()))],
        notified: false,
    };
    for _ in 0..200 {
        let _ = host.plan("linux.file", &request);
    }
    let n = 5_000u32;
    let t = Instant::now();
    for _ in 0..n {
        if let Err(e) = host.plan("linux.file", &request) {
            eprintln!("plan failed: {e}");
            return;
        }
    }
    let per_call = t.elapsed() / n;
    println!("plan(linux.file) per call:    {per_call:?} (mean of {n})");
    let mut samples: Vec<Duration> = (0..1000)
        .map(|_| {
            let t = Instant::now();
            let _ = host.plan("linux.file", &request);
            t.elapsed()
        })
        .collect();
    samples.sort();
    println!("plan(linux.file) p50 {:?}, p99 {:?}", samples[500], samples[990]);
    let _ = std::fs::remove_dir_all(&dir);
}
