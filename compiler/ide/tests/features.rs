//! Each feature of `froyo-ide` without an editor: a workspace written to a
//! temporary directory (files separated by `//- name` lines, the cursor at
//! `$0`), loaded with `froyo-loader` into the database the CLI uses, one
//! call, and the answer checked as plain data.

use std::path::Path;

use froyo_ide::{CompletionKind, Context, Database, FileKind, Project, SymbolKind};

const MODULE: &str = "//- cue.mod/module.cue\nmodule: \"example.com/site\"\n//- hosts.cue\npackage site\n\nhosts: web1: {address: \"10.0.0.1\", labels: {role: \"web\", zone: \"eu\"}}\n";

/// A loaded fixture: the database, the project, and the cursor's file and offset.
struct Fixture {
    _directory: tempfile::TempDir,
    db: Database,
    project: Project,
    file: u32,
    offset: u32,
}

impl Fixture {
    fn new(spec: &str) -> Fixture {
        let directory = tempfile::tempdir().expect("temporary directory");
        let root = directory.path().to_path_buf();
        let mut cursor = None;
        for chunk in format!("{MODULE}{spec}").split("//- ").filter(|chunk| !chunk.is_empty()) {
            let (name, text) = chunk.split_once('\n').expect("a name line");
            let path = root.join(name.trim());
            let text = match text.find("$0") {
                Some(at) => {
                    cursor = Some((path.clone(), at as u32));
                    text.replacen("$0", "", 1)
                }
                None => text.to_string(),
            };
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("directory");
            std::fs::write(&path, text).expect("write");
        }
        let mut db = Database::default();
        let stdlib = root.join(".stdlib");
        let project = froyo_loader::load(
            &mut db,
            &froyo_loader::Request {
                target: froyo_loader::Target::Module(root.clone()),
                overlay: &froyo_loader::Overlay::new(),
                previous: None,
                display_base: &root,
                stdlib_directory: &stdlib,
                watch: false,
            },
        );
        let (path, offset) = cursor.unwrap_or_else(|| (root.join("hosts.cue"), 0));
        let file = project.file_id(&path).expect("the cursor's file is in the project");
        Fixture { _directory: directory, db, project, file, offset }
    }

    /// The example workspace `name` of the repository, with the cursor in
    /// `file` at the start of the first `needle` plus `shift` bytes.
    fn example(name: &str, file: &str, needle: &str, shift: u32) -> Fixture {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name);
        let directory = tempfile::tempdir().expect("temporary directory");
        let mut db = Database::default();
        let stdlib = directory.path().join("stdlib");
        let project = froyo_loader::load(
            &mut db,
            &froyo_loader::Request {
                target: froyo_loader::Target::Module(root.clone()),
                overlay: &froyo_loader::Overlay::new(),
                previous: None,
                display_base: &root,
                stdlib_directory: &stdlib,
                watch: false,
            },
        );
        let file = project.file_id(&root.join(file)).expect("the file is in the example");
        let text = project.text(&db, file).expect("text");
        let offset = text.find(needle).expect("the needle is in the file") as u32 + shift;
        Fixture { _directory: directory, db, project, file, offset }
    }

    fn context(&self) -> Context<'_> {
        let text = self.project.text(&self.db, self.file).expect("text");
        Context { db: &self.db, project: &self.project, file: self.file, text }
    }

    /// The text of `range`.
    fn text_of(&self, range: &froyo_ide::FileRange) -> String {
        let text = self.project.text(&self.db, range.file).unwrap_or("");
        text.get(range.start as usize..range.end as usize).unwrap_or("?").to_string()
    }

    fn file_name(&self, file: u32) -> String {
        let path = &self.project.file(file).expect("file").path;
        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()
    }
}

const SITE: &str = "//- site.cue\npackage site\n\nimport \"froyo.dev/linux\"\n\n";

#[test]
fn completion_offers_schema_fields_not_yet_written() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: motd: linux.#File & {{\n\ton: role: \"web\"\n\tpath: \"/etc/motd\"\n\tco$0\n}}\n"
    ));
    let items = froyo_ide::completions(&fixture.context(), fixture.offset);
    let content = items.iter().find(|item| item.label == "content").expect("content");
    assert_eq!(content.kind, CompletionKind::Field);
    assert!(content.detail.as_deref().is_some_and(|detail| detail.contains("string")));
    let (start, end, text) = content.edit.clone().expect("an edit");
    assert_eq!(end - start, 2, "the edit replaces the typed `co`");
    assert_eq!(text, "content: ");
    assert!(items.iter().all(|item| item.label != "path"), "`path` is written already");
}

#[test]
fn completion_offers_resource_ids_in_require() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: dir: linux.#Directory & {{on: role: \"web\", path: \"/srv\"}}\nresources: f: linux.#File & {{on: role: \"web\", path: \"/srv/f\", require: [\"$0\"]}}\n"
    ));
    let labels: Vec<String> = froyo_ide::completions(&fixture.context(), fixture.offset)
        .into_iter()
        .map(|item| item.label)
        .collect();
    assert_eq!(labels, vec!["dir"]);
}

#[test]
fn completion_in_starlark_offers_constructor_parameters() {
    let fixture = Fixture::new("//- site.star\nlinux.file(\"motd\", path = \"/etc/motd\", $0)\n");
    let items = froyo_ide::completions(&fixture.context(), fixture.offset);
    assert!(
        items.iter().any(|item| item.label == "content" && item.kind == CompletionKind::Parameter)
    );
    assert!(items.iter().all(|item| item.label != "path"));
}

#[test]
fn hover_on_a_resource_field_shows_doc_value_and_provenance() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: motd: linux.#File & {{\n\ton: role: \"web\"\n\tpa$0th: \"/etc/motd\"\n}}\n"
    ));
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert!(hover.markdown.starts_with("```cue\npath: "), "{}", hover.markdown);
    assert!(hover.markdown.contains("Value: `\"/etc/motd\"`"), "{}", hover.markdown);
    let places: Vec<&str> = hover.provenance.iter().map(|(what, _)| what.as_str()).collect();
    assert_eq!(places[0], "your field");
    assert!(places.iter().any(|what| what.starts_with("constraint `path:")), "{places:?}");
}

#[test]
fn goto_definition_of_a_required_id_is_its_declaration() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: dir: linux.#Directory & {{on: role: \"web\", path: \"/srv\"}}\nresources: f: linux.#File & {{on: role: \"web\", path: \"/srv/f\", require: [\"d$0ir\"]}}\n"
    ));
    let targets = froyo_ide::definition(&fixture.context(), fixture.offset);
    assert_eq!(targets.len(), 1);
    assert_eq!(fixture.text_of(&targets[0]), "dir");
    assert_eq!(fixture.file_name(targets[0].file), "site.cue");
}

#[test]
fn goto_definition_of_a_reference_is_the_field() {
    let fixture = Fixture::new(&format!(
        "{SITE}root: \"/srv\"\nresources: dir: linux.#Directory & {{on: role: \"web\", path: ro$0ot}}\n"
    ));
    let targets = froyo_ide::definition(&fixture.context(), fixture.offset);
    let found: Vec<String> = targets.iter().map(|target| fixture.text_of(target)).collect();
    assert_eq!(found, vec!["root"]);
}

#[test]
fn references_and_rename_of_a_resource_id_cover_cue_and_starlark() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: d$0ir: linux.#Directory & {{on: role: \"web\", path: \"/srv\"}}\n//- site.star\nlinux.file(\"f\", on = {{\"role\": \"web\"}}, path = \"/srv/f\", require = [\"dir\"])\n"
    ));
    let context = fixture.context();
    let references = froyo_ide::references(&context, fixture.offset, true).expect("references");
    let found: Vec<(String, String)> = references
        .iter()
        .map(|range| (fixture.file_name(range.file), fixture.text_of(range)))
        .collect();
    assert_eq!(
        found,
        vec![
            ("site.cue".to_string(), "dir".to_string()),
            ("site.star".to_string(), "\"dir\"".to_string())
        ]
    );
    let (range, name) = froyo_ide::rename_target(&context, fixture.offset).expect("renamable");
    assert_eq!((fixture.text_of(&range), name.as_str()), ("dir".to_string(), "dir"));
    let edits = froyo_ide::rename(&context, fixture.offset, "srv-dir").expect("edits");
    let edits: Vec<String> = edits.into_iter().map(|(_, text)| text).collect();
    assert_eq!(edits, vec!["\"srv-dir\"", "\"srv-dir\""]);
    assert!(froyo_ide::rename(&context, fixture.offset, "dir").is_err(), "the id exists");
}

#[test]
fn symbols_list_hosts_and_resources() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: dir: linux.#Directory & {{on: role: \"web\", path: \"/srv$0\"}}\n"
    ));
    let symbols = froyo_ide::document_symbols(&fixture.context());
    let names: Vec<(&str, SymbolKind, Option<&str>)> = symbols
        .iter()
        .map(|symbol| (symbol.name.as_str(), symbol.kind, symbol.detail.as_deref()))
        .collect();
    assert_eq!(names, vec![("dir", SymbolKind::Resource, Some("linux.directory"))]);
    let all = froyo_ide::workspace_symbols(&fixture.db, &fixture.project, "");
    let names: Vec<&str> = all.iter().map(|symbol| symbol.name.as_str()).collect();
    assert_eq!(names, vec!["web1", "dir"]);
}

#[test]
fn semantic_tokens_classify_cue_and_starlark() {
    let cue = "package site\nx: linux.#File\n";
    let classes: Vec<String> = froyo_ide::semantic_tokens(cue, false)
        .iter()
        .map(|(start, end, class)| {
            format!(
                "{}={}",
                &cue[*start as usize..*end as usize],
                froyo_ide::TOKEN_TYPES[*class as usize]
            )
        })
        .collect();
    assert_eq!(
        classes.join(" "),
        "package=keyword site=namespace x=property linux=variable #File=type"
    );
    let star = "linux.file(\"a\", path = \"/x\")  # c\n";
    let classes: Vec<&str> = froyo_ide::semantic_tokens(star, true)
        .iter()
        .map(|(_, _, class)| froyo_ide::TOKEN_TYPES[*class as usize])
        .collect();
    assert_eq!(classes, vec!["namespace", "function", "string", "parameter", "string", "comment"]);
}

#[test]
fn inlay_hints_show_defaults_not_written() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: f: linux.#File & {{on: role: \"web\", path: \"/srv/f$0\"}}\n"
    ));
    let hints = froyo_ide::inlay_hints(&fixture.context());
    assert_eq!(hints.len(), 1);
    assert!(hints[0].1.contains("state: \"present\""), "{:?}", hints[0].1);
}

#[test]
fn formatting_is_one_edit_or_none() {
    let fixture = Fixture::new(&format!("{SITE}x:   1$0\n"));
    let edits = froyo_ide::formatting(&fixture.context()).expect("formattable");
    assert_eq!(edits.len(), 1);
    assert!(edits[0].text.ends_with("x: 1\n"), "{:?}", edits[0].text);
    let star = Fixture::new("//- site.star\nx  =  1$0\n");
    assert_eq!(star.project.file(star.file).map(|file| file.kind), Some(FileKind::Starlark));
    assert!(froyo_ide::formatting(&star.context()).is_none());
}

#[test]
fn code_actions_offer_the_fix_of_an_unknown_dependency() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: dir: linux.#Directory & {{on: role: \"web\", path: \"/srv\"}}\nresources: f: linux.#File & {{on: role: \"web\", path: \"/srv/f\", require: [\"di$0\"]}}\n"
    ));
    let text = fixture.context().text.to_string();
    let actions = froyo_ide::code_actions(&fixture.context(), 0, text.len() as u32);
    let titles: Vec<&str> = actions.iter().map(|action| action.title.as_str()).collect();
    let action =
        actions.iter().find(|action| action.edits.iter().any(|edit| edit.text.contains("dir")));
    assert!(action.is_some(), "{titles:?}");
}

#[test]
fn a_missing_required_field_is_placed_at_the_declaration_with_a_fix() {
    let fixture =
        Fixture::new(&format!("{SITE}resources: f$0: linux.#File & {{on: role: \"web\"}}\n"));
    let diagnostics = froyo_ide::project_diagnostics(&fixture.db, &fixture.project);
    let missing =
        diagnostics.iter().find(|diagnostic| diagnostic.code.code == "E0201").expect("E0201");
    assert_eq!(missing.primary.span.file.0, fixture.file);
    let text = fixture.context().text;
    assert_eq!(&text[missing.primary.span.start as usize..missing.primary.span.end as usize], "f");
    let actions = froyo_ide::code_actions(&fixture.context(), fixture.offset, fixture.offset);
    let add = actions.iter().find(|action| action.title.contains("`path`")).expect("a fix");
    assert_eq!(add.edits[0].text, "path: \"\", ");
}

#[test]
fn project_files_outside_the_package_have_no_index() {
    let fixture = Fixture::new(&format!("{SITE}x: 1$0\n"));
    let stdlib = fixture
        .project
        .files
        .iter()
        .position(|file| file.kind == FileKind::Stdlib)
        .expect("a stdlib file") as u32;
    assert!(froyo_ide::file_index(&fixture.db, &fixture.project, stdlib).is_none());
}

#[test]
fn hover_on_a_reference_shows_the_value_type_and_origin_of_the_field() {
    // `path: root` in examples/quickstart: on `root`.
    let fixture = Fixture::example("quickstart", "site.cue", "path: root", 7);
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert_eq!(
        hover.markdown,
        "```cue\nroot: string\n```\n\nEverything the quickstart writes lives under this directory.\n\nValue: `\"/tmp/froyo-quickstart\"`"
    );
    let text = fixture.context().text;
    assert_eq!(&text[hover.start as usize..hover.end as usize], "root");
    let places: Vec<(String, String)> = hover
        .provenance
        .iter()
        .map(|(what, range)| (what.clone(), fixture.text_of(range)))
        .collect();
    assert_eq!(places, vec![("declared".to_string(), "root".to_string())]);
    let declared = &hover.provenance[0].1;
    assert!(declared.start < hover.start, "the top-level field, above the reference");
}

#[test]
fn hover_on_a_top_level_field_shows_its_value() {
    let fixture = Fixture::example("quickstart", "site.cue", "root: ", 1);
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert!(hover.markdown.starts_with("```cue\nroot: string\n```"), "{}", hover.markdown);
    assert!(hover.markdown.contains("Value: `\"/tmp/froyo-quickstart\"`"), "{}", hover.markdown);
    assert_eq!(hover.provenance.len(), 1);
}

#[test]
fn hover_on_a_selection_and_on_any_nested_field() {
    // `\(resources.directory.path)` in `welcome`: on `directory`.
    let fixture = Fixture::example("quickstart", "site.cue", "directory.path)", 2);
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert!(
        hover.markdown.starts_with("```cue\nresources.directory: struct\n```"),
        "{}",
        hover.markdown
    );
    assert!(hover.markdown.contains("\"/tmp/froyo-quickstart\""), "{}", hover.markdown);
    // A field below a resource's schema fields: `on: role: …`.
    let fixture = Fixture::example("quickstart", "hosts.cue", "role:", 1);
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert!(
        hover.markdown.starts_with("```cue\nhosts.localhost.labels.role: string\n```"),
        "{}",
        hover.markdown
    );
    assert!(hover.markdown.contains("Value: `\"workstation\"`"), "{}", hover.markdown);
}

#[test]
fn hover_on_a_definition_or_unevaluated_field_shows_it_as_written() {
    let fixture = Fixture::new(&format!(
        "{SITE}#Port: int & >0
port: #P$0ort & 80
broken: 1 & 2
"
    ));
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert!(hover.markdown.starts_with("```cue\n#Port\n```"), "{}", hover.markdown);
    assert!(hover.markdown.contains("As written: `int & >0`"), "{}", hover.markdown);
}

#[test]
fn hover_never_shows_a_sensitive_value() {
    let fixture = Fixture::new(&format!(
        "{SITE}resources: x: linux.#Exec & {{on: role: \"web\", command: \"true\", env: {{TO$0KEN: \"hunter2\"}}}}\n"
    ));
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert!(!hover.markdown.contains("hunter2"), "{}", hover.markdown);
    assert!(hover.markdown.contains("(sensitive)"), "{}", hover.markdown);
}

#[test]
fn hover_on_config_in_starlark_shows_the_cue_field() {
    let fixture = Fixture::new(&format!(
        "{SITE}// Where sites live.\nroot: \"/srv\"\n//- site.star\nlinux.directory(\"d\", on = {{\"role\": \"web\"}}, path = config.ro$0ot)\n"
    ));
    let hover = froyo_ide::hover(&fixture.context(), fixture.offset).expect("a hover");
    assert_eq!(
        hover.markdown,
        "```cue\nroot: string\n```\n\nWhere sites live.\n\nValue: `\"/srv\"`"
    );
    assert_eq!(hover.provenance.len(), 1);
    assert_eq!(fixture.file_name(hover.provenance[0].1.file), "site.cue");
}
