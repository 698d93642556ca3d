//! End-to-end tests of the `froyo` binary: each runs it in a temporary
//! workspace and snapshots its exit status, stdout and stderr.
//!
//! Regenerate snapshots with `INSTA_UPDATE=always cargo test --test cli` (or
//! `cargo insta review`) and review the diff.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// A temporary workspace: `cue.mod/module.cue` plus `files` (path, contents).
fn workspace(files: &[(&str, &[u8])]) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    fs::create_dir_all(directory.path().join("cue.mod")).unwrap();
    fs::write(directory.path().join("cue.mod/module.cue"), "module: \"example.com/test\"\n")
        .unwrap();
    for (path, contents) in files {
        let path = directory.path().join(path);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, contents).unwrap();
    }
    directory
}

/// Runs `froyo args…` in `directory` with `stdin` and formats what happened.
fn run_in(directory: &Path, args: &[&str], stdin: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_froyo"))
        .args(args)
        .current_dir(directory)
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .env("COLUMNS", "100")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        let mut child_stdin = child.stdin.take().unwrap();
        // The command may exit before reading; a broken pipe here is fine.
        let _ = child_stdin.write_all(stdin.as_bytes());
    }
    let output = child.wait_with_output().unwrap();
    let directory_text = directory.to_string_lossy();
    let clean = |bytes: &[u8]| String::from_utf8_lossy(bytes).replace(&*directory_text, "[TEMP]");
    format!(
        "exit: {}\n--- stdout\n{}--- stderr\n{}",
        output.status.code().map_or("signal".to_string(), |code| code.to_string()),
        clean(&output.stdout),
        clean(&output.stderr)
    )
}

/// Runs `froyo args…` in a fresh workspace holding `files`.
fn run(args: &[&str], files: &[(&str, &[u8])]) -> String {
    let directory = workspace(files);
    run_in(directory.path(), args, "")
}

const CLEAN: &[u8] = b"package site\n\nhosts: local: {address: \"127.0.0.1\"}\n";
const BROKEN: &[u8] = b"package site\n\na: [1,\nb: 2 +\n";

#[test]
fn check_clean() {
    insta::assert_snapshot!(run(&["check"], &[("site.cue", CLEAN), ("sub/more.cue", CLEAN)]));
}

#[test]
fn check_from_a_subdirectory_finds_the_workspace() {
    let directory = workspace(&[("site.cue", CLEAN), ("sub/more.cue", BROKEN)]);
    insta::assert_snapshot!(run_in(&directory.path().join("sub"), &["check"], ""));
}

#[test]
fn check_skips_hidden_and_dependency_directories() {
    insta::assert_snapshot!(run(
        &["check"],
        &[
            ("site.cue", CLEAN),
            (".git/x.cue", BROKEN),
            ("node_modules/x.cue", BROKEN),
            ("cue.mod/pkg/x.cue", BROKEN),
            ("cue.mod/gen/x.cue", BROKEN),
            ("cue.mod/usr/x.cue", BROKEN),
            ("notes.txt", BROKEN),
        ]
    ));
}

#[test]
fn check_syntax_error_human() {
    insta::assert_snapshot!(run(&["check"], &[("site.cue", BROKEN), ("ok.cue", CLEAN)]));
}

#[test]
fn check_syntax_error_json() {
    insta::assert_snapshot!(run(&["check", "--format", "json"], &[("site.cue", BROKEN)]));
}

/// A named file that is neither CUE nor Starlark is refused, not parsed as CUE.
#[test]
fn check_refuses_a_file_that_is_not_cue_or_starlark() {
    let directory = tempfile::tempdir().unwrap();
    fs::write(directory.path().join("README.md"), "# Notes\n\nsome *text*\n").unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["check", "README.md"], ""));
}

/// Inside a workspace too, and next to a CUE file that is checked.
#[test]
fn check_refuses_a_named_non_source_file_and_checks_the_rest() {
    insta::assert_snapshot!(run(
        &["check", "data.txt", "site.cue"],
        &[("data.txt", BROKEN), ("site.cue", CLEAN)]
    ));
}

/// A named Starlark file is checked with its workspace, as Starlark.
#[test]
fn check_named_starlark_file_is_checked_with_its_workspace() {
    let output = run(
        &["check", "extra.star"],
        &[
            ("site.cue", SITE),
            ("extra.star", b"linux.file(\"more\", path = \"/tmp/more\", content = \"hi\")\n"),
        ],
    );
    assert!(output.starts_with("exit: 0\n") && output.contains("no problems"), "{output}");
    let broken = run(
        &["check", "extra.star"],
        &[("site.cue", SITE), ("extra.star", b"linux.file(\"more\", path = \"relative\")\n")],
    );
    assert!(broken.starts_with("exit: 1\n") && broken.contains("extra.star:1:"), "{broken}");
}

#[test]
fn check_starlark_file_outside_a_workspace() {
    let directory = tempfile::tempdir().unwrap();
    fs::write(directory.path().join("lone.star"), "x = 1\n").unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["check", "lone.star"], ""));
}

#[test]
fn check_missing_file() {
    insta::assert_snapshot!(run(&["check", "missing.cue"], &[]));
}

#[test]
fn check_invalid_utf8() {
    insta::assert_snapshot!(run(&["check"], &[("latin1.cue", b"name: \"caf\xe9\"\n")]));
}

#[test]
fn check_binary_file() {
    insta::assert_snapshot!(run(
        &["check", "--format", "json"],
        &[("blob.cue", b"a: 1\n\x00\x01\x02\x03")]
    ));
}

#[test]
fn check_file_over_64_mib() {
    let directory = workspace(&[("site.cue", CLEAN)]);
    let file = fs::File::create(directory.path().join("huge.cue")).unwrap();
    // Sparse: the size is what matters, froyo must not read it.
    file.set_len(64 * 1024 * 1024 + 1).unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["check"], ""));
}

#[test]
fn check_deeply_nested_brackets() {
    // One bracket per line keeps the rendered snippets short.
    let source = "a: ".to_string() + &"[\n".repeat(10_000);
    let output = run(&["check", "--format", "json"], &[("deep.cue", source.as_bytes())]);
    assert!(output.starts_with("exit: 1\n"), "{}", &output[..output.len().min(2000)]);
    assert!(
        output.contains("\"code\":\"E0009\""),
        "no E0009 in {}",
        &output[..output.len().min(2000)]
    );
}

#[test]
fn check_no_files() {
    let directory = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["check"], ""));
}

#[test]
fn fmt_check_lists_unformatted_files() {
    insta::assert_snapshot!(run(
        &["fmt", "--check"],
        &[("a.cue", b"a:   1\n"), ("b.cue", b"b: 1\n")]
    ));
}

/// Outside a workspace, `fmt` without paths does not walk the directory.
#[test]
fn fmt_check_outside_a_workspace_without_paths() {
    let directory = tempfile::tempdir().unwrap();
    fs::write(directory.path().join("a.cue"), "a:   1\n").unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["fmt", "--check"], ""));
}

/// Outside a workspace, `fmt --check FILE` checks that file only, and
/// refuses a named file that is not CUE.
#[test]
fn fmt_check_outside_a_workspace_checks_only_what_it_was_given() {
    let directory = tempfile::tempdir().unwrap();
    fs::write(directory.path().join("a.cue"), "a:   1\n").unwrap();
    fs::create_dir(directory.path().join("sub")).unwrap();
    fs::write(directory.path().join("sub/b.cue"), "b:   1\n").unwrap();
    fs::write(directory.path().join("README.md"), "# Notes\n").unwrap();
    insta::assert_snapshot!(run_in(
        directory.path(),
        &["fmt", "--check", "a.cue", "README.md"],
        ""
    ));
    let rewritten = run_in(directory.path(), &["fmt", "a.cue"], "");
    assert!(rewritten.starts_with("exit: 0\n"), "{rewritten}");
    assert_eq!(fs::read_to_string(directory.path().join("a.cue")).unwrap(), "a: 1\n");
    assert_eq!(fs::read_to_string(directory.path().join("sub/b.cue")).unwrap(), "b:   1\n");
}

#[test]
fn fmt_diff_prints_a_unified_diff() {
    insta::assert_snapshot!(run(&["fmt", "--diff"], &[("a.cue", b"a:   1\nb: 2\n")]));
}

#[test]
fn fmt_rewrites_files_in_place() {
    let directory = workspace(&[("a.cue", b"a:   1\n"), ("b.cue", b"b: 1\n")]);
    let output = run_in(directory.path(), &["fmt"], "");
    let rewritten = fs::read_to_string(directory.path().join("a.cue")).unwrap();
    let leftovers: Vec<_> = fs::read_dir(directory.path())
        .unwrap()
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("froyo-fmt"))
        .collect();
    insta::assert_snapshot!(format!(
        "{output}--- a.cue\n{rewritten}--- temporary files\n{leftovers:?}\n"
    ));
}

#[test]
fn fmt_keeps_file_permissions() {
    use std::os::unix::fs::PermissionsExt as _;
    let directory = workspace(&[("a.cue", b"a:   1\n")]);
    let path = directory.path().join("a.cue");
    fs::set_permissions(&path, fs::Permissions::from_mode(0o640)).unwrap();
    run_in(directory.path(), &["fmt"], "");
    assert_eq!(fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o640);
}

#[test]
fn fmt_leaves_files_with_syntax_errors_alone() {
    let directory = workspace(&[("site.cue", BROKEN)]);
    let output = run_in(directory.path(), &["fmt"], "");
    assert_eq!(fs::read(directory.path().join("site.cue")).unwrap(), BROKEN);
    insta::assert_snapshot!(output);
}

#[test]
fn fmt_stdin_to_stdout() {
    let directory = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["fmt", "-"], "a:   1\n"));
}

#[test]
fn fmt_stdin_cannot_be_combined_with_paths() {
    insta::assert_snapshot!(run(&["fmt", "-", "a.cue"], &[]));
}

#[test]
fn unknown_flag_is_a_usage_error() {
    insta::assert_snapshot!(run(&["check", "--bogus"], &[]));
}

#[test]
fn unknown_format_is_a_usage_error() {
    insta::assert_snapshot!(run(&["check", "--format", "xml"], &[]));
}

#[test]
fn completions_bash() {
    let output = run(&["completions", "bash"], &[]);
    assert!(output.starts_with("exit: 0\n--- stdout\n"), "{output}");
    assert!(output.contains("froyo") && output.len() > 500, "{output}");
}

#[test]
fn version() {
    let output = run(&["--version"], &[]);
    assert_eq!(
        output,
        format!("exit: 0\n--- stdout\nfroyo {}\n--- stderr\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn help_on_every_subcommand() {
    for subcommand in ["check", "fmt", "export", "eval", "completions"] {
        let output = run(&[subcommand, "--help"], &[]);
        assert!(
            output.starts_with("exit: 0\n--- stdout\n") && output.contains("Usage: froyo"),
            "{output}"
        );
    }
}

/// `--help` of every subcommand: every `--format` says what it chooses, and
/// the global `--color` takes one short entry, not a list of its values.
#[test]
fn help_describes_every_format_and_keeps_color_short() {
    for subcommand in [
        "init",
        "check",
        "build",
        "fmt",
        "export",
        "eval",
        "plan",
        "apply",
        "drift",
        "graph",
        "state",
        "runs",
        "completions",
        "lsp",
    ] {
        let output = run(&[subcommand, "--help"], &[]);
        assert!(output.starts_with("exit: 0\n--- stdout\n"), "{output}");
        let lines: Vec<&str> = output.lines().collect();
        // An option's description: after its value name on the same line, or
        // on the next line (long help).
        let description = |index: usize, value_name: &str| -> String {
            let line = lines[index];
            let rest = line[line.find(value_name).unwrap_or(0) + value_name.len()..].trim();
            if rest.is_empty() {
                lines.get(index + 1).map_or(String::new(), |next| next.trim().to_string())
            } else {
                rest.to_string()
            }
        };
        for (index, line) in lines.iter().enumerate() {
            if line.trim_start().starts_with("--format <FORMAT>") {
                let text = description(index, "<FORMAT>");
                assert!(
                    !text.is_empty()
                        && !text.starts_with("Possible values")
                        && !text.starts_with('['),
                    "`froyo {subcommand} --help`: --format has no description:\n{output}"
                );
            }
            if line.trim_start().starts_with("--color <COLOR>") {
                let text = description(index, "<COLOR>");
                assert!(text.starts_with("When to colour output"), "{output}");
                assert!(!output.contains("- auto"), "`froyo {subcommand} --help`:\n{output}");
            }
        }
    }
}

/// The README's "Commands" table and `--help` agree: every command has a
/// row, every row names a command, and every flag a row's synopsis shows
/// (with its values, as in `--format human|json`) is in that command's `--help`.
#[test]
fn readme_commands_match_help() {
    let readme =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = readme.split("\n## Commands\n").nth(1).unwrap().split("\n## ").next().unwrap();
    let help_of = |command: &[&str]| -> String {
        let mut args = command.to_vec();
        args.push("--help");
        let output = run(&args, &[]);
        assert!(output.starts_with("exit: 0\n"), "froyo {}:\n{output}", args.join(" "));
        output
    };
    // `froyo --help` lists a command as `  name  description`.
    let listed = |help: &str| -> Vec<String> {
        let commands = help.split("Commands:\n").nth(1).unwrap_or("").split("\n\n").next().unwrap();
        commands
            .lines()
            .filter_map(|line| line.split_whitespace().next().map(str::to_string))
            .filter(|name| name != "help")
            .collect()
    };
    let mut documented = std::collections::BTreeSet::new();
    let mut synopses = 0;
    for row in table.lines().filter(|line| line.starts_with("| `froyo ")) {
        let cell = row.trim_start_matches("| ").split(" | ").next().unwrap();
        for synopsis in cell.split("`, `") {
            synopses += 1;
            let synopsis = synopsis.trim_matches('`').replace("\\|", "|");
            let words: Vec<&str> = synopsis
                .split_whitespace()
                .map(|word| word.trim_matches(|c| c == '[' || c == ']'))
                .collect();
            assert_eq!(words.first(), Some(&"froyo"), "{synopsis}");
            let command = words[1];
            documented.insert(command.to_string());
            let help = help_of(&[command]);
            // `froyo state list|show …`: each subcommand exists, and flags are looked up in its help.
            let subcommands: Vec<&str> = match words.get(2) {
                Some(word) if word.chars().all(|c| c.is_ascii_lowercase() || c == '|') => {
                    word.split('|').collect()
                }
                _ => Vec::new(),
            };
            let helps: Vec<(String, String)> = if subcommands.is_empty() {
                vec![(command.to_string(), help.clone())]
            } else {
                let listed = listed(&help);
                subcommands
                    .iter()
                    .map(|subcommand| {
                        assert!(
                            listed.iter().any(|name| name == subcommand),
                            "README: `froyo {command} {subcommand}` is not in `froyo {command} --help`:\n{help}"
                        );
                        (format!("{command} {subcommand}"), help_of(&[command, subcommand]))
                    })
                    .collect()
            };
            for (index, word) in words.iter().enumerate() {
                if !word.starts_with('-') {
                    continue;
                }
                for (name, help) in &helps {
                    let is_option = help.lines().any(|line| {
                        let line = line.trim_start();
                        line.starts_with(&format!("{word} "))
                            || line == *word
                            || line.starts_with(&format!("{word},"))
                            || line.contains(&format!(", {word} "))
                            || line.ends_with(&format!(", {word}"))
                    });
                    assert!(is_option, "README: `froyo {name}` has no `{word}` in --help:\n{help}");
                    // Values spelled out in the README are possible values.
                    let Some(values) = words.get(index + 1).filter(|next| next.contains('|'))
                    else {
                        continue;
                    };
                    for value in values.split('|') {
                        assert!(
                            help.contains(&format!("- {value}:"))
                                || help.contains(&format!(" {value},"))
                                || help.contains(&format!(" {value}]")),
                            "README: `froyo {name} {word}` has no value `{value}` in --help:\n{help}"
                        );
                    }
                }
            }
        }
    }
    assert!(synopses >= 10, "{synopses} synopses found in the README's Commands table");
    let commands: std::collections::BTreeSet<String> =
        listed(&run(&["--help"], &[])).into_iter().collect();
    assert_eq!(documented, commands, "the README's Commands table and `froyo --help` differ");
}

/// `froyo man --out DIR` writes a page for froyo and for every command and
/// subcommand `--help` lists, each naming what it does.
#[test]
fn man_pages_cover_every_command() {
    let directory = tempfile::tempdir().unwrap();
    let output = run_in(directory.path(), &["man", "--out", "pages/man1"], "");
    assert!(output.starts_with("exit: 0\n"), "{output}");
    let pages = directory.path().join("pages/man1");
    let page = |name: &str| -> String {
        fs::read_to_string(pages.join(format!("{name}.1")))
            .unwrap_or_else(|error| panic!("no page {name}.1 ({error}); {output}"))
    };
    assert!(page("froyo").contains(".SH SUBCOMMANDS"));
    let listed = |help: &str| -> Vec<(String, String)> {
        let commands = help.split("Commands:\n").nth(1).unwrap_or("").split("\n\n").next().unwrap();
        commands
            .lines()
            .filter_map(|line| {
                let (name, description) = line.trim().split_once(' ')?;
                Some((name.to_string(), description.trim().to_string()))
            })
            .filter(|(name, _)| name != "help")
            .collect()
    };
    let mut expected = 1;
    for (command, description) in listed(&run(&["--help"], &[])) {
        expected += 1;
        let text = page(&format!("froyo-{command}"));
        assert!(text.starts_with(".ie"), "froyo-{command}.1:\n{text}");
        assert!(text.contains(&format!(".TH froyo-{command} 1")), "froyo-{command}.1:\n{text}");
        let first_words: String =
            description.split_whitespace().take(3).collect::<Vec<_>>().join(" ");
        assert!(text.contains(&first_words.replace('-', "\\-")), "froyo-{command}.1:\n{text}");
        for (subcommand, _) in listed(&run(&[command.as_str(), "--help"], &[])) {
            expected += 1;
            let text = page(&format!("froyo-{command}-{subcommand}"));
            assert!(text.contains(&format!("froyo {command} {subcommand}")), "{text}");
        }
    }
    assert!(expected >= 20, "{expected}");
    assert_eq!(fs::read_dir(&pages).unwrap().count(), expected, "{output}");
    assert!(output.contains(&format!("wrote {expected} manual pages to pages/man1")), "{output}");
    // The command that writes them is not one users see in --help.
    let help = run(&["--help"], &[]);
    assert!(!help.lines().any(|line| line.trim_start().starts_with("man ")), "{help}");
}

#[test]
fn export_syntax_error_is_reported_before_evaluation() {
    insta::assert_snapshot!(run(&["export", "site.cue"], &[("site.cue", BROKEN)]));
}

#[test]
fn export_directory_with_two_packages() {
    insta::assert_snapshot!(run(
        &["export", "."],
        &[("a.cue", b"package a\n\nx: 1\n"), ("b.cue", b"package b\n\ny: 2\n")]
    ));
}

#[test]
fn export_missing_file() {
    insta::assert_snapshot!(run(&["export", "missing.cue"], &[]));
}

#[test]
fn export_no_files() {
    let directory = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["export"], ""));
}

#[test]
fn export_json_and_yaml() {
    let files: &[(&str, &[u8])] =
        &[("site.cue", b"package site\n\na: 1\nb: \"<x>\"\nc: [true, null]\n")];
    assert_eq!(
        run(&["export", "site.cue"], files),
        "exit: 0\n--- stdout\n{\n    \"a\": 1,\n    \"b\": \"\\u003cx\\u003e\",\n    \"c\": [\n        true,\n        null\n    ]\n}\n--- stderr\n"
    );
    assert_eq!(
        run(&["export", "--out", "yaml", "site.cue"], files),
        "exit: 0\n--- stdout\na: 1\nb: <x>\nc:\n- true\n- null\n--- stderr\n"
    );
}

/// The package of the `--out` transcripts: a struct of every kind of value.
const EXPORT_FORMS: &[u8] = br##"package site

name: "web"
port: 8080
ratio: 0.5
tags: ["a", "b"]
script: "#!/bin/sh\necho ready\n"
owner: {team: "ops", "on-call": true}
servers: [{host: "a", port: 1}, {host: "b", port: 2}]
"##;

#[test]
fn export_out_cue() {
    insta::assert_snapshot!(run(
        &["export", "--out", "cue", "site.cue"],
        &[("site.cue", EXPORT_FORMS)]
    ));
}

#[test]
fn export_out_toml() {
    insta::assert_snapshot!(run(
        &["export", "--out", "toml", "site.cue"],
        &[("site.cue", EXPORT_FORMS)]
    ));
}

#[test]
fn export_out_toml_of_a_list_or_a_null_fails() {
    let files: &[(&str, &[u8])] = &[("site.cue", b"package site\n\na: [1]\nb: {c: null}\n")];
    assert_eq!(
        run(&["export", "--out", "toml", "-e", "a", "site.cue"], files),
        "exit: 1\n--- stdout\n--- stderr\nerror: TOML needs a struct at the top, not a list (select one with -e)\n"
    );
    assert_eq!(
        run(&["export", "--out", "toml", "site.cue"], files),
        "exit: 1\n--- stdout\n--- stderr\nerror: TOML cannot hold null (at b.c)\n"
    );
}

#[test]
fn export_out_jsonl() {
    assert_eq!(
        run(&["export", "--out", "jsonl", "site.cue"], &[("site.cue", EXPORT_FORMS)]),
        "exit: 0\n--- stdout\n{\"name\":\"web\",\"port\":8080,\"ratio\":0.5,\"tags\":[\"a\",\"b\"],\"script\":\"#!/bin/sh\\necho ready\\n\",\"owner\":{\"team\":\"ops\",\"on-call\":true},\"servers\":[{\"host\":\"a\",\"port\":1},{\"host\":\"b\",\"port\":2}]}\n--- stderr\n"
    );
}

/// `--out json+compact`: today's `cue` file-type tag `compact` of JSON
/// ("the JSON to be emitted without whitespace"; newer than the v0.4
/// reference, expected output written from that definition), for whole
/// packages, selected values and each value of a data stream.
#[test]
fn export_out_json_compact() {
    let files: &[(&str, &[u8])] = &[
        ("site.cue", EXPORT_FORMS),
        ("schema.cue", b"port: int\n"),
        ("values.yaml", b"port: 1\n---\nport: 2\n"),
    ];
    let mut transcript = String::new();
    for arguments in [
        &["export", "--out", "json+compact", "site.cue"][..],
        &["export", "--out", "json+compact", "-e", "owner", "site.cue"],
        &["export", "--out", "json+compact", "schema.cue", "values.yaml"],
        &["export", "--out", "json+pretty", "site.cue"],
    ] {
        transcript.push_str(&format!("$ froyo {}\n", arguments.join(" ")));
        let directory = workspace(files);
        transcript.push_str(&run_in(directory.path(), arguments, ""));
        transcript.push('\n');
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn export_out_text_prints_a_string_raw() {
    let files: &[(&str, &[u8])] = &[("site.cue", EXPORT_FORMS)];
    assert_eq!(
        run(&["export", "--out", "text", "-e", "script", "site.cue"], files),
        "exit: 0\n--- stdout\n#!/bin/sh\necho ready\n--- stderr\n"
    );
    // A final newline is added when the string has none.
    assert_eq!(
        run(&["export", "--out", "text", "-e", "name", "site.cue"], files),
        "exit: 0\n--- stdout\nweb\n--- stderr\n"
    );
}

#[test]
fn export_out_text_of_a_struct_fails() {
    assert_eq!(
        run(&["export", "--out", "text", "-e", "owner", "site.cue"], &[("site.cue", EXPORT_FORMS)]),
        "exit: 1\n--- stdout\n--- stderr\nerror: --out text needs a string value, and this value is a struct; select a string with -e, or use another --out\n"
    );
}

#[test]
fn export_expression_ignores_errors_elsewhere() {
    // As today's `cue export -e`: a conflict outside the selected value does
    // not fail it; selecting the conflict does.
    let files: &[(&str, &[u8])] = &[(
        "site.cue",
        b"package site\n\nname: \"web\"\nport: 80 & 443\nurl: \"http://\\(name)\"\n",
    )];
    insta::assert_snapshot!(run(&["export", "-e", "url", "site.cue"], files));
    insta::assert_snapshot!(run(&["export", "-e", "port", "site.cue"], files));
    insta::assert_snapshot!(run(&["eval", "-e", "name", "site.cue"], files));
}

/// `-e` evaluates only what the selected expression needs: `big` would run
/// into the evaluator's value limit (E0211, after about 15 s in a debug
/// build: `froyo export -e 'len(big)'`), and `-e name` does not evaluate it.
#[test]
fn export_expression_evaluates_only_what_it_needs() {
    let files: &[(&str, &[u8])] = &[(
        "site.cue",
        b"package site\n\nimport \"list\"\n\nbig: [for i in list.Range(0, 3000000, 1) {i}]\nsmall: \"web\"\nname: small\n",
    )];
    let started = std::time::Instant::now();
    let expected = "exit: 0\n--- stdout\n\"web\"\n--- stderr\n";
    assert_eq!(run(&["export", "-e", "name", "site.cue"], files), expected);
    assert_eq!(run(&["eval", "-e", "small", "site.cue"], files), expected);
    assert!(started.elapsed() < std::time::Duration::from_secs(5), "{:?}", started.elapsed());
}

/// Issue 19, area 3: a default whose failure is the export's only error
/// fails the export, as today's `cue export` does (it words the first case
/// "2 errors in empty disjunction", listing each alternative's conflict;
/// froyo names the default's, see docs/cue-compatibility.md).
#[test]
fn export_fails_when_a_default_fails_and_nothing_else_does() {
    let files: &[(&str, &[u8])] = &[
        ("a.cue", b"package site\n\na: *1 | 2\na: 3\nok: \"x\"\n"),
        ("b.cue", b"package site\n\nb: *\"x\" | int\nb: >0\n"),
    ];
    insta::assert_snapshot!(run(&["export"], files));
    // The rest of the package is still selectable.
    assert_eq!(run(&["export", "-e", "ok"], files), "exit: 0\n--- stdout\n\"x\"\n--- stderr\n");
}

#[test]
fn export_reports_required_fields_and_unused_imports() {
    let files: &[(&str, &[u8])] = &[(
        "site.cue",
        b"package site\n\nimport \"strings\"\n\n#Host: {name!: string, port: *22 | int}\nweb: #Host & {name: \"web\"}\ndb: #Host\n",
    )];
    insta::assert_snapshot!(run(&["export", "site.cue"], files));
}

#[test]
fn export_condition_from_another_file() {
    // `enable` is decided in another file of the package.
    let files: &[(&str, &[u8])] = &[
        ("a.cue", b"package site\n\nenable: bool\nif enable {\n\tfeature: \"on\"\n}\n"),
        ("b.cue", b"package site\n\nenable: true\n"),
    ];
    assert_eq!(
        run(&["export"], files),
        "exit: 0\n--- stdout\n{\n    \"enable\": true,\n    \"feature\": \"on\"\n}\n--- stderr\n"
    );
}

#[test]
fn export_directory_takes_its_package_only() {
    // `sub/` is not searched, and the file without a package clause is left out.
    let files: &[(&str, &[u8])] = &[
        ("a.cue", b"package site\n\na: 1\n"),
        ("b.cue", b"package site\n\nb: a + 1\n"),
        ("loose.cue", b"c: 3\n"),
        ("sub/d.cue", b"package site\n\nd: 4\n"),
    ];
    assert_eq!(
        run(&["export"], files),
        "exit: 0\n--- stdout\n{\n    \"a\": 1,\n    \"b\": 2\n}\n--- stderr\n"
    );
}

#[test]
fn export_expression() {
    let files: &[(&str, &[u8])] = &[("site.cue", b"a: {b: 2}\n")];
    assert_eq!(
        run(&["export", "-e", "a.b", "site.cue"], files),
        "exit: 0\n--- stdout\n2\n--- stderr\n"
    );
}

#[test]
fn export_conflict_fails_with_exit_1() {
    let output = run(&["export", "--color", "never", "site.cue"], &[("site.cue", b"a: 1\na: 2\n")]);
    assert!(output.starts_with("exit: 1\n--- stdout\n--- stderr\nerror"), "{output}");
    assert!(!output.contains("panicked at"), "{output}");
}

#[test]
fn export_diagnostics_name_the_files_they_point_at() {
    let files: &[(&str, &[u8])] = &[
        ("a.cue", b"package p\n\nx: int\n"),
        ("b.cue", b"package p\n\nx: 1\n"),
        ("c.cue", b"package p\n\nx: 2\n"),
    ];
    let output = run(&["export", "--format", "json"], files);
    assert!(output.starts_with("exit: 1\n--- stdout\n--- stderr\n{\"code\":\"E0200\""), "{output}");
    assert!(output.contains("\"file\":\"b.cue\",\"line\":3,\"column\":4"), "{output}");
    assert!(output.contains("\"labels\":[{\"file\":\"c.cue\",\"line\":3,\"column\":4"), "{output}");
}

#[test]
fn eval_prints_cue() {
    let files: &[(&str, &[u8])] = &[
        ("a.cue", b"package p\n\nx: int\ny: *\"a\" | string\n"),
        ("b.cue", b"package p\n\nx: 1\nz: x + 1\n"),
    ];
    assert_eq!(
        run(&["eval"], files),
        "exit: 0\n--- stdout\nx: 1\ny: *\"a\" | string\nz: 2\n--- stderr\n"
    );
    assert_eq!(run(&["eval", "-e", "z"], files), "exit: 0\n--- stdout\n2\n--- stderr\n");
}

#[test]
fn export_imports_module_packages() {
    let files: &[(&str, &[u8])] = &[
        ("cue.mod/module.cue", b"module: \"example.com/m\"\n"),
        ("lib/lib.cue", b"package lib\n\ndefaultPort: 22\n"),
        (
            "schemas/host.cue",
            b"package schemas\n\nimport \"example.com/m/lib\"\n\n#Host: {address: string, port: *lib.defaultPort | int}\n",
        ),
        ("schemas/other.cue", b"package notschemas\n\nx: 1\n"),
        ("site/site.cue", b"package site\n\nimport \"example.com/m/schemas\"\n\nweb: schemas.#Host & {address: \"10.0.0.1\"}\n"),
    ];
    assert_eq!(
        run(&["export", "site"], files),
        "exit: 0\n--- stdout\n{\n    \"web\": {\n        \"address\": \"10.0.0.1\",\n        \"port\": 22\n    }\n}\n--- stderr\n"
    );
}

#[test]
fn export_errors_in_imported_packages_name_their_file() {
    let files: &[(&str, &[u8])] = &[
        ("cue.mod/module.cue", b"module: \"example.com/m\"\n"),
        ("schemas/host.cue", b"package schemas\n\n#Host: {port: 1 & 2}\n"),
        (
            "site/site.cue",
            b"package site\n\nimport \"example.com/m/schemas\"\n\nweb: schemas.#Host\n",
        ),
    ];
    let output = run(&["export", "site", "--format", "json"], files);
    assert!(output.starts_with("exit: 1\n"), "{output}");
    assert!(output.contains("\"file\":\"schemas/host.cue\""), "{output}");
}

/// Runs `froyo args…` in a directory of the repository.
fn run_in_repository(directory: &str, args: &[&str]) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(directory);
    run_in(&path, args, "")
}

#[test]
fn examples_check_clean() {
    for example in ["examples/quickstart", "examples/apache"] {
        let output = run_in_repository(example, &["check"]);
        assert!(
            output.starts_with("exit: 0\n--- stdout\n--- stderr\nchecked "),
            "{example}:\n{output}"
        );
    }
}

/// Every workspace under `examples/broken/` shows what `froyo check` says of it.
#[test]
fn examples_broken() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken");
    let mut cases: Vec<_> =
        fs::read_dir(&root).unwrap().map(|entry| entry.unwrap().path()).collect();
    cases.sort();
    assert!(cases.len() >= 8);
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = run_in(&case, &["check"], "");
        assert!(output.starts_with("exit: 1\n") || name == "selector-no-host", "{name}:\n{output}");
        insta::assert_snapshot!(format!("broken_{}", name.replace('-', "_")), output);
    }
}

const SITE: &[u8] = b"package site\n\nimport \"froyo.dev/linux\"\n\nhosts: local: {transport: \"local\", labels: role: \"dev\"}\n\nresources: {\n\tdir: linux.#Directory & {path: \"/tmp/x\"}\n\tmotd: linux.#File & {path: \"/tmp/x/motd\", content: \"hi\\n\", require: [\"dir\"]}\n}\n";

#[test]
fn build_writes_the_ir() {
    let directory = workspace(&[
        ("site.cue", SITE),
        ("users.star", b"linux.user(\"deploy\", name = \"deploy\", password = \"$6$x$y\")\n"),
    ]);
    let output = run_in(directory.path(), &["build"], "");
    assert!(output.starts_with("exit: 0\n"), "{output}");
    assert!(output.contains("built site.ir (1 host, 3 resources, sha256:"), "{output}");
    let text = fs::read_to_string(directory.path().join("site.ir")).unwrap();
    assert!(
        text.starts_with("{\"format\":\"froyo-ir\",\"version\":1,\"hash\":\"sha256:"),
        "{text}"
    );
    assert!(text.contains("\"sensitive\":[\"password\"]"), "{text}");
    // The same workspace builds to the same bytes, from anywhere: origins
    // are named relative to the workspace root.
    let again = run_in(directory.path(), &["build", "-o", "-"], "");
    assert!(again.contains(text.trim_end()), "{again}");
    let parent = directory.path().parent().unwrap();
    let name = directory.path().file_name().unwrap().to_str().unwrap();
    let elsewhere = run_in(parent, &["build", name, "-o", "-"], "");
    let hash = &text[text.find("sha256:").unwrap()..][..71];
    assert!(elsewhere.starts_with("exit: 0\n") && elsewhere.contains(hash), "{elsewhere}");
    assert_eq!(elsewhere.matches("\"origin\":{\"file\":\"site.cue\"").count(), 3, "{elsewhere}");
    assert!(text.contains("\"origin\":{\"file\":\"users.star\""), "{text}");
    assert!(text.contains("\"origin\":{\"file\":\"site.cue\""), "{text}");
}

#[test]
fn build_writes_site_ir_into_the_workspace_from_anywhere() {
    let directory = workspace(&[("site.cue", SITE), ("sub/README", b"")]);
    let from_below = run_in(&directory.path().join("sub"), &["build"], "");
    assert!(from_below.starts_with("exit: 0\n"), "{from_below}");
    let expected = format!("built {}/site.ir (", directory.path().display());
    assert!(from_below.contains(&expected), "{from_below}");
    assert!(directory.path().join("site.ir").is_file());
    assert!(!directory.path().join("sub/site.ir").exists());
    fs::remove_file(directory.path().join("site.ir")).unwrap();

    let parent = directory.path().parent().unwrap();
    let name = directory.path().file_name().unwrap().to_str().unwrap();
    let from_above = run_in(parent, &["build", name], "");
    assert!(from_above.contains(&format!("built {name}/site.ir (")), "{from_above}");
    assert!(directory.path().join("site.ir").is_file());
}

#[test]
fn build_refuses_a_workspace_with_errors() {
    let directory =
        workspace(&[("site.cue", SITE), ("bad.star", b"linux.file(\"x\", path = \"relative\")\n")]);
    insta::assert_snapshot!(run_in(directory.path(), &["build"], ""));
    assert!(!directory.path().join("site.ir").exists());
}

#[test]
fn build_outside_a_workspace() {
    let directory = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["build"], ""));
}

#[test]
fn check_sarif() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken/unknown-dependency");
    let output = run_in(&case, &["check", "--format", "sarif"], "");
    let (_, rest) = output.split_once("--- stdout\n").unwrap();
    let (json, _) = rest.split_once("--- stderr\n").unwrap();
    let log: serde_json::Value = serde_json::from_str(json).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["tool"]["driver"]["name"], "froyo");
    assert_eq!(run["tool"]["driver"]["rules"][0]["id"], "E0303");
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["level"], "error");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(
        (region["startLine"].as_u64(), region["startColumn"].as_u64()),
        (Some(13), Some(13))
    );
    assert_eq!(
        results[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "site.cue"
    );
}

#[test]
fn check_json_lines_carry_fixes() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken/unknown-dependency");
    let output = run_in(&case, &["check", "--format", "json"], "");
    assert!(output.starts_with("exit: 1\n"), "{output}");
    assert!(output.contains("\"fix\":{\"title\":\"use `apache`\""), "{output}");
}

/// One `froyo check` reports the errors of every stage: the `many-errors-*`
/// examples plant a field typo, a wrong type, an unknown resource type, an
/// unknown dependency and a cycle each, in CUE, in Starlark and in both.
#[test]
fn check_reports_every_independent_error_in_one_run() {
    for name in ["many-errors-cue", "many-errors-starlark", "many-errors-mixed"] {
        let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken").join(name);
        let output = run_in(&case, &["check", "--format", "json"], "");
        assert!(output.starts_with("exit: 1\n"), "{name}:\n{output}");
        for code in ["E0200", "E0203", "E0301", "E0303", "E0306"] {
            assert!(
                output.contains(&format!("{{\"code\":\"{code}\"")),
                "{name}: no {code}\n{output}"
            );
        }
    }
}

/// Every workspace under `examples/broken/` as JSON lines: what the
/// language server's test (`lsp/tests/protocol.rs`) compares its published
/// diagnostics with.
#[test]
fn examples_broken_json() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/broken");
    let mut cases: Vec<_> =
        fs::read_dir(&root).unwrap().map(|entry| entry.unwrap().path()).collect();
    cases.sort();
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let output = run_in(&case, &["check", "--format", "json"], "");
        insta::assert_snapshot!(format!("json_{}", name.replace('-', "_")), output);
    }
}

/// A data file too large to compile is a diagnostic, found without parsing
/// or evaluating it (a 50 MB file took seconds and gigabytes before).
#[test]
fn check_refuses_files_too_large_to_compile() {
    let mut data = b"package site\n\nrecords: [\n".to_vec();
    while data.len() < (5 << 20) {
        data.extend_from_slice(b"\t{id: 1, name: \"record\", tags: [\"a\", \"b\"]},\n");
    }
    data.extend_from_slice(b"]\n");
    let directory = workspace(&[
        ("data.cue", &data),
        ("hosts.cue", b"package site\n\nhosts: local: {transport: \"local\"}\n"),
    ]);
    let output = run_in(directory.path(), &["check"], "");
    assert!(output.starts_with("exit: 1\n"), "{output}");
    assert!(output.contains("error[E0103]: `data.cue` is 5242"), "{output}");
    assert_eq!(output.matches("error[").count(), 1, "{output}");
}

#[test]
fn init_writes_a_workspace_that_checks_clean_and_applies() {
    let directory = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(run_in(directory.path(), &["init", "site"], ""));
    let site = directory.path().join("site");
    insta::assert_snapshot!(
        "init_site_cue",
        fs::read_to_string(site.join("site.cue"))
            .unwrap()
            .replace(&*site.to_string_lossy(), "[SITE]")
    );
    assert_eq!(
        fs::read_to_string(site.join(".gitignore")).unwrap(),
        "# froyo's state database and lock, and what `froyo plan -o` and `froyo build` write.\n\
         .froyo/\n*.plan\nsite.ir\n"
    );
    assert_eq!(
        fs::read_to_string(site.join("cue.mod/module.cue")).unwrap(),
        "module: \"example.com/site\"\n"
    );
    let checked = run_in(&site, &["check"], "");
    assert!(checked.starts_with("exit: 0\n") && checked.contains("no problems"), "{checked}");
    let applied = run_in(directory.path(), &["apply", "--yes", "--color", "never", "site"], "");
    assert!(applied.starts_with("exit: 0\n"), "{applied}");
    assert_eq!(fs::read_to_string(site.join("hello.txt")).unwrap(), "Hello from froyo.\n");
}

#[test]
fn init_refuses_to_overwrite() {
    let directory = workspace(&[("site.cue", CLEAN)]);
    insta::assert_snapshot!(run_in(directory.path(), &["init"], ""));
    assert_eq!(fs::read_to_string(directory.path().join("site.cue")).unwrap().as_bytes(), CLEAN);
    assert!(!directory.path().join("hosts.cue").exists());
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    use std::io::Read as _;
    let mut source = String::from("package p\n");
    for index in 0..20_000 {
        source.push_str(&format!("f{index}: \"{}\"\n", "x".repeat(50)));
    }
    let directory = workspace(&[("big.cue", source.as_bytes())]);
    for args in [&["export", "big.cue"][..], &["eval", "big.cue"], &["fmt", "--diff", "big.cue"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_froyo"))
            .args(args)
            .current_dir(directory.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Read a little, then close the pipe, as `| head -1` does.
        let mut first = [0u8; 16];
        child.stdout.take().unwrap().read_exact(&mut first).unwrap();
        let output = child.wait_with_output().unwrap();
        assert_eq!(output.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&output.stderr), "", "{args:?}");
    }
}

#[test]
fn a_file_path_ending_in_a_slash_is_an_error_at_check_not_at_apply() {
    let directory = workspace(&[
        ("hosts.cue", b"package site\n\nhosts: localhost: transport: \"local\"\n"),
        (
            "site.cue",
            b"package site\n\nimport \"froyo.dev/linux\"\n\nresources: f: linux.#File & {path: \"/tmp/x/\", content: \"a\"}\n",
        ),
    ]);
    let output = run_in(directory.path(), &["check"], "");
    assert!(output.starts_with("exit: 1\n"), "{output}");
    assert!(output.contains("E0207") && output.contains("!~\"/$\""), "{output}");
}

// --- Data files as inputs (JSON, JSON Lines, YAML, TOML) -----------------------------

const HOST_SCHEMA: &[u8] = b"package site\n\n#Host: {name: string, port: int & >0 & <65536, tags: [...string]}\nhosts: [string]: #Host\n";

#[test]
fn export_unifies_data_files_with_the_package() {
    let files: &[(&str, &[u8])] = &[
        ("schema.cue", HOST_SCHEMA),
        ("values.yaml", b"hosts:\n  web:\n    name: web\n    port: 8080\n    tags: [a, yes, 1m]\n"),
        ("more.toml", b"[hosts.db]\nname = \"db\"\nport = 5432\ntags = []\n"),
        ("extra.json", b"{\"hosts\": {\"web\": {\"name\": \"web\"}}, \"owner\": \"ops\"}\n"),
    ];
    insta::assert_snapshot!(run(
        &["export", "schema.cue", "values.yaml", "more.toml", "extra.json"],
        files
    ));
    // A data file alone is its own value.
    insta::assert_snapshot!(run(&["export", "--out", "yaml", "more.toml"], files));
}

#[test]
fn export_reports_data_the_schema_refuses_at_the_data_line() {
    let files: &[(&str, &[u8])] = &[
        ("schema.cue", HOST_SCHEMA),
        ("values.yaml", b"hosts:\n  web:\n    name: web\n    port: 0\n    tags: []\n"),
    ];
    insta::assert_snapshot!(run(&["export", "schema.cue", "values.yaml"], files));
}

#[test]
fn export_reports_data_files_that_do_not_parse_with_their_line_and_column() {
    let files: &[(&str, &[u8])] = &[
        ("schema.cue", HOST_SCHEMA),
        ("trailing.json", b"{\n  \"hosts\": {},\n}\n"),
        ("tab.yaml", b"hosts:\n  web: {name: web\n  db: 1\n"),
        ("key.toml", b"[hosts]\nweb = \n"),
        ("infinite.yaml", b"ratio: .inf\n"),
    ];
    for file in ["trailing.json", "tab.yaml", "key.toml", "infinite.yaml"] {
        insta::assert_snapshot!(file, run(&["export", "schema.cue", file], files));
    }
}

#[test]
fn export_evaluates_each_value_of_a_json_lines_file_or_yaml_stream() {
    let files: &[(&str, &[u8])] = &[
        ("schema.cue", b"package site\n\nport: int & <1024\nname: string\n"),
        (
            "events.jsonl",
            b"{\"name\": \"a\", \"port\": 22}\n{\"name\": \"b\", \"port\": 8080}\n{\"name\": \"c\", \"port\": 80}\n",
        ),
        ("docs.yaml", b"name: a\nport: 22\n---\nname: b\nport: 80\n"),
    ];
    // The second value breaks the schema; the first and third still export.
    insta::assert_snapshot!(run(&["export", "schema.cue", "events.jsonl"], files));
    insta::assert_snapshot!(run(&["export", "--out", "yaml", "schema.cue", "docs.yaml"], files));
    // Two streams at once are refused.
    let output = run(&["export", "events.jsonl", "docs.yaml"], files);
    assert!(output.starts_with("exit: 1\n") && output.contains("E0105"), "{output}");
}

// --- Package and import-path arguments, cue.mod dependencies ----------------------------

#[test]
fn export_names_packages_by_qualified_path_or_import_path_as_cue_does() {
    let files: &[(&str, &[u8])] = &[
        (
            "cue.mod/module.cue",
            b"module: \"mod.example/m@v0\"\nlanguage: version: \"v0.10.0\"\nsource: kind: \"self\"\ndeps: \"reg.example/dep@v0\": v: \"v0.1.0\"\n",
        ),
        ("two/a.cue", b"package a\n\nx: 1\n"),
        ("two/b.cue", b"package b\n\ny: 2\n"),
        ("lib/q/q.cue", b"package q\n\nz: 4\n"),
        (
            "lib/p/p.cue",
            b"package p\n\nimport (\n\t\"mod.example/m/lib/q@v0\"\n\t\"vend.example/lib\"\n)\n\nfrom_q: q.z\nfrom_vendored: lib.v\n",
        ),
        ("cue.mod/pkg/vend.example/lib/lib.cue", b"package lib\n\nv: 3\n"),
        ("cue.mod/usr/vend.example/lib/extra.cue", b"package lib\n\nv: int\n"),
    ];
    let directory = workspace(files);
    // `workspace` wrote its own module file first; this test's replaces it.
    fs::write(directory.path().join("cue.mod/module.cue"), files[0].1).unwrap();
    let mut transcript = String::new();
    for arguments in [
        &["export", "two:b"][..],
        &["export", "./two:a"],
        &["export", "two"],
        &["export", "two:c"],
        &["export", "mod.example/m/lib/p"],
        &["export", "mod.example/m/lib/p@v0", "--out", "yaml"],
        &["export", "vend.example/lib"],
        &["export", "cue.mod/pkg/vend.example/lib"],
        &["export", "reg.example/dep/x"],
        &["export", "nowhere.example/x"],
        &["export", "two/a.cue:a"],
    ] {
        transcript.push_str(&format!("$ froyo {}\n", arguments.join(" ")));
        transcript.push_str(&run_in(directory.path(), arguments, ""));
        transcript.push('\n');
    }
    insta::assert_snapshot!(transcript);
}

#[test]
fn check_and_export_read_vendored_dependencies() {
    let files: &[(&str, &[u8])] = &[
        ("cue.mod/pkg/vend.example/net/net.cue", b"package net\n\nlocal: \"127.0.0.1\"\n"),
        (
            "site.cue",
            b"package site\n\nimport \"vend.example/net\"\n\nhosts: local: {address: net.local}\n",
        ),
    ];
    let checked = run(&["check"], files);
    assert!(checked.starts_with("exit: 0\n"), "{checked}");
    let exported = run(&["export", "-e", "hosts.local.address"], files);
    assert_eq!(exported, "exit: 0\n--- stdout\n\"127.0.0.1\"\n--- stderr\n");
}

/// `@embed` (today's CUE, `cue help embed`; the reference v0.4 has no
/// embedding, so the expected output is written from today's documented
/// behaviour): a template and data files brought into a configuration, seen
/// alike by `froyo check`, `froyo export` and the IR of `froyo build`.
#[test]
fn embed_brings_templates_and_data_into_a_configuration() {
    let files: &[(&str, &[u8])] = &[
        (
            "site.cue",
            b"@extern(embed)\n\npackage site\n\nimport \"froyo.dev/linux\"\n\nhosts: local: {address: \"127.0.0.1\"}\n\nvhost: _ @embed(file=templates/vhost.conf, type=text)\nsettings: _ @embed(file=settings.yaml)\nsettings: port: int & >1024\nusers: _ @embed(glob=users/*.json)\n\nresources: site: linux.#File & {\n\ton: {}\n\tpath: \"/etc/apache2/sites-enabled/site.conf\"\n\tcontent: vhost\n}\n",
        ),
        ("templates/vhost.conf", b"<VirtualHost *:8080>\n  DocumentRoot /srv/site\n</VirtualHost>\n"),
        ("settings.yaml", b"port: 8080\nnames: [web, www]\n"),
        ("users/alice.json", b"{\"uid\": 1001}\n"),
        ("users/bob.json", b"{\"uid\": 1002}\n"),
    ];
    let directory = workspace(files);
    let mut transcript = String::new();
    for arguments in [
        &["check"][..],
        &["export", "-e", "settings"],
        &["export", "-e", "users", "--out", "yaml"],
        &["export", "-e", "vhost", "--out", "text"],
    ] {
        transcript.push_str(&format!("$ froyo {}\n", arguments.join(" ")));
        transcript.push_str(&run_in(directory.path(), arguments, ""));
        transcript.push('\n');
    }
    insta::assert_snapshot!(transcript);
    let built = run_in(directory.path(), &["build", "-o", "-"], "");
    assert!(built.contains("DocumentRoot /srv/site"), "the IR holds the template: {built}");

    // An edit of an embedded file is what the next run sees.
    fs::write(directory.path().join("settings.yaml"), "port: 80\nnames: []\n").unwrap();
    let checked = run_in(directory.path(), &["check"], "");
    assert!(checked.starts_with("exit: 1\n") && checked.contains("E0207"), "{checked}");
}

/// The refusals that keep a configuration from reading files outside its
/// module, and the other errors of `@embed`, each at its attribute.
#[test]
fn embed_refuses_files_outside_the_module_and_reports_at_the_attribute() {
    let files: &[(&str, &[u8])] = &[
        (
            "site.cue",
            b"@extern(embed)\n\npackage site\n\nhosts: local: {address: \"127.0.0.1\"}\n\nlink: _ @embed(file=link.txt)\nparent: _ @embed(file=../secret.txt)\nabsolute: _ @embed(file=/etc/shadow)\nmissing: _ @embed(file=missing.json)\nnone: _ @embed(glob=conf/*.toml)\nbroken: _ @embed(file=broken.json)\n",
        ),
        ("broken.json", b"{\"a\": 1,}\n"),
        ("off/site.cue", b"package site\n\nx: _ @embed(file=x.json)\n"),
        ("off/x.json", b"1\n"),
    ];
    let directory = workspace(files);
    let outside = tempfile::tempdir().unwrap();
    fs::write(outside.path().join("secret.txt"), "root:x:0:0\n").unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        directory.path().join("link.txt"),
    )
    .unwrap();
    let mut transcript = String::new();
    for arguments in [&["check"][..], &["export", "-e", "link"], &["export", "./off"]] {
        transcript.push_str(&format!("$ froyo {}\n", arguments.join(" ")));
        transcript.push_str(&run_in(directory.path(), arguments, ""));
        transcript.push('\n');
    }
    insta::assert_snapshot!(transcript);
}
