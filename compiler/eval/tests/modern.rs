//! Today's CUE (v0.10 and later) where it differs from v0.4 or v0.4 got it
//! wrong: each `test_data/modern/NAME.cue` is one package, exported as
//! `froyo export` would, and compared byte for byte with `NAME.json`, or,
//! for a case that must fail, checked to fail with every line of
//! `NAME.error` somewhere in its messages.
//!
//! The reference the other tests run (CUE v0.4.0-beta.1) cannot judge these
//! cases: each `.cue` file says in its first comment that its expected
//! output is written from today's CUE documentation, and what v0.4 does.

#[path = "support/cases.rs"]
mod cases;

#[test]
fn modern_cases() {
    cases::run_cases("modern");
}
