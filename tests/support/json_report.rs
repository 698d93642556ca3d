//! The JSON report of `froyo apply --format json` in end-to-end tests.
#![allow(dead_code)] // Each test binary uses its own part of the helper.

use std::process::Output;

use serde_json::Value;

/// The exit code, the report, and stderr; panics with both streams when
/// stdout holds no JSON report.
pub fn report(output: Output) -> (i32, Value, String) {
    let code = output.status.code().unwrap_or(-1);
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "no JSON report ({error}); exit {code}\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (code, report, stderr)
}

/// `address@host: status`, one line per instance, sorted.
pub fn statuses(report: &Value) -> String {
    let mut lines: Vec<String> = report["report"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .map(|instance| {
            format!(
                "{}@{}: {}",
                instance["address"].as_str().unwrap(),
                instance["key"]["host"].as_str().unwrap_or("?"),
                instance["status"].as_str().unwrap()
            )
        })
        .collect();
    lines.sort();
    lines.join("\n")
}
