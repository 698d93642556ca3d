//! The protocol loop: handshake, then batches, until `bye` or end of input.
//!
//! One line in, one [`Request`]. Before the handshake only `hello` is
//! accepted; a different protocol version gets `fatal` and exit code
//! [`EXIT_VERSION`]; a line that is not a request gets `fatal` and
//! [`EXIT_PROTOCOL`]. Batches run one at a time; within a batch, items run in
//! parallel and each `item` line goes out as soon as it is done, then `done`.
//!
//! Boundary: `serve` takes any reader and [`Output`], so tests drive it
//! without a process.

use std::io::BufRead;

use froyo_runner_protocol::{PROTOCOL_VERSION, Probe, Request, Response};

use crate::output::Output;
use crate::{apply, batch, facts, probe};

pub const EXIT_OK: i32 = 0;
pub const EXIT_VERSION: i32 = 1;
pub const EXIT_PROTOCOL: i32 = 2;
/// Stdout broke: the engine is gone.
pub const EXIT_OUTPUT: i32 = 3;

/// Worker threads for a probe batch (commands and HTTP wait; stat is cheap).
pub const PROBE_WORKERS: usize = 8;

/// Serves one session; returns the process exit code.
pub fn serve(mut input: impl BufRead, output: &Output) -> i32 {
    let mut greeted = false;
    let mut line = Vec::new();
    let mut line_number = 0u64;
    loop {
        if output.is_broken() {
            return EXIT_OUTPUT;
        }
        line.clear();
        match input.read_until(b'\n', &mut line) {
            Ok(0) => return EXIT_OK,
            Ok(_) => {}
            Err(error) => {
                eprintln!("froyo-runner: cannot read stdin ({error})");
                return EXIT_PROTOCOL;
            }
        }
        line_number += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let request = match serde_json::from_slice::<Request>(&line) {
            Ok(request) => request,
            Err(error) => {
                return fatal(
                    output,
                    EXIT_PROTOCOL,
                    format!("line {line_number} is not a request: {error}"),
                );
            }
        };
        match request {
            Request::Hello { protocol } if !greeted => {
                if protocol != PROTOCOL_VERSION {
                    return fatal(
                        output,
                        EXIT_VERSION,
                        format!(
                            "protocol version {protocol} is not supported: froyo-runner {} speaks version {PROTOCOL_VERSION}",
                            env!("CARGO_PKG_VERSION")
                        ),
                    );
                }
                greeted = true;
                output.send(&Response::Hello {
                    protocol: PROTOCOL_VERSION,
                    runner: env!("CARGO_PKG_VERSION").to_owned(),
                    arch: std::env::consts::ARCH.to_owned(),
                    facts: facts::gather(),
                });
            }
            Request::Hello { .. } => {
                return fatal(
                    output,
                    EXIT_PROTOCOL,
                    format!("line {line_number}: hello sent twice"),
                );
            }
            Request::Bye => return EXIT_OK,
            _ if !greeted => {
                return fatal(
                    output,
                    EXIT_PROTOCOL,
                    format!("line {line_number}: expected hello first"),
                );
            }
            Request::Probe { batch, items } => {
                let items = items.into_iter().map(|item| (item.id, item.probe)).collect();
                batch::run(
                    items,
                    PROBE_WORKERS,
                    describe_probe,
                    probe::probe_item,
                    |id, outcome| {
                        output.send(&Response::Item { batch, id, outcome });
                    },
                );
                output.send(&Response::Done { batch });
            }
            Request::Apply { batch, parallelism, items } => {
                let items = items.into_iter().map(|item| (item.id, item.ops)).collect();
                let workers = usize::try_from(parallelism).unwrap_or(batch::MAX_WORKERS);
                batch::run(
                    items,
                    workers,
                    |ops| describe_ops(ops),
                    |ops| apply::apply_item(ops),
                    |id, outcome| {
                        output.send(&Response::Item { batch, id, outcome });
                    },
                );
                output.send(&Response::Done { batch });
            }
        }
    }
}

fn fatal(output: &Output, code: i32, message: String) -> i32 {
    eprintln!("froyo-runner: {message}");
    output.send(&Response::Fatal { message });
    code
}

fn describe_probe(probe: &Probe) -> String {
    match probe {
        Probe::Stat { path, .. } => format!("stat {path}"),
        Probe::Command(command) => format!("run {}", crate::command::describe(&command.argv)),
        Probe::Http { url, method, .. } => format!("http {method} {url}"),
    }
}

fn describe_ops(ops: &[froyo_runner_protocol::Op]) -> String {
    let paths: Vec<String> = ops
        .iter()
        .map(|op| match op.path() {
            Some(path) => path.to_owned(),
            None => op
                .commands()
                .first()
                .map(|command| crate::command::describe(&command.argv))
                .unwrap_or_default(),
        })
        .collect();
    format!("apply [{}]", paths.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};
    use std::sync::{Arc, Mutex};

    /// A writer tests can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, buffer: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(buffer)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn session(input: &str) -> (i32, Vec<String>) {
        let written = Shared::default();
        let output = Output::new(Box::new(written.clone()));
        let code = serve(Cursor::new(input.as_bytes().to_vec()), &output);
        let text = String::from_utf8(written.0.lock().unwrap().clone()).unwrap();
        (code, text.lines().map(|line| line.chars().take(60).collect()).collect())
    }

    #[test]
    fn handshake_rules() {
        let (code, lines) = session("{\"type\":\"hello\",\"protocol\":99}\n");
        assert_eq!(code, EXIT_VERSION);
        assert_eq!(lines, [r#"{"type":"fatal","message":"protocol version 99 is not suppor"#]);

        let (code, lines) = session("{\"type\":\"bye\"}\n");
        assert_eq!((code, lines.len()), (EXIT_OK, 0));

        let (code, lines) = session("{\"type\":\"probe\",\"batch\":1,\"items\":[]}\n");
        assert_eq!(code, EXIT_PROTOCOL);
        assert_eq!(lines, [r#"{"type":"fatal","message":"line 1: expected hello first"}"#]);

        let (code, lines) = session("{\"type\":\"hello\",\"protocol\":1}\n\nnot json\n");
        assert_eq!(code, EXIT_PROTOCOL);
        assert!(lines[0].starts_with(r#"{"type":"hello","protocol":1,"runner":"#));
        assert_eq!(lines[1], r#"{"type":"fatal","message":"line 3 is not a request: expected"#);

        let (code, lines) = session(
            "{\"type\":\"hello\",\"protocol\":1}\n{\"type\":\"probe\",\"batch\":4,\"items\":[]}\n",
        );
        assert_eq!(code, EXIT_OK);
        assert_eq!(lines[1], r#"{"type":"done","batch":4}"#);
    }
}
