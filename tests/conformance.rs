//! The CUE conformance corpus as a test: runs
//! `../shared/conformance/cue/run-conformance --cmd "<froyo> export" public`
//! against the `froyo` binary of this build and checks the score.
//!
//! The test fails when the number of passing cases drops below the baseline
//! in `tests/conformance-baseline.txt` (one integer), or when any case
//! crashed (a panic, a signal, exit 101). Raise the baseline to the printed
//! score when the evaluator gets better: it is a floor, never a target.
//!
//! Needs `python3` and the corpus next to the repository
//! (`../shared/conformance/cue/`, or `$FROYO_CONFORMANCE_DIR`), which a plain
//! clone does not have. Without them the test passes with a printed skip
//! reason, unless `FROYO_REQUIRE_CONFORMANCE=1` (set by `.ci/run`).

use std::fs;
use std::path::Path;
use std::process::Command;

#[path = "support/conformance_corpus.rs"]
mod conformance_corpus;

use conformance_corpus::{conformance_dir, public_cases, skip_without_corpus};

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One case of the runner's `--report` file.
#[derive(Debug)]
struct CaseResult {
    case: String,
    ok: bool,
    reason: String,
}

fn read_report(path: &Path) -> Vec<CaseResult> {
    let text = fs::read_to_string(path).expect("the runner wrote its report");
    let value: serde_json::Value = serde_json::from_str(&text).expect("the report is JSON");
    value
        .as_array()
        .expect("the report is a list of cases")
        .iter()
        .map(|case| CaseResult {
            case: case["case"].as_str().unwrap_or("?").to_string(),
            ok: case["ok"].as_bool().unwrap_or(false),
            reason: case["reason"].as_str().unwrap_or("").to_string(),
        })
        .collect()
}

/// `N passed, N failed`, the runner's last line.
fn parse_summary(stdout: &str) -> Option<(usize, usize)> {
    let line = stdout.lines().rev().find(|line| line.contains(" passed, "))?;
    let (passed, rest) = line.split_once(" passed, ")?;
    let failed = rest.strip_suffix(" failed")?;
    Some((passed.trim().parse().ok()?, failed.trim().parse().ok()?))
}

/// Quotes a path for the runner's `shlex.split`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

#[test]
fn conformance_public_corpus() {
    const TEST: &str = "the conformance score";
    let Some(corpus) = public_cases(TEST) else { return };
    let runner = conformance_dir().join("run-conformance");
    if !runner.is_file() {
        skip_without_corpus(TEST, &format!("the corpus has no runner at {}", runner.display()));
        return;
    }
    if Command::new("python3").arg("--version").output().is_err() {
        skip_without_corpus(TEST, "python3 cannot be run");
        return;
    }
    let baseline: usize =
        fs::read_to_string(repository_root().join("tests/conformance-baseline.txt"))
            .expect("tests/conformance-baseline.txt exists")
            .trim()
            .parse()
            .expect("tests/conformance-baseline.txt holds one integer");

    let report_dir = tempfile::tempdir().unwrap();
    let report = report_dir.path().join("report.json");
    let froyo = env!("CARGO_BIN_EXE_froyo");
    let output = Command::new("python3")
        .arg(&runner)
        .arg("--cmd")
        .arg(format!("{} export", shell_quote(froyo)))
        .args(["-j", "2", "--report"])
        .arg(&report)
        .arg(&corpus)
        .output()
        .expect("python3 runs the conformance runner");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let Some((passed, failed)) = parse_summary(&stdout) else {
        panic!(
            "the runner printed no `N passed, N failed` line\n--- stdout\n{stdout}--- stderr\n{stderr}"
        );
    };

    let results = read_report(&report);
    assert_eq!(results.len(), passed + failed, "the report and the summary disagree");
    let failures: Vec<&CaseResult> = results.iter().filter(|result| !result.ok).collect();
    let crashes: Vec<&&CaseResult> =
        failures.iter().filter(|result| result.reason.starts_with("crashed")).collect();
    for failure in &failures {
        println!("FAIL {}: {}", failure.case, failure.reason);
    }
    // The per-group table and the summary, as the runner printed them.
    if let Some(start) = stdout.find("per feature group:") {
        println!("\n{}", &stdout[start..]);
    }
    println!("conformance: {passed} passed, {failed} failed (baseline {baseline})");
    if passed > baseline {
        println!("the score is above the baseline: set tests/conformance-baseline.txt to {passed}");
    }

    assert!(
        crashes.is_empty(),
        "{} case(s) crashed: {}",
        crashes.len(),
        crashes.iter().map(|result| result.case.as_str()).collect::<Vec<_>>().join(", ")
    );
    assert!(
        passed >= baseline,
        "conformance dropped below the baseline: {passed} passed, baseline {baseline}"
    );
}

#[test]
fn summary_line_parses() {
    assert_eq!(parse_summary("x\n12 passed, 289 failed\n"), Some((12, 289)));
    assert_eq!(parse_summary("nothing"), None);
}
