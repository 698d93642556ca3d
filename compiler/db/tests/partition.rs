//! Evaluating a package in independent units must give exactly what
//! evaluating it whole gives. Generated multi-file packages, with shared and
//! disjoint paths, references across files, definitions, hidden fields,
//! patterns, comprehensions, `let` and shadowed built-ins, are evaluated
//! both ways (`partitioned_export` and `export_package`): the same value, in
//! the same field order, or errors with the same messages.
//! `FROYO_PARTITION_CASES` changes the number of packages (default 400).

use froyo_db::{Database, Package, SourceFile, export_package, partitioned_export, unit_count};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: usize) -> usize {
        (self.next() % bound.max(1) as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const TOPS: &[&str] = &["a", "b", "c", "resources", "apps", "#D", "_h"];
const LABELS: &[&str] = &["x", "y", "z", "w", "v"];

fn value(rng: &mut Rng) -> String {
    match rng.below(9) {
        0 => format!("{}", rng.below(5)),
        1 => format!("\"s{}\"", rng.below(3)),
        2 => format!("{}.{}", rng.pick(&["a", "b", "c", "apps"]), rng.pick(LABELS)),
        3 => "int".into(),
        4 => format!("*{} | int", rng.below(3)),
        5 => format!("#D & {{p: {}}}", rng.below(3)),
        6 => format!("{{{}: {}}}", rng.pick(LABELS), rng.below(4)),
        7 => "len([1, 2])".into(),
        _ => format!("\"\\({}.{})\"", rng.pick(&["a", "b"]), rng.pick(LABELS)),
    }
}

fn declaration(rng: &mut Rng) -> String {
    let top = rng.pick(TOPS);
    match rng.below(12) {
        0 => "#D: {p: int, q: *1 | int}".into(),
        1 => format!("{top}: [string]: {{k: 1}}"),
        2 => format!("{top}: {{for k, v in a {{\"g\\(k)\": v}}}}"),
        3 => format!("{top}: {}: {}: {}", rng.pick(LABELS), rng.pick(LABELS), value(rng)),
        4 => format!("let L = {}\n{top}: {{l: L}}", rng.below(3)),
        5 => "len: 3".into(),
        6 => format!("{top}: {{...}}"),
        7 => format!("if true {{{top}: {{e: 1}}}}"),
        _ => {
            let mut body = Vec::new();
            for _ in 0..1 + rng.below(3) {
                body.push(format!("{}: {}", rng.pick(LABELS), value(rng)));
            }
            format!("{top}: {{{}}}", body.join(", "))
        }
    }
}

fn package(rng: &mut Rng) -> Vec<String> {
    let files = 2 + rng.below(4);
    (0..files)
        .map(|_| {
            let mut text = String::from("package p\n\n");
            for _ in 0..1 + rng.below(3) {
                text.push_str(&declaration(rng));
                text.push('\n');
            }
            text
        })
        .collect()
}

fn outcome(result: &Result<froyo_eval::Data, Vec<froyo_diagnostics::Diagnostic>>) -> String {
    match result {
        Ok(data) => format!("ok {}", froyo_eval::output::to_json(data)),
        Err(diagnostics) => {
            let mut messages: Vec<String> =
                diagnostics.iter().map(|diagnostic| diagnostic.message.clone()).collect();
            messages.sort();
            messages.dedup();
            format!("error {messages:?}")
        }
    }
}

#[test]
fn units_evaluate_to_the_whole_package() {
    let cases: usize = std::env::var("FROYO_PARTITION_CASES")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(400);
    let mut rng = Rng(0x05ee_d0ff_11e5);
    let mut split = 0;
    for case in 0..cases {
        let texts = package(&mut rng);
        if std::env::var_os("FROYO_PARTITION_TRACE").is_some() {
            eprintln!("case {case}\n{}", texts.join("--- next file ---\n"));
        }
        let database = Database::default();
        let files: Vec<SourceFile> = texts
            .iter()
            .enumerate()
            .map(|(index, text)| SourceFile::new(&database, format!("f{index}.cue"), text.clone()))
            .collect();
        let package = Package::new(&database, files, None, Vec::new());
        let whole = outcome(export_package(&database, package));
        let parts = outcome(partitioned_export(&database, package));
        // Values must agree exactly, errors on their messages.
        assert_eq!(parts, whole, "case {case}: package\n{}", texts.join("--- next file ---\n"));
        split += usize::from(unit_count(&database, package) > 1);
    }
    // The generator must exercise the split, not only the whole package.
    assert!(split * 5 >= cases, "only {split} of {cases} packages split into units");
}

/// The generated workspace of the benchmark splits into one unit per file.
#[test]
fn disjoint_files_split() {
    let database = Database::default();
    let texts = [
        "package p\n\napps: app1: {port: 1}\nresources: r1: {p: apps.app1.port}\n",
        "package p\n\napps: app2: {port: 2}\nresources: r2: {p: apps.app2.port}\n",
        "package p\n\nhosts: h: {address: \"x\"}\n",
    ];
    let files: Vec<SourceFile> = texts
        .iter()
        .enumerate()
        .map(|(index, text)| SourceFile::new(&database, format!("f{index}.cue"), text.to_string()))
        .collect();
    let package = Package::new(&database, files, None, Vec::new());
    assert_eq!(unit_count(&database, package), 3);
    assert_eq!(
        outcome(partitioned_export(&database, package)),
        outcome(export_package(&database, package))
    );
}
