//! The saved-plan reader (`froyo apply FILE`): any bytes as a plan file, and
//! any JSON sealed with the state's key (so that what lies behind the MAC is
//! reached too), read or refused with a plan error, never a panic; a plan
//! that reads writes back to a file that reads as the same plan.
#![no_main]

use froyo_engine::Plan;
use froyo_state::State;
use libfuzzer_sys::fuzz_target;

struct Fixture {
    _directory: tempfile::TempDir,
    state: State,
}

thread_local! {
    // libFuzzer runs the target on one thread; a state is not shared.
    static FIXTURE: Fixture = {
        let directory = tempfile::tempdir().expect("a temporary directory");
        let state = State::open(&directory.path().join("state.db")).expect("a new state");
        Fixture { _directory: directory, state }
    };
}

fuzz_target!(|data: &[u8]| FIXTURE.with(|fixture| read(data, &fixture.state)));

fn read(data: &[u8], state: &State) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // As it is: almost always refused at the MAC.
    let _ = Plan::from_file_text(text, state);
    // Sealed: the format, version, structure and references are checked.
    let Ok(document) = serde_json::from_str::<serde_json::Value>(text) else { return };
    // Only a plan the state recorded is current; record the one it names.
    if let Some(id) = document.get("id").and_then(|id| id.as_str()) {
        let _ = state.save_plan(id, "", 0, "{}");
    }
    let sealed = Plan::seal_document(document, state);
    let Ok(plan) = Plan::from_file_text(&sealed, state) else { return };
    let again = plan.to_file_text(state);
    match Plan::from_file_text(&again, state) {
        Ok(read) => assert_eq!(read, plan),
        Err(error) => panic!("a plan that read does not read back: {error}"),
    }
}
