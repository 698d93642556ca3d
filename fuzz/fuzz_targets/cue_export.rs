//! CUE text → `froyo export`'s evaluation: a value or diagnostics, never a
//! panic, whatever the bytes.
#![no_main]

use froyo_eval::{EvalOptions, Limits, SourceFile, export};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let files = [SourceFile { name: "fuzz.cue".into(), text: text.into_owned() }];
    // Smaller bounds than the CLI's, so that one input stays well under the timeout.
    let limits = Limits { max_steps: 200_000, max_vertices: 100_000, ..Limits::default() };
    let options = EvalOptions { limits, ..EvalOptions::default() };
    let _ = export(&files, &options);
});
