//! `froyo build`: compile a workspace into the resource IR and write it.
//!
//! The IR goes to the file given with `-o` (`site.ir` by default, `-` for
//! standard output) only when the workspace has no error; diagnostics go to
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
    let roots = crate::compile::roots(&current_dir, &args.paths, &[]);
    let root = match roots.as_slice() {
        [root] => root.clone(),
        [] => {
            output::print_error(
                "no workspace here: a workspace is a directory with cue.mod/module.cue (create one, or name its directory)",
            );
            return Ok(ExitStatus::Error);
        }
        _ => {
            output::print_error("`froyo build` builds one workspace at a time; name one");
            return Ok(ExitStatus::Error);
        }
    };
    let database = froyo_db::Database::default();
    let loaded = match crate::compile::load(&database, &current_dir, &root) {
        Ok(loaded) => loaded,
        Err((files, diagnostics)) => {
            let mut stderr = io::stderr().lock();
            output::write_diagnostics(
                &mut stderr,
                &files,
                &diagnostics,
                args.format,
                output::stderr_color(color),
            )?;
            return Ok(ExitStatus::Failure);
        }
    };
    let compiled = froyo_db::compile_workspace(&database, loaded.input);
    let mut diagnostics = loaded.diagnostics.clone();
    diagnostics.extend(compiled.diagnostics.iter().cloned());
    super::check::sort_diagnostics(&mut diagnostics);
    {
        let mut stderr = io::stderr().lock();
        output::write_diagnostics(
            &mut stderr,
            &loaded.files,
            &diagnostics,
            args.format,
            output::stderr_color(color),
        )?;
    }
    let tally = output::Tally::of(&diagnostics);
    let ir = froyo_db::workspace_ir(&database, loaded.input);
    let Some(ir) = ir.as_ref().filter(|_| tally.errors == 0) else {
        output::print_status(&format!(
            "error: {}; no IR written",
            output::count(tally.errors.max(1), "error")
        ));
        return Ok(ExitStatus::Failure);
    };
    let text = ir.to_json();
    if args.output == Path::new("-") {
        let mut stdout = io::stdout().lock();
        stdout.write_all(text.as_bytes())?;
        stdout.flush()?;
    } else if let Err(error) = std::fs::write(&args.output, &text) {
        output::print_error(&format!("cannot write {}: {error}", args.output.display()));
        return Ok(ExitStatus::Error);
    } else {
        output::print_status(&format!(
            "built {} ({} {}, {} {}, {})",
            args.output.display(),
            ir.hosts.len(),
            if ir.hosts.len() == 1 { "host" } else { "hosts" },
            ir.resources.len(),
            if ir.resources.len() == 1 { "resource" } else { "resources" },
            ir.hash
        ));
    }
    Ok(ExitStatus::Success)
}
