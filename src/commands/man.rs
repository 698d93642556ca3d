//! `froyo man --out DIR` (hidden): the manual pages, one per command and
//! subcommand (`froyo.1`, `froyo-check.1`, `froyo-state-list.1`, …),
//! generated with clap_mangen from the same clap definition as `--help`, so
//! the two cannot disagree. Hidden commands (this one) get no page.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use clap::CommandFactory as _;

use crate::ExitStatus;
use crate::args::{Cli, ManArgs};
use crate::output;

pub fn run(args: &ManArgs) -> io::Result<ExitStatus> {
    if let Err(error) = fs::create_dir_all(&args.out) {
        output::print_error(&format!("cannot create {}: {error}", args.out.display()));
        return Ok(ExitStatus::Error);
    }
    // As `clap_mangen::generate_to` does: built once from the root, so each
    // subcommand's page is named after its full path (`froyo-state-list`).
    let mut command = Cli::command().disable_help_subcommand(true);
    command.build();
    let mut written = Vec::new();
    if let Err(error) = generate(command, &args.out, &mut written) {
        output::print_error(&format!(
            "cannot write the manual pages to {}: {error}",
            args.out.display()
        ));
        return Ok(ExitStatus::Error);
    }
    output::print_status(&format!(
        "wrote {} manual pages to {}",
        written.len(),
        args.out.display()
    ));
    Ok(ExitStatus::Success)
}

/// Writes the page of `command` and of each of its visible subcommands, depth first.
fn generate(
    command: clap::Command,
    directory: &Path,
    written: &mut Vec<PathBuf>,
) -> io::Result<()> {
    for subcommand in command.get_subcommands().filter(|subcommand| !subcommand.is_hide_set()) {
        generate(subcommand.clone(), directory, written)?;
    }
    written.push(clap_mangen::Man::new(command).generate_to(directory)?);
    Ok(())
}
