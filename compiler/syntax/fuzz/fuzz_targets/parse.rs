//! Fuzzes the CUE parser: any UTF-8 input parses without panicking, the tree
//! prints back the input, and every error range lies inside it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let parse = froyo_syntax::parse(text);
        assert_eq!(parse.syntax_node().to_string(), text);
        for error in parse.errors() {
            assert!(usize::from(error.range.end()) <= text.len());
        }
    }
});
