//! Inputs built to hurt: each gives a diagnostic (with a source span) or a
//! value, within bounded time, and never a panic or a hang.

use std::time::{Duration, Instant};

use froyo_eval::{EvalOptions, SourceFile, export};

fn run(source: &str) -> (Result<String, Vec<String>>, Duration) {
    let start = Instant::now();
    let files = [SourceFile { name: "main.cue".into(), text: source.into() }];
    let result = export(&files, &EvalOptions::default())
        .map(|data| froyo_eval::output::to_json(&data))
        .map_err(|diagnostics| {
            diagnostics
                .iter()
                .map(|d| format!("{} {} @{}", d.code.code, d.message, d.primary.span.start))
                .collect()
        });
    (result, start.elapsed())
}

/// Fails with a diagnostic of `code`, quickly, and not as an internal error.
fn check_error(source: &str, code: &str) {
    let (result, elapsed) = run(source);
    let errors = result.expect_err("expected an error");
    assert!(errors.iter().any(|e| e.starts_with(code)), "expected {code}, got {errors:?}");
    assert!(errors.iter().all(|e| !e.contains("internal error")), "{errors:?}");
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

#[test]
fn exponential_disjunctions_hit_the_limit() {
    // 2^20 combinations of struct disjunctions unified in one field.
    let mut source = String::from("a: ");
    let terms: Vec<String> = (0..20).map(|i| format!("({{x{i}: 1}} | {{y{i}: 2}})")).collect();
    source.push_str(&terms.join(" & "));
    source.push('\n');
    check_error(&source, "E0211");
}

#[test]
fn scalar_disjunction_chains_stay_linear() {
    let terms: Vec<String> = (0..200).map(|_| "(1 | 2 | *3)".to_string()).collect();
    let (result, elapsed) = run(&format!("a: {}\n", terms.join(" & ")));
    assert_eq!(result.unwrap().trim(), "{\n    \"a\": 3\n}");
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[test]
fn structural_cycles_are_errors() {
    check_error("a: b: a\n", "E0204");
    check_error("x: {y: x}\nz: x.y.y.y\n", "E0204");
}

#[test]
fn reference_cycles_are_errors() {
    check_error("a: a + 1\n", "E0204");
    check_error("a: b\nb: c\nc: a + 1\n", "E0204");
}

#[test]
fn deep_recursion_through_definitions_is_bounded() {
    check_error("#L: {next: #L}\nl: #L\n", "E0204");
}

#[test]
fn long_reference_chains_evaluate() {
    let mut source = String::new();
    for i in 0..5000 {
        source.push_str(&format!("a{i}: a{} + 1\n", i + 1));
    }
    source.push_str("a5000: 0\n");
    let (result, _) = run(&source);
    assert!(result.unwrap().contains("\"a0\": 5000"));
}

#[test]
fn huge_numbers_are_bounded() {
    let mut source = String::from("a0: 99999999999999999999\n");
    for i in 1..40 {
        source.push_str(&format!("a{i}: a{} * a{}\n", i - 1, i - 1));
    }
    check_error(&source, "E0211");
    let mut source = String::from("s0: \"xxxxxxxx\"\n");
    for i in 1..40 {
        source.push_str(&format!("s{i}: s{} + s{}\n", i - 1, i - 1));
    }
    check_error(&source, "E0211");
    // Big but reasonable integers are exact.
    let (result, _) = run("a: 123456789012345678901234567890 * 10\n");
    assert!(result.unwrap().contains("1234567890123456789012345678900"));
}

#[test]
fn division_by_zero_points_at_the_expression() {
    check_error("a: 1 / 0\n", "E0206");
    check_error("a: 1 mod 0\n", "E0206");
}

#[test]
fn deeply_nested_structs_are_bounded() {
    let depth = 2000;
    let source = format!("a: {}1{}\n", "{b: ".repeat(depth), "}".repeat(depth));
    let (result, elapsed) = run(&source);
    // Either a syntax nesting error or an evaluation limit, never a crash.
    assert!(result.is_err(), "expected an error");
    assert!(elapsed < Duration::from_secs(20));
}

#[test]
fn disjunctions_pointing_back_at_their_struct_terminate() {
    // `int` is a field here, so `*1 | int` refers to the enclosing struct.
    let (result, elapsed) = run("int: {z: *1 | int, y: *2 | int}\nout: int\n");
    assert!(elapsed < Duration::from_secs(5), "took {elapsed:?}");
    let _ = result;
    check_error("a: {z: *a | 1, y: *a | 2}\n", "E0204");
}

/// A definition whose comprehension ranges over values of itself grows
/// without end; the value limit stops it with one diagnostic.
#[test]
fn self_feeding_comprehensions_hit_the_value_limit() {
    let source = "a: {v: #D, w: w: #D}\nb: {for k, v in a {\"g\\(k)\": v}}\n#D: {for k, v in a {\"g\\(k)\": v}}\n";
    let files = [SourceFile { name: "main.cue".into(), text: source.into() }];
    let options = EvalOptions {
        limits: froyo_eval::Limits { max_vertices: 50_000, ..froyo_eval::Limits::default() },
        ..EvalOptions::default()
    };
    let start = Instant::now();
    let diagnostics = export(&files, &options).expect_err("expected an error");
    // The structure is cut by the value limit or, first, by the depth limit
    // (a structural cycle); either way a bounded number of diagnostics.
    assert!(!diagnostics.is_empty() && diagnostics.len() <= 200, "{}", diagnostics.len());
    let codes: Vec<&str> = diagnostics.iter().map(|diagnostic| diagnostic.code.code).collect();
    assert!(codes.iter().all(|code| *code == "E0211" || *code == "E0204"), "{codes:?}");
    assert!(start.elapsed() < Duration::from_secs(20));
    // With a lower value limit, one diagnostic says which limit stopped it.
    let options = EvalOptions {
        limits: froyo_eval::Limits { max_vertices: 300, ..froyo_eval::Limits::default() },
        ..EvalOptions::default()
    };
    let diagnostics = export(&files, &options).expect_err("expected an error");
    assert_eq!(diagnostics.len(), 1);
    assert!(diagnostics[0].message.contains("after 300 values"), "{}", diagnostics[0].message);
}

/// Thousands of errors of one mistake are reported as at most 200, quickly.
#[test]
fn errors_are_capped() {
    let mut source = String::from("#D: {for k, v in a {\"g\\(k)\": v}}\n");
    source.push_str(
        "a: {v: #D & {p: 1}, y: b.y}\na: w: w: #D & {p: 1}\nb: {for k, v in a {\"g\\(k)\": v}}\n",
    );
    let (result, elapsed) = run(&source);
    let errors = result.expect_err("expected errors");
    assert!(!errors.is_empty() && errors.len() <= 200, "{}", errors.len());
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
}

#[test]
fn strings_are_bounded_before_they_are_built() {
    // 16 MiB repeated 16 Mi times: refused before allocating, not an abort.
    check_error("a: \"x\" * 16777216\nb: a * 16777216\n", "E0211");
    // Each under the per-value bound, together gigabytes.
    check_error("a: \"x\" * 100000\nb: a * 100000\n", "E0211");
    let mut many = String::from("a: \"xxxx\" * 15000000\n");
    for index in 0..10 {
        many.push_str(&format!("b{index}: a + \"{index}\"\n"));
    }
    check_error(&many, "E0211");
    // Interpolation adds up too.
    check_error("a: \"xxxx\" * 10000000\nb: \"\\(a)\\(a)\\(a)\"\n", "E0211");
    // What configurations do stays well inside.
    let (result, _) = run("a: \"ab\" * 1000\nb: \"\\(a)-\\(a)\"\n");
    assert!(result.is_ok(), "{result:?}");
}
