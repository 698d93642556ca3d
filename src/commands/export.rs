//! `froyo export`: evaluate a CUE package and print it as JSON, YAML, JSON
//! Lines, CUE, TOML or raw text, as `cue export --out json|json+compact|yaml|jsonl|cue|toml|text`
//! does.
//!
//! The files come from [`froyo_loader::package`] as inputs of a [`froyo_db::Database`];
//! the value is its [`froyo_db::export_package`] query. The data goes to
//! stdout, exactly as the reference prints it (`froyo_eval::output`);
//! diagnostics (human or JSON lines) go to stderr. Exit 0 when the package
//! exported, 1 when files could not be read, did not parse, did not
//! evaluate to concrete data, or the data has no form in the format asked
//! for (`--out text` of a struct, `--out toml` of a list or of a null).
//!
//! Data files among the paths (`.json`, `.jsonl`, `.yaml`, `.toml`) are
//! unified with the package (`froyo_loader::data`); one that holds several
//! values (JSON Lines, YAML documents) is exported once per value, in order.

use std::io::{self, Write as _};

use crate::ExitStatus;
use crate::args::{ColorWhen, ExportArgs, ExportFormat};
use crate::commands::eval::{for_each_value, load_package, report};

pub fn run(args: &ExportArgs, color: ColorWhen) -> io::Result<ExitStatus> {
    let mut database = froyo_db::Database::default();
    let package = match load_package(
        &database,
        &args.paths,
        args.expression.as_deref(),
        args.format,
        color,
    ) {
        Ok(package) => package,
        Err(status) => return status,
    };
    // A data file of several values: the package once per value, the
    // results one after another (YAML documents separated by `---`).
    for_each_value(&mut database, &package, |database, index| {
        match froyo_db::export_package(database, package.input) {
            Ok(data) => {
                let text = match encode(data, args.out) {
                    Ok(text) => text,
                    Err(message) => {
                        crate::output::print_error(&message);
                        return Ok(ExitStatus::Failure);
                    }
                };
                let mut stdout = io::stdout().lock();
                if index > 0 && args.out == ExportFormat::Yaml {
                    stdout.write_all(b"---\n")?;
                }
                stdout.write_all(text.as_bytes())?;
                stdout.flush()?;
                Ok(ExitStatus::Success)
            }
            Err(diagnostics) => report(&package.files, diagnostics.clone(), args.format, color),
        }
    })
}

/// The text of `data` in `format`, or why the format cannot hold it.
fn encode(data: &froyo_eval::Data, format: ExportFormat) -> Result<String, String> {
    use froyo_eval::output;
    match format {
        ExportFormat::Json => Ok(output::to_json(data)),
        ExportFormat::Yaml => Ok(output::to_yaml(data)),
        // Go's compact JSON is the JSON Lines form: one line, no whitespace.
        ExportFormat::JsonCompact | ExportFormat::Jsonl => Ok(output::to_json_line(data)),
        ExportFormat::Cue => Ok(output::to_cue(data)),
        ExportFormat::Toml => output::to_toml(data),
        ExportFormat::Text => match data {
            froyo_eval::Data::String(text) if text.ends_with('\n') => Ok(text.clone()),
            froyo_eval::Data::String(text) => Ok(format!("{text}\n")),
            other => Err(format!(
                "--out text needs a string value, and this value is a {}; select a string with -e, or use another --out",
                other.kind_name()
            )),
        },
    }
}
