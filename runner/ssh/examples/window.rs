//! Starts the runner on one host over and over, with froyo's channel window
//! and packet sizes and with russh's defaults, cold (the runner uploaded)
//! and warm (cached), interleaved; prints the median of each.
//!
//! Run by `bench/ssh-window/run`, which brings up a test host:
//!
//! ```text
//! window ADDRESS IDENTITY_FILE KNOWN_HOSTS RUNNER_CACHE_DIR ROUNDS
//! ```

use std::path::PathBuf;
use std::time::Instant;

use froyo_ssh::{Options, Runner, SshTransport, Target};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [address, identity, known_hosts, cache, rounds] = args.as_slice() else {
        eprintln!("usage: window ADDRESS IDENTITY_FILE KNOWN_HOSTS RUNNER_CACHE_DIR ROUNDS");
        std::process::exit(2);
    };
    let rounds: usize = rounds.parse().unwrap_or_else(|_| {
        eprintln!("ROUNDS must be a number, not {rounds:?}");
        std::process::exit(2)
    });
    let runner = Runner {
        bytes: froyo_runner_client::runner_binary(),
        sha256: froyo_runner_client::runner_sha256(),
    };
    let target = Target {
        name: "bench".to_string(),
        address: Some(address.clone()),
        user: Some("root".to_string()),
        identity_file: Some(PathBuf::from(identity)),
        jump: Some("none".to_string()),
        ..Target::default()
    };
    let russh = russh::client::Config::default();
    let froyo = Options::for_current_user();
    let configurations = [
        ("froyo", froyo.window_size, froyo.maximum_packet_size),
        ("russh defaults", russh.window_size, russh.maximum_packet_size),
    ];
    let transports: Vec<SshTransport> = configurations
        .iter()
        .map(|&(_, window_size, maximum_packet_size)| {
            let mut options = Options::for_current_user();
            options.window_size = window_size;
            options.maximum_packet_size = maximum_packet_size;
            options.workspace_known_hosts = Some(PathBuf::from(known_hosts));
            options.user_config = None;
            options.system_config = None;
            SshTransport::new(options).expect("an SSH transport")
        })
        .collect();
    let mut times = vec![(Vec::new(), Vec::new()); configurations.len()];
    for _ in 0..rounds {
        for (index, transport) in transports.iter().enumerate() {
            for warm in [false, true] {
                if !warm {
                    let _ = std::fs::remove_dir_all(PathBuf::from(cache).join("froyo"));
                }
                let start = Instant::now();
                let session = transport.start_runner(&target, &runner).unwrap_or_else(|error| {
                    eprintln!("cannot start the runner: {error}");
                    std::process::exit(1)
                });
                let elapsed = start.elapsed().as_secs_f64() * 1000.0;
                let _ = session.close();
                let (cold, warm_times) = &mut times[index];
                if warm { warm_times.push(elapsed) } else { cold.push(elapsed) }
            }
        }
    }
    println!(
        "runner {} KiB, {rounds} rounds interleaved, median start time (connect, authenticate, upload when cold, handshake)",
        runner.bytes.len() / 1024
    );
    println!("| channel settings | window | max packet | cold ms | warm ms |");
    println!("|---|---|---|---|---|");
    for ((name, window, packet), (cold, warm)) in configurations.iter().zip(&mut times) {
        println!(
            "| {name} | {} KiB | {packet} | {:.1} | {:.1} |",
            window / 1024,
            median(cold),
            median(warm)
        );
    }
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
