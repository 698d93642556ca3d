//! JSON and YAML text of concrete [`Data`], byte for byte as
//! `cue export --out json` and `cue export --out yaml` of CUE v0.4.0-beta.1
//! print it; also JSON Lines, CUE and TOML text (`--out jsonl|cue|toml`,
//! which v0.4 did not have: see `cue.rs` and `toml.rs`).
//!
//! JSON is what Go's `encoding/json` encoder prints with a four-space indent
//! and HTML escaping on (`<`, `>` and `&` become `\u003c`, `\u003e` and
//! `\u0026`; control characters other than tab, newline and carriage return
//! become `\u00XX`; U+2028 and U+2029 are escaped too). Numbers print through
//! [`Number`](crate::num::Number)'s `Display`, bytes as standard base64.
//!
//! YAML is what CUE's encoder hands to `gopkg.in/yaml.v3` (the version CUE
//! v0.4.0-beta.1 pins) with an indent of two: [`to_yaml`] is a port of the
//! parts of that library's emitter that concrete data reaches. A string is
//! written plain when YAML would read it back as the same string, in double
//! quotes when it would read as something else (`"true"`, `"1"`,
//! `"2001-12-14"`), as a literal block (`|-`) when it has a newline, and
//! otherwise in whatever style the emitter's scalar analysis allows. Long
//! plain and quoted strings are folded at spaces past column 80, as the
//! emitter does. Bytes that are valid UTF-8 print as strings (CUE hands them
//! to YAML as text), other bytes as `!!binary` base64.
//!
//! Not here: evaluation (the data is concrete already) and comments (`Data`
//! has none). Recursion follows the data's nesting, which the evaluator bounds
//! ([`Limits`](crate::Limits)).

use crate::data::Data;

mod cue;
mod json;
mod toml;
mod yaml;
mod yaml_resolve;

#[cfg(test)]
mod tests;

/// The JSON text of `data`, with a trailing newline.
pub fn to_json(data: &Data) -> String {
    json::to_json(data)
}

/// The JSON text of `data` on one line (JSON Lines), with a trailing newline.
pub fn to_json_line(data: &Data) -> String {
    json::to_json_line(data)
}

/// The CUE text of `data`, with a trailing newline.
pub fn to_cue(data: &Data) -> String {
    cue::to_cue(data)
}

/// The TOML text of `data`, or why TOML cannot hold it (not a struct, a
/// null, an integer past 64 bits).
pub fn to_toml(data: &Data) -> Result<String, String> {
    toml::to_toml(data)
}

/// The YAML text of `data`, with a trailing newline.
pub fn to_yaml(data: &Data) -> String {
    yaml::to_yaml(data)
}
