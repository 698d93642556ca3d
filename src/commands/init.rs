//! `froyo init [DIR]`: writes a new workspace that checks clean and applies.
//!
//! The workspace is a CUE module (`cue.mod/module.cue`) with one local host
//! (`hosts.cue`), one resource (`site.cue`: a file inside the workspace) and a
//! `.gitignore` for the state directory and plan files. It never overwrites:
//! when any of those files exists, it writes nothing and says which.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::ExitStatus;
use crate::args::InitArgs;
use crate::output;

/// The files `init` writes, relative to the workspace, in the order written.
const FILES: &[&str] = &["cue.mod/module.cue", "hosts.cue", "site.cue", ".gitignore"];

pub fn run(args: &InitArgs) -> io::Result<ExitStatus> {
    let Some(current) = super::current_dir() else { return Ok(ExitStatus::Error) };
    let directory = match &args.directory {
        Some(directory) if directory.is_absolute() => directory.clone(),
        Some(directory) => current.join(directory),
        None => current,
    };
    let existing: Vec<&str> = FILES
        .iter()
        .copied()
        .filter(|file| directory.join(file).symlink_metadata().is_ok())
        .collect();
    if !existing.is_empty() {
        output::print_error(&format!(
            "{} already has {}; froyo init writes a new workspace and overwrites nothing",
            directory.display(),
            existing.join(", ")
        ));
        return Ok(ExitStatus::Error);
    }
    let Some(directory_text) = directory.to_str() else {
        output::print_error(&format!(
            "{} is not valid UTF-8; CUE files cannot name it",
            directory.display()
        ));
        return Ok(ExitStatus::Error);
    };
    let contents = [
        module_file(&directory),
        HOSTS.to_string(),
        site_file(directory_text),
        GITIGNORE.to_string(),
    ];
    for (file, text) in FILES.iter().zip(&contents) {
        let path = directory.join(file);
        if let Err(error) = write_new(&path, text) {
            output::print_error(&format!("cannot write {}: {error}", path.display()));
            return Ok(ExitStatus::Error);
        }
    }
    let shown = shown_path(&args.directory);
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "Created a froyo workspace in {}:", directory.display())?;
    for file in FILES {
        writeln!(stdout, "  {file}")?;
    }
    writeln!(
        stdout,
        "Next: `froyo check{shown}`, then `froyo plan{shown}` and `froyo apply{shown}`."
    )?;
    writeln!(
        stdout,
        "Every resource type and its fields are listed in docs/resources.md of froyo's repository."
    )?;
    stdout.flush()?;
    Ok(ExitStatus::Success)
}

/// ` DIR` as the user wrote it, for the suggested commands.
fn shown_path(directory: &Option<PathBuf>) -> String {
    match directory {
        Some(directory) => format!(" {}", directory.display()),
        None => String::new(),
    }
}

/// Creates `path` (and its parent directories) with `text`; fails if it exists.
fn write_new(path: &Path, text: &str) -> io::Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).open(path)?;
    file.write_all(text.as_bytes())?;
    file.flush()
}

/// `cue.mod/module.cue`, with a module path from the directory's name.
fn module_file(directory: &Path) -> String {
    let name: String = directory
        .file_name()
        .map(|name| name.to_string_lossy().to_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|character| if character.is_ascii_alphanumeric() { character } else { '-' })
        .collect();
    let name = name.trim_matches('-');
    let name = if name.is_empty() { "site" } else { name };
    format!("module: \"example.com/{name}\"\n")
}

const HOSTS: &str = r#"package site

// The machines this workspace manages. `localhost` is the one froyo runs on;
// add machines reached over SSH beside it, such as
//     web1: {address: "192.0.2.10", labels: role: "web"}
// (see the `#Host` schema in docs/resources.md).
hosts: localhost: {
	transport: "local"
	labels: role: "workstation"
}
"#;

/// `site.cue`: one file, written inside the workspace (`directory`).
fn site_file(directory: &str) -> String {
    let quoted = directory.replace('\\', "\\\\").replace('"', "\\\"");
    format!(
        r#"package site

import "froyo.dev/linux"

// What this workspace manages: each entry is a resource with a type, such as
// `linux.#File`, `linux.#Package` or `linux.#Service` (see docs/resources.md).
// `on` selects the hosts it applies to by their labels.
resources: {{
	hello: linux.#File & {{
		on: role: "workstation"
		path:    "{quoted}/hello.txt"
		content: "Hello from froyo.\n"
		mode:    "0644"
	}}
}}
"#
    )
}

const GITIGNORE: &str = "# froyo's state database and lock, and what `froyo plan -o` and `froyo build` write.\n\
                         .froyo/\n\
                         *.plan\n\
                         site.ir\n";
