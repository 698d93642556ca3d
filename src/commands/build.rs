//! `froyo build`: compile a workspace into the resource IR and write it.
//!
//! The IR goes to the file given with `-o` (`site.ir` in the workspace by
//! default, `-` for standard output) only when the workspace has no error; diagnostics go to
//! stderr. Exit 0 when the IR was written, 1 when the workspace has errors,
//! 2 when there is no workspace or the file cannot be written.

use std::io::{self, Write as _};
use std::path::Path;

use crate::ExitStatus;
use crate::args::{BuildArgs, ColorWhen};
use crate::output;

pub fn run(args: &BuildArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let Some(current_dir) = super::current_dir() else {
        return Ok(ExitStatus::Error);
    };
    let (root, ir) = match crate::compile::build_ir(
        &current_dir,
        &args.paths,
        args.format,
        color,
        "no IR written",
    )? {
        Ok(built) => built,
        Err(status) => return Ok(status),
    };
    let text = ir.to_json();
    let output_path = match &args.output {
        Some(path) if path == Path::new("-") => {
            let mut stdout = io::stdout().lock();
            stdout.write_all(text.as_bytes())?;
            stdout.flush()?;
            return Ok(ExitStatus::Success);
        }
        Some(path) => current_dir.join(path),
        None => root.join("site.ir"),
    };
    // The IR holds sensitive values in clear: private to its owner, like a saved plan.
    if let Err(error) = crate::hosts::write_private(&output_path, &text) {
        output::print_error(&format!("cannot write {}: {error}", output_path.display()));
        return Ok(ExitStatus::Error);
    }
    let shown = output_path.strip_prefix(&current_dir).unwrap_or(&output_path);
    output::print_status(&format!(
        "built {} ({} {}, {} {}, {})",
        shown.display(),
        ir.hosts.len(),
        if ir.hosts.len() == 1 { "host" } else { "hosts" },
        ir.resources.len(),
        if ir.resources.len() == 1 { "resource" } else { "resources" },
        ir.hash
    ));
    Ok(ExitStatus::Success)
}
