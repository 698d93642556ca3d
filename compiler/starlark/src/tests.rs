//! Runs of small workspaces given as one fixture string: files introduced by
//! `//- path` lines. Expectations are inline snapshots of what a user sees:
//! declared resources, or diagnostics with the text they point at.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use expect_test::{Expect, expect};
use froyo_diagnostics::FileId;
use froyo_eval::Data;
use froyo_eval::num::Number;

use super::*;

struct Fixture {
    files: BTreeMap<String, (FileId, Arc<str>)>,
    /// The first file of the fixture, the one that runs.
    main: String,
}

impl Fixture {
    fn parse(text: &str) -> Fixture {
        let mut files = BTreeMap::new();
        let mut main = None;
        let mut current: Option<(String, String)> = None;
        for line in text.lines() {
            if let Some(path) = line.strip_prefix("//- ") {
                if let Some((path, body)) = current.take() {
                    let id = FileId(files.len() as u32);
                    files.insert(path, (id, Arc::from(body)));
                }
                main.get_or_insert_with(|| path.trim().to_string());
                current = Some((path.trim().to_string(), String::new()));
            } else if let Some((_, body)) = &mut current {
                body.push_str(line);
                body.push('\n');
            }
        }
        if let Some((path, body)) = current {
            let id = FileId(files.len() as u32);
            files.insert(path, (id, Arc::from(body)));
        }
        Fixture { files, main: main.unwrap_or_default() }
    }

    fn text_of(&self, id: FileId) -> (&str, &str) {
        self.files
            .iter()
            .find(|(_, (file, _))| *file == id)
            .map(|(path, (_, text))| (path.as_str(), &**text))
            .unwrap_or(("?", ""))
    }
}

impl Files for Fixture {
    fn read(&self, path: &str) -> Option<(FileId, Arc<str>)> {
        self.files.get(path).cloned()
    }
}

fn config() -> Arc<Data> {
    let number = |value| Data::Number(Number::from_i64(value));
    Arc::new(Data::Struct(vec![
        (
            "vhosts".into(),
            Data::List(vec![
                Data::Struct(vec![
                    ("name".into(), Data::String("a.example".into())),
                    ("port".into(), number(80)),
                ]),
                Data::Struct(vec![
                    ("name".into(), Data::String("b.example".into())),
                    ("port".into(), number(8080)),
                ]),
            ]),
        ),
        ("root".into(), Data::String("/srv".into())),
    ]))
}

fn check_with(fixture: &str, options: &Options, expect: Expect) {
    let fixture = Fixture::parse(fixture);
    let output = run(&fixture.main, &fixture, config(), options);
    let mut actual = String::new();
    for resource in &output.resources {
        let (path, text) = fixture.text_of(resource.span.file);
        let source = &text[resource.span.start as usize..resource.span.end as usize];
        let _ = writeln!(
            actual,
            "{} {} = {} at {path}: {source}",
            resource.type_name,
            resource.id,
            froyo_eval::builtins::cue_text(&resource.value)
        );
    }
    for diagnostic in &output.diagnostics {
        let span = diagnostic.primary.span;
        let (path, text) = fixture.text_of(span.file);
        let source = text.get(span.start as usize..span.end as usize).unwrap_or("");
        let _ = writeln!(
            actual,
            "{} {} at {path}: {source:?}",
            diagnostic.code.code, diagnostic.message
        );
        for label in &diagnostic.secondary {
            let (path, text) = fixture.text_of(label.span.file);
            let source = text.get(label.span.start as usize..label.span.end as usize).unwrap_or("");
            let _ = writeln!(actual, "  also {path}: {source:?} ({})", label.message);
        }
        if let Some(help) = &diagnostic.help {
            let _ = writeln!(actual, "  help: {help}");
        }
        // Call stacks left out: they repeat the source above.
        for note in diagnostic.notes.iter().filter(|note| !note.starts_with("Traceback")) {
            let _ = writeln!(actual, "  note: {note}");
        }
    }
    for line in &output.printed {
        let _ = writeln!(actual, "print: {line}");
    }
    expect.assert_eq(&actual);
}

fn check(fixture: &str, expect: Expect) {
    check_with(fixture, &Options::default(), expect);
}

#[test]
fn constructors_declare_resources_at_their_call() {
    check(
        r#"
//- site.star
root = linux.directory("root", path = "/srv/site", mode = "0755")
linux.file("index", path = "/srv/site/index.html", content = "hi", require = [root], owner = None)
probe.http("home", url = "http://localhost/", on = {"role": "web"})
"#,
        expect![[r#"
            linux.directory root = {type:"linux.directory",path:"/srv/site",mode:"0755"} at site.star: linux.directory("root", path = "/srv/site", mode = "0755")
            linux.file index = {type:"linux.file",path:"/srv/site/index.html",content:"hi",require:["root"]} at site.star: linux.file("index", path = "/srv/site/index.html", content = "hi", require = [root], owner = None)
            probe.http home = {type:"probe.http",url:"http://localhost/",on:{role:"web"}} at site.star: probe.http("home", url = "http://localhost/", on = {"role": "web"})
        "#]],
    );
}

#[test]
fn config_reads_the_evaluated_cue_data() {
    check(
        r#"
//- vhosts.star
def vhost(v):
    linux.file("vhost-" + v.name, path = config.root + "/" + v.name, content = "port %d" % v.port)

for v in config.vhosts:
    vhost(v)

print(len(config.vhosts), config["root"], "root" in config, config.vhosts[-1].port)
"#,
        expect![[r#"
            linux.file vhost-a.example = {type:"linux.file",path:"/srv/a.example",content:"port 80"} at vhosts.star: linux.file("vhost-" + v.name, path = config.root + "/" + v.name, content = "port %d" % v.port)
            linux.file vhost-b.example = {type:"linux.file",path:"/srv/b.example",content:"port 8080"} at vhosts.star: linux.file("vhost-" + v.name, path = config.root + "/" + v.name, content = "port %d" % v.port)
            print: 2 /srv True 8080
        "#]],
    );
}

#[test]
fn loads_resolve_in_the_workspace_and_their_resources_count_where_called() {
    check(
        r#"
//- web/site.star
load("//lib/helpers.star", "managed")
load("../lib/helpers.star", "PREFIX")
managed("motd", "/etc/motd")
//- lib/helpers.star
PREFIX = "managed"
def managed(id, path):
    return linux.file(id, path = path, content = PREFIX)
linux.file("from-the-library", path = "/etc/lib")
"#,
        expect![[r#"
            linux.file motd = {type:"linux.file",path:"/etc/motd",content:"managed"} at lib/helpers.star: linux.file(id, path = path, content = PREFIX)
        "#]],
    );
}

#[test]
fn load_cycles_show_the_chain() {
    check(
        r#"
//- a.star
load("b.star", "b")
//- b.star
load("c.star", "c")
b = 1
//- c.star
load("a.star", "a")
c = 1
"#,
        expect![[r#"
            E0404 `a.star` loads itself: `a.star` loads `b.star` loads `c.star` loads `a.star` at c.star: "\"a.star\""
              also a.star: "\"b.star\"" (loaded here)
              also b.star: "\"c.star\"" (loaded here)
              help: move what both files need into a third file that loads neither
        "#]],
    );
}

#[test]
fn loads_outside_the_workspace_are_refused() {
    check(
        r#"
//- site.star
load("../../etc/secrets.star", "token")
load("/etc/passwd.star", "x")
load("helpers.py", "y")
load("missing.star", "z")
"#,
        expect![[r#"
            E0403 cannot load `../../etc/secrets.star`: the path leads outside the workspace at site.star: "\"../../etc/secrets.star\""
              help: load workspace files by a path from the workspace root (`//lib/helpers.star`) or from this file (`helpers.star`)
            E0403 cannot load `/etc/passwd.star`: absolute paths are outside the workspace at site.star: "\"/etc/passwd.star\""
              help: load workspace files by a path from the workspace root (`//lib/helpers.star`) or from this file (`helpers.star`)
            E0403 cannot load `helpers.py`: only `.star` files can be loaded at site.star: "\"helpers.py\""
              help: load workspace files by a path from the workspace root (`//lib/helpers.star`) or from this file (`helpers.star`)
            E0403 cannot load `missing.star`: no such file in the workspace at site.star: "\"missing.star\""
        "#]],
    );
}

#[test]
fn endless_loops_hit_the_step_limit() {
    check_with(
        r#"
//- loop.star
def forever():
    for i in range(1000000):
        x = i
forever()
"#,
        &Options { max_steps: 10_000, ..Options::default() },
        expect![[r#"
            E0402 the Starlark step limit (10000 statements) was reached; is there an endless loop? at loop.star: "i"
              help: Starlark in froyo is bounded so that no script can hang a check; make the loop finite or smaller
        "#]],
    );
}

#[test]
fn ranges_longer_than_the_step_limit_are_refused() {
    check(
        r#"
//- loop.star
for i in range(1, 2000000000, 3):
    pass
"#,
        expect![[r#"
            E0402 range() of 666666667 elements is longer than froyo allows (1000000); is there an endless loop? at loop.star: "range(1, 2000000000, 3)"
              help: Starlark in froyo is bounded so that no script can hang a check; make the loop finite or smaller
        "#]],
    );
}

#[test]
fn recursion_hits_the_call_depth_limit() {
    check(
        r#"
//- deep.star
def down(n):
    return down(n + 1)
down(0)
"#,
        expect![[r#"
            E0402 Starlark call stack overflow at deep.star: "down(n + 1)"
              help: Starlark in froyo is bounded so that no script can hang a check; make the loop finite or smaller
        "#]],
    );
}

#[test]
fn an_unknown_constructor_is_an_unknown_resource_type() {
    check(
        r#"
//- fw.star
linux.firewall("fw", rules = [])
"#,
        expect![[r#"
            E0301 unknown resource type `linux.firewall` at fw.star: "linux.firewall"
              note: the resource types are `linux.directory`, `linux.exec`, `linux.file`, `linux.group`, `linux.package`, `linux.service`, `linux.user`, `probe.http`
        "#]],
    );
    check(
        r#"
//- typo.star
linux.fiel("motd", path = "/etc/motd")
"#,
        expect![[r#"
            E0301 unknown resource type `linux.fiel` at typo.star: "linux.fiel"
              help: did you mean `linux.file`?
        "#]],
    );
}

#[test]
fn errors_point_at_their_source() {
    check(
        r#"
//- bad.star
linux.file("motd", path = config.missing)
"#,
        expect![[r#"
            E0401 Object of type `config` has no attribute `missing` at bad.star: "config.missing"
        "#]],
    );
    check(
        r#"
//- bad.star
linux.file("motd", path = lambda: 1)
"#,
        expect![[r#"
            E0401 argument `path` of linux.file("motd"): a value of type `function` cannot be a property at bad.star: "linux.file(\"motd\", path = lambda: 1)"
        "#]],
    );
    check(
        r#"
//- bad.star
linux.file("motd", path = "/etc/motd"
"#,
        expect![[r#"
            E0400 Parse error: unexpected new line, expected symbol ')' at bad.star: ""
        "#]],
    );
    check(
        r#"
//- bad.star
fail("no vhosts configured")
"#,
        expect![[r#"
            E0401 fail: no vhosts configured at bad.star: "fail(\"no vhosts configured\")"
        "#]],
    );
}

#[test]
fn load_paths() {
    assert_eq!(resolve_load("web/site.star", "//lib/x.star"), Ok("lib/x.star".into()));
    assert_eq!(resolve_load("web/site.star", "x.star"), Ok("web/x.star".into()));
    assert_eq!(resolve_load("web/site.star", "./../x.star"), Ok("x.star".into()));
    assert!(resolve_load("site.star", "../x.star").is_err());
    assert!(resolve_load("site.star", "@repo//x.star").is_err());
}

#[test]
fn statements_nested_deeper_than_the_parser_can_take_are_refused() {
    let deep = format!("x = {}1\n", "-".repeat(20_000));
    let fixture =
        format!("\n//- deep.star\nlinux.file(\"ok\", path = \"/tmp/ok\", content = \"\")\n{deep}");
    let fixture = Fixture::parse(&fixture);
    let output = run(&fixture.main, &fixture, config(), &Options::default());
    assert_eq!(output.diagnostics.len(), 1, "{:?}", output.diagnostics);
    assert_eq!(output.diagnostics[0].code.code, "E0402");
    assert!(output.diagnostics[0].message.contains("froyo allows 1000"));
}

#[test]
fn a_loop_declaring_too_many_resources_is_refused() {
    let fixture = Fixture::parse(
        "\n//- many.star\nfor i in range(1500):\n    linux.file(\"f%d\" % i, path = \"/tmp/f\", content = \"\")\n",
    );
    let options = Options { max_resources: 1_000, ..Options::default() };
    let output = run(&fixture.main, &fixture, config(), &options);
    assert_eq!(output.diagnostics.len(), 1, "{:?}", output.diagnostics);
    assert_eq!(output.diagnostics[0].code.code, "E0402", "{:?}", output.diagnostics[0]);
    assert!(output.diagnostics[0].message.contains("resources than froyo allows (1000)"));
}

#[test]
fn a_string_doubled_in_a_loop_stops_at_the_heap_limit() {
    let fixture =
        Fixture::parse("\n//- grow.star\ns = \"x\"\nfor i in range(40):\n    s = s + s\n");
    let options = Options { max_heap_bytes: 16 << 20, ..Options::default() };
    let output = run(&fixture.main, &fixture, config(), &options);
    assert_eq!(output.diagnostics.len(), 1, "{:?}", output.diagnostics);
    assert_eq!(output.diagnostics[0].code.code, "E0402", "{:?}", output.diagnostics[0]);
    // Either check may see it first: the crate's, at a garbage collection,
    // or froyo's, before each statement.
    let message = &output.diagnostics[0].message;
    assert!(
        message.contains("heap limit (16 MiB)") || message.contains("Heap memory limit"),
        "{message}"
    );
}

#[test]
fn repetitions_larger_than_the_heap_are_refused_before_they_are_built() {
    for (source, what) in [
        ("x = [0] * 1000000000\n", "list of 1 repeated 1000000000 times"),
        ("x = 2000000000 * \"x\"\n", "string of 1 repeated 2000000000 times"),
        ("x = (1, 2) * 100000000\n", "tuple of 2 repeated 100000000 times"),
        (
            "s = \"x\" * 1000000\ndef f():\n    return [s] * 1000\nx = f() * 100000\n",
            "list of 1000 repeated 100000 times",
        ),
    ] {
        let fixture = Fixture::parse(&format!("\n//- big.star\n{source}"));
        let output = run(&fixture.main, &fixture, config(), &Options::default());
        assert_eq!(output.diagnostics.len(), 1, "{source}: {:?}", output.diagnostics);
        let diagnostic = &output.diagnostics[0];
        assert_eq!(diagnostic.code.code, "E0402", "{source}: {diagnostic:?}");
        assert!(diagnostic.message.contains(what), "{source}: {}", diagnostic.message);
        assert!(diagnostic.message.contains("heap limit (512 MiB)"), "{}", diagnostic.message);
    }
}

#[test]
fn multiplication_keeps_its_meaning() {
    check(
        r#"
//- ok.star
n = 6 * 7
f = 1.5 * 2
big = 4294967296 * 4294967296
s = "ab" * 3 + 2 * "c" + "x" * -1
l = [1] * 2 + 2 * [3] + [4] * 0
t = (1,) * 2
linux.file("f", path = "/tmp/%d" % n, content = "%s %s %s %s %s" % (f, big, s, l, t))
"#,
        expect![[r#"
            linux.file f = {type:"linux.file",path:"/tmp/42",content:"3.0 18446744073709551616 abababcc [1, 1, 3, 3] (1, 1)"} at ok.star: linux.file("f", path = "/tmp/%d" % n, content = "%s %s %s %s %s" % (f, big, s, l, t))
        "#]],
    );
    check(
        r#"
//- bad.star
x = "a" * "b"
"#,
        expect![[r#"
            E0401 Operation `*` not supported for types `string` and `string` at bad.star: "\"a\" * \"b\""
        "#]],
    );
}

#[test]
fn multiply_assignment_is_refused_with_the_spelling_that_is_checked() {
    check(
        r#"
//- grow.star
def f():
    x = [0]
    x *= 1000000000
    return x
f()
"#,
        expect![[r#"
            E0402 `*=` is not supported: froyo checks the size of a repetition before building it, and `*=` builds it in place at grow.star: "x *= 1000000000"
              help: write `x = x * n`
        "#]],
    );
}

#[test]
fn comprehensions_count_against_the_tick_limit() {
    let fixture = Fixture::parse(
        "\n//- spin.star\nx = [0 for a in range(1000000) for b in range(1000000)]\n",
    );
    let options = Options { max_ticks: 100_000, ..Options::default() };
    let output = run(&fixture.main, &fixture, config(), &options);
    assert_eq!(output.diagnostics.len(), 1, "{:?}", output.diagnostics);
    assert_eq!(output.diagnostics[0].code.code, "E0402", "{:?}", output.diagnostics[0]);
}
