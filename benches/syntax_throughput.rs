//! Parse and format throughput on a generated 10 MB CUE file.
//!
//! Run with `cargo bench --bench syntax_throughput`. Prints MB/s for the
//! parser and the formatter (best of several runs) on this machine; the
//! figures the project tracks are recorded in docs/benchmarks.md. Set
//! `FROYO_BENCH_WRITE=path` to also write the generated file (used by
//! `bench/fmt-vs-cue` to compare with the reference `cue fmt`).

use std::time::{Duration, Instant};

// The same allocator as the `froyo` binary, so the figures match what users get.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A deterministic CUE file of about `target_bytes`, shaped like real
/// configuration: packages of resource-like structs with definitions,
/// defaults, constraints, lists, interpolation, comprehensions and comments.
fn generate(target_bytes: usize) -> String {
    let mut out = String::with_capacity(target_bytes + 4096);
    out.push_str("package bench\n\nimport \"strings\"\n\n");
    out.push_str("#Resource: {\n\tname: string\n\tkind: *\"file\" | \"dir\" | \"package\"\n\tmode: =~\"^0[0-7]{3}$\" | *\"0644\"\n\tsize?: int & >=0 & <=1Gi\n\tlabels: [string]: string\n\t...\n}\n\n");
    let mut index = 0usize;
    while out.len() < target_bytes {
        out.push_str(&format!(
            "// Resource number {index}.\nresource_{index}: #Resource & {{\n\tname: \"res-{index}\"\n\tkind: \"file\"\n\tmode: \"0{}\"\n\tsize: {}\n\tlabels: {{app: \"web\", tier: \"t{}\", \"quoted-key\": strings.ToUpper(\"x\")}}\n\tpath: \"/etc/app/\\(name)/conf-{index}.yaml\"\n\tports: [80, 443, 8000 + {}, ...int]\n\tenabled: true && !false\n\tratio: {}.5 * 2 / 3\n\tif size > 100 {{\n\t\tlarge: true\n\t}}\n\tfor k, v in labels {{\n\t\t\"label-\\(k)\": v\n\t}}\n}}\n\n",
            640 + index % 8,
            index * 7 % 100_000,
            index % 5,
            index % 100,
            index % 10,
        ));
        index += 1;
    }
    out
}

/// The best time of `runs` calls; results are dropped outside the timing.
fn best_of<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let start = Instant::now();
        let result = std::hint::black_box(f());
        best = best.min(start.elapsed());
        drop(result);
    }
    best
}

fn main() {
    // `cargo bench` passes `--bench`; under `cargo test --all-targets` this
    // runs as a quick smoke test on a small input.
    let full = std::env::args().any(|arg| arg == "--bench");
    let text = generate(if full { 10 * 1024 * 1024 } else { 64 * 1024 });
    if let Ok(path) = std::env::var("FROYO_BENCH_WRITE") {
        std::fs::write(&path, &text).expect("write generated file");
    }
    let megabytes = text.len() as f64 / (1024.0 * 1024.0);
    let parse = froyo_syntax::parse(&text);
    assert!(parse.errors().is_empty(), "generated file has errors: {:?}", &parse.errors()[..1]);
    drop(parse);

    let runs = if full { 5 } else { 1 };
    let lex_time = best_of(runs, || froyo_syntax::lexer::tokenize(&text));
    let parse_time = best_of(runs, || froyo_syntax::parse(&text));
    let format_time = best_of(runs, || froyo_fmt::format(&text).expect("format"));
    println!("input: {megabytes:.1} MiB generated CUE");
    println!(
        "lex:    {:>8.1} ms  {:>7.1} MB/s",
        lex_time.as_secs_f64() * 1e3,
        megabytes / lex_time.as_secs_f64()
    );
    println!(
        "parse:  {:>8.1} ms  {:>7.1} MB/s",
        parse_time.as_secs_f64() * 1e3,
        megabytes / parse_time.as_secs_f64()
    );
    println!(
        "format: {:>8.1} ms  {:>7.1} MB/s",
        format_time.as_secs_f64() * 1e3,
        megabytes / format_time.as_secs_f64()
    );
}
