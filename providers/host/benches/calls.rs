//! Measures the host: `Host::new` with an empty cache (compiling every
//! component) and with a warm one, then the provider overhead of one
//! `linux.file` resource after warm-up: its `probe` call, its `plan` call
//! (a fresh store and instance each), and the two together, which is what
//! the engine spends per resource. Prints its numbers; run with
//! `cargo bench -p froyo-providers --bench calls`
//! (`FROYO_BENCH_CALLS=N` for another number of timed resources).

use std::time::{Duration, Instant};

use froyo_provider_api::{Facts, PlanRequest, ProbeOutcome, ProbeRequest, ProbeResult, Stat};
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

    let properties = serde_json::json!({"path": "/etc/motd", "content": "hello\n", "mode": "0644"})
        .as_object()
        .cloned()
        .unwrap_or_default();
    let probe = ProbeRequest { properties: properties.clone(), facts: Facts::default() };
    let plan = PlanRequest {
        properties,
        facts: Facts::default(),
        probes: vec![ProbeOutcome::Ok(ProbeResult::Stat(Stat::default()))],
        notified: false,
    };
    let n: usize =
        std::env::var("FROYO_BENCH_CALLS").ok().and_then(|v| v.parse().ok()).unwrap_or(5_000);
    for _ in 0..500 {
        let _ = host.probe("linux.file", &probe);
        let _ = host.plan("linux.file", &plan);
    }
    let mut probes = Vec::with_capacity(n);
    let mut plans = Vec::with_capacity(n);
    let mut both = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        if let Err(e) = host.probe("linux.file", &probe) {
            eprintln!("probe failed: {e}");
            return;
        }
        let probed = t.elapsed();
        let t = Instant::now();
        if let Err(e) = host.plan("linux.file", &plan) {
            eprintln!("plan failed: {e}");
            return;
        }
        let planned = t.elapsed();
        probes.push(probed);
        plans.push(planned);
        both.push(probed + planned);
    }
    report("probe(linux.file)", &mut probes);
    report("plan(linux.file)", &mut plans);
    report("per resource (probe + plan)", &mut both);
    let _ = std::fs::remove_dir_all(&dir);
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let n = samples.len().max(1);
    let mean = samples.iter().sum::<Duration>() / n as u32;
    let at =
        |q: f64| samples.get(((n as f64 * q) as usize).min(n - 1)).copied().unwrap_or_default();
    println!(
        "{what:<28} p50 {:>9.1?}  p90 {:>9.1?}  p99 {:>9.1?}  mean {:>9.1?}  ({n} samples)",
        at(0.5),
        at(0.9),
        at(0.99),
        mean
    );
}
