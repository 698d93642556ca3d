//! `froyo lsp`: the language server on standard input and output (the
//! `froyo-lsp` crate does the work).

use std::io;

use crate::ExitStatus;

pub fn run() -> io::Result<ExitStatus> {
    froyo_lsp::run_stdio()?;
    Ok(ExitStatus::Success)
}
