//! `froyo graph`: the dependency graph of the workspace's instances.
//!
//! DOT by default; `--format svg` pipes it through Graphviz's `dot`, and says
//! how to get it when it is not installed.

use std::io::{self, Write as _};
use std::process::{Command, Stdio};

use crate::ExitStatus;
use crate::args::{ColorWhen, GraphArgs, GraphFormat, OutputFormat};
use crate::output;

pub fn run(args: &GraphArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(current_dir) = super::current_dir() else {
        return Ok(ExitStatus::Error);
    };
    let (root, ir) = match crate::compile::build_ir(
        &current_dir,
        &args.paths,
        OutputFormat::Human,
        color,
        "no graph drawn",
    )? {
        Ok(built) => built,
        Err(status) => return Ok(status),
    };
    let graph = match froyo_engine::graph_of(&ir, &root) {
        Ok(graph) => graph,
        Err(error) => {
            output::print_error(&error);
            return Ok(ExitStatus::Failure);
        }
    };
    let dot = graph.to_dot();
    let bytes = match args.format {
        GraphFormat::Dot => dot.into_bytes(),
        GraphFormat::Svg => match svg(&dot) {
            Ok(svg) => svg,
            Err(message) => {
                output::print_error(&message);
                return Ok(ExitStatus::Error);
            }
        },
    };
    match &args.output {
        Some(path) => {
            if let Err(error) = std::fs::write(path, &bytes) {
                output::print_error(&format!("cannot write {}: {error}", path.display()));
                return Ok(ExitStatus::Error);
            }
        }
        None => {
            let mut stdout = io::stdout().lock();
            stdout.write_all(&bytes)?;
            stdout.flush()?;
        }
    }
    Ok(ExitStatus::Success)
}

/// Renders DOT to SVG with Graphviz's `dot` (`FROYO_DOT` names another binary).
fn svg(dot: &str) -> Result<Vec<u8>, String> {
    let program = std::env::var("FROYO_DOT").unwrap_or_else(|_| "dot".to_string());
    let mut child = Command::new(&program)
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| {
            if error.kind() == io::ErrorKind::NotFound {
                format!(
                    "`--format svg` needs Graphviz's `{program}`, which is not installed (Debian: `apt-get install graphviz`); `--format dot` prints the graph without it"
                )
            } else {
                format!("cannot run `{program}`: {error}")
            }
        })?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(dot.as_bytes())
            .map_err(|error| format!("cannot write to `{program}`: {error}"))?;
    }
    let output =
        child.wait_with_output().map_err(|error| format!("`{program}` failed: {error}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{program} -Tsvg` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}
