//! Formats one CUE file to stdout; with `--bench`, reports throughput instead.
//!
//! `cargo run --release -p froyo-fmt --example fmt_file -- [--bench] FILE`

use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let bench = args.iter().any(|a| a == "--bench");
    let Some(path) = args.iter().find(|a| !a.starts_with("--")) else {
        eprintln!("usage: fmt_file [--bench] FILE");
        std::process::exit(2);
    };
    let source = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("{path}: {e}");
        std::process::exit(2);
    });
    if args.iter().any(|a| a == "--parse-only") {
        let start = Instant::now();
        let parse = froyo_syntax::parse(&source);
        let seconds = start.elapsed().as_secs_f64();
        eprintln!("parse: {:.3} s ({} errors)", seconds, parse.errors().len());
        return;
    }
    let start = Instant::now();
    match froyo_fmt::format(&source) {
        Ok(out) => {
            if bench {
                let seconds = start.elapsed().as_secs_f64();
                let mb = source.len() as f64 / 1e6;
                let parse_start = Instant::now();
                drop(froyo_syntax::parse(&source));
                let parse_seconds = parse_start.elapsed().as_secs_f64();
                eprintln!(
                    "{mb:.2} MB in {seconds:.3} s = {:.1} MB/s end to end (parse {parse_seconds:.3} s; layout alone {:.1} MB/s; output {} bytes)",
                    mb / seconds,
                    mb / (seconds - parse_seconds).max(1e-9),
                    out.len()
                );
            } else {
                print!("{out}");
            }
        }
        Err(error) => {
            eprintln!("{path}: {error}");
            std::process::exit(1);
        }
    }
}
