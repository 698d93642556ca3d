//! Running one workspace `.star` file: its loads, the limits, and the
//! translation of Starlark's errors into froyo diagnostics.
//!
//! A file is evaluated with the prelude and `config` in scope. Its `load`
//! statements are resolved first, in the workspace only: `//lib/x.star` from
//! the workspace root, `x.star` or `../lib/x.star` from the loading file's
//! directory. A loaded file is evaluated once per run, in its own module and
//! without a registry (its own resources count when it is run itself), and a
//! load that leads back to a file being loaded is reported as a cycle with
//! the whole chain.
//!
//! Every evaluated statement counts against [`Options::max_steps`], the
//! Starlark call stack is bounded by [`Options::max_call_depth`], and the
//! heap by [`Options::max_heap_bytes`]; exceeding one is a diagnostic.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::{Arc, OnceLock};

use froyo_diagnostics::{Diagnostic, FileId, Span, registry};
use froyo_eval::Data;
use starlark::PrintHandler;
use starlark::codemap::FileSpanRef;
use starlark::environment::{FrozenModule, Globals, GlobalsBuilder, LibraryExtension, Module};
use starlark::eval::{BeforeStmtFunc, BeforeStmtFuncDyn, Evaluator, ReturnFileLoader};
use starlark::syntax::{AstModule, Dialect};

use crate::config::ConfigValue;
pub use crate::registry::Declared;
use crate::registry::Registry;

/// Bounds on one run.
#[derive(Debug, Clone)]
pub struct Options {
    /// Statements executed, over the file and everything it loads.
    pub max_steps: u64,
    /// Depth of Starlark function calls.
    pub max_call_depth: usize,
    /// Size of the Starlark heap, checked as Starlark collects garbage.
    pub max_heap_bytes: usize,
    /// Resources declared, over the file and everything it loads.
    pub max_resources: usize,
    /// Function calls and loop iterations (comprehensions' included) of one
    /// file's evaluation.
    pub max_ticks: u64,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            max_steps: 1_000_000,
            max_call_depth: 200,
            max_heap_bytes: 512 << 20,
            max_resources: 100_000,
            max_ticks: 10_000_000,
        }
    }
}

/// Where the text of workspace files comes from (the database, in froyo).
pub trait Files {
    /// The id and text of the workspace file at `path` (relative to the
    /// workspace root, `/`-separated), if there is one.
    fn read(&self, path: &str) -> Option<(FileId, Arc<str>)>;
}

/// A declared resource with its location resolved to a file id.
#[derive(Debug, Clone, PartialEq)]
pub struct Resource {
    pub type_name: &'static str,
    pub id: String,
    pub value: Data,
    pub span: Span,
}

/// What running a file gave.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Output {
    /// In declaration order.
    pub resources: Vec<Resource>,
    /// Errors stop the file: when there is one, `resources` holds what was
    /// declared before it (complete declarations, each checked like any other).
    pub diagnostics: Vec<Diagnostic>,
    /// Lines printed with `print()`, in order.
    pub printed: Vec<String>,
    /// Every file read: the file itself and what it loads, transitively.
    pub files_read: Vec<String>,
}

fn dialect() -> Dialect {
    Dialect { enable_f_strings: true, ..Dialect::Extended }
}

/// The standard Starlark functions without anything that reaches outside
/// (there are none in the standard set: no clock, randomness, environment or
/// files), plus the prelude.
fn globals() -> &'static Globals {
    static GLOBALS: OnceLock<Globals> = OnceLock::new();
    GLOBALS.get_or_init(|| {
        GlobalsBuilder::extended_by(&[
            LibraryExtension::StructType,
            LibraryExtension::RecordType,
            LibraryExtension::EnumType,
            LibraryExtension::NamespaceType,
            LibraryExtension::Map,
            LibraryExtension::Filter,
            LibraryExtension::Partial,
            LibraryExtension::Debug,
            LibraryExtension::Print,
            LibraryExtension::Json,
            LibraryExtension::Typing,
            LibraryExtension::SetType,
        ])
        .with(crate::prelude::register)
        .with(crate::repeat::register)
        .build()
    })
}

/// Runs the workspace file at `path` with `config` in scope.
pub fn run(path: &str, files: &dyn Files, config: Arc<Data>, options: &Options) -> Output {
    let session = Session {
        files,
        config,
        options,
        steps: Rc::new(Cell::new(0)),
        over_limit: Rc::new(Cell::new(false)),
        loaded: RefCell::new(HashMap::new()),
        loading: RefCell::new(Vec::new()),
        file_ids: RefCell::new(HashMap::new()),
        printed: Printed::default(),
        diagnostics: RefCell::new(Vec::new()),
    };
    let registry = Registry::with_limit(options.max_resources);
    // A failure is in the session's diagnostics.
    let _ = session.evaluate(path, Some(&registry), None);
    let mut output = Output {
        printed: session.printed.lines.take(),
        files_read: session.file_ids.borrow().keys().cloned().collect(),
        ..Output::default()
    };
    output.files_read.sort();
    output.diagnostics = session.diagnostics.take();
    // What was declared before an error is kept, so that it is checked in
    // the same run.
    {
        let file_ids = session.file_ids.borrow();
        output.resources = registry
            .take()
            .into_iter()
            .map(|declared| {
                let span = declared
                    .location
                    .as_ref()
                    .and_then(|(file, start, end)| {
                        file_ids.get(file).map(|id| Span::new(*id, *start, *end))
                    })
                    .unwrap_or_else(|| {
                        Span::new(file_ids.get(path).copied().unwrap_or(FileId(0)), 0, 0)
                    });
                Resource {
                    type_name: declared.type_name,
                    id: declared.id,
                    value: declared.value,
                    span,
                }
            })
            .collect();
    }
    output
}

struct Session<'a> {
    files: &'a dyn Files,
    config: Arc<Data>,
    options: &'a Options,
    steps: Rc<Cell<u64>>,
    over_limit: Rc<Cell<bool>>,
    /// Loaded modules, by workspace path.
    loaded: RefCell<HashMap<String, FrozenModule>>,
    /// The chain of files being loaded, outermost first, with the span of
    /// the `load` that continues the chain.
    loading: RefCell<Vec<(String, Option<Span>)>>,
    file_ids: RefCell<HashMap<String, FileId>>,
    printed: Printed,
    diagnostics: RefCell<Vec<Diagnostic>>,
}

/// Why a file could not be evaluated; the diagnostic is already recorded.
struct Failed;

#[derive(Default)]
struct Printed {
    lines: RefCell<Vec<String>>,
}

impl PrintHandler for Printed {
    fn println(&self, text: &str) -> starlark::Result<()> {
        self.lines.borrow_mut().push(text.to_string());
        Ok(())
    }
}

/// Counts statements and stops evaluation past the limit; also stops it
/// when the heap has grown past its limit (the crate checks only when it
/// collects garbage, so a loop doubling a string would reach gigabytes
/// first: checked here, one statement overshoots at most).
struct StepCounter {
    steps: Rc<Cell<u64>>,
    over_limit: Rc<Cell<bool>>,
    max_steps: u64,
    max_heap_bytes: usize,
}

impl<'e> BeforeStmtFuncDyn<'e> for StepCounter {
    fn call<'v>(
        &mut self,
        _span: FileSpanRef,
        _continued: bool,
        eval: &mut Evaluator<'v, '_, 'e>,
    ) -> starlark::Result<()> {
        if eval.heap().allocated_bytes() > self.max_heap_bytes {
            self.over_limit.set(true);
            return Err(starlark::Error::new_other(anyhow::anyhow!(
                "the Starlark heap limit ({} MiB) was reached",
                self.max_heap_bytes >> 20
            )));
        }
        let steps = self.steps.get() + 1;
        self.steps.set(steps);
        if steps > self.max_steps {
            self.over_limit.set(true);
            return Err(starlark::Error::new_other(anyhow::anyhow!(
                "the Starlark step limit ({} statements) was reached; is there an endless loop?",
                self.max_steps
            )));
        }
        Ok(())
    }
}

impl Session<'_> {
    /// Evaluates the file at `path`; `registry` collects its resources.
    fn evaluate(
        &self,
        path: &str,
        registry: Option<&Registry>,
        loaded_from: Option<Span>,
    ) -> Result<FrozenModule, Failed> {
        let Some((file_id, text)) = self.files.read(path) else {
            let span = loaded_from.unwrap_or(Span::new(FileId(0), 0, 0));
            self.report(
                Diagnostic::new(
                    &registry::STARLARK_LOAD,
                    format!("cannot load `{path}`: no such file in the workspace"),
                    span,
                )
                .with_primary_label("loaded here"),
            );
            return Err(Failed);
        };
        self.file_ids.borrow_mut().insert(path.to_string(), file_id);
        // The parser and evaluator recurse with the nesting: bound it before them.
        if let Some((offset, depth)) = crate::depth::too_deep(&text) {
            let end = text[offset..].find('\n').map_or(text.len(), |line| offset + line);
            self.report(Diagnostic::new(
                &registry::STARLARK_LIMIT,
                format!(
                    "this statement nests {depth} brackets and operators deep; froyo allows {}: split it into smaller statements",
                    crate::depth::MAX_NESTING
                ),
                Span::new(file_id, offset as u32, end.min(offset + 80) as u32),
            ));
            return Err(Failed);
        }
        let mut ast = match AstModule::parse(path, text.to_string(), &dialect()) {
            Ok(ast) => ast,
            Err(error) => {
                self.report_error(&error, file_id, &registry::STARLARK_SYNTAX);
                return Err(Failed);
            }
        };
        if let Some((start, end)) = crate::repeat::assign_multiply(&ast) {
            self.report(
                Diagnostic::new(
                    &registry::STARLARK_LIMIT,
                    "`*=` is not supported: froyo checks the size of a repetition before building it, and `*=` builds it in place",
                    Span::new(file_id, start, end),
                )
                .with_help("write `x = x * n`"),
            );
            return Err(Failed);
        }
        // Every `a * b` becomes a call that checks the size of a repeated
        // string, list or tuple before building it.
        ast.replace_binary_operators(&HashMap::from([(
            "*".to_string(),
            crate::repeat::NAME.to_string(),
        )]));

        // Loads first: each is its own module, evaluated once.
        self.loading.borrow_mut().push((path.to_string(), None));
        let mut modules: Vec<(String, FrozenModule)> = Vec::new();
        let mut failed = false;
        for load in ast.loads() {
            let span = Span::new(file_id, load.span.span.begin().get(), load.span.span.end().get());
            match self.load(path, load.module_id, span) {
                Ok(module) => modules.push((load.module_id.to_string(), module)),
                Err(Failed) => failed = true,
            }
        }
        self.loading.borrow_mut().pop();
        if failed {
            return Err(Failed);
        }
        let module_map: HashMap<&str, &FrozenModule> =
            modules.iter().map(|(name, module)| (name.as_str(), module)).collect();
        let loader = ReturnFileLoader { modules: &module_map };

        let result = Module::with_temp_heap(|module| {
            module.set("config", module.heap().alloc(ConfigValue::root(self.config.clone())));
            let evaluated = {
                let mut evaluator = Evaluator::new(&module);
                evaluator.set_loader(&loader);
                evaluator.set_print_handler(&self.printed);
                if let Some(registry) = registry {
                    evaluator.extra = Some(registry);
                }
                let _ = evaluator.set_max_callstack_size(self.options.max_call_depth);
                let _ = evaluator.set_max_heap_size(self.options.max_heap_bytes);
                // Ticks are calls and loop iterations, comprehensions' too,
                // which no statement counts.
                let _ = evaluator.set_max_tick_count(self.options.max_ticks);
                let _limit = crate::repeat::Limit::set(self.options.max_heap_bytes);
                evaluator.before_stmt_for_dap(BeforeStmtFunc::from_dyn(Box::new(StepCounter {
                    steps: self.steps.clone(),
                    over_limit: self.over_limit.clone(),
                    max_steps: self.options.max_steps,
                    max_heap_bytes: self.options.max_heap_bytes,
                })));
                evaluator.eval_module(ast, globals()).map(|_| ())
            };
            evaluated.map(|()| module.freeze())
        });
        match result {
            Ok(Ok(frozen)) => Ok(frozen),
            Ok(Err(error)) => {
                self.report(Diagnostic::new(
                    &registry::STARLARK_ERROR,
                    format!("cannot finish `{path}`: {error:?}"),
                    Span::new(file_id, 0, 0),
                ));
                Err(Failed)
            }
            Err(error) => {
                let code = if self.over_limit.get() || is_range_limit(&error) {
                    &registry::STARLARK_LIMIT
                } else {
                    match error.kind() {
                        starlark::ErrorKind::StackOverflow(_) => &registry::STARLARK_LIMIT,
                        _ => &registry::STARLARK_ERROR,
                    }
                };
                self.report_error(&error, file_id, code);
                Err(Failed)
            }
        }
    }

    /// Resolves and evaluates one `load` of the file at `from`.
    fn load(&self, from: &str, module_id: &str, span: Span) -> Result<FrozenModule, Failed> {
        let target = match resolve_load(from, module_id) {
            Ok(target) => target,
            Err(reason) => {
                self.report(
                    Diagnostic::new(
                        &registry::STARLARK_LOAD,
                        format!("cannot load `{module_id}`: {reason}"),
                        span,
                    )
                    .with_primary_label("loaded here")
                    .with_help(
                        "load workspace files by a path from the workspace root (`//lib/helpers.star`) or from this file (`helpers.star`)",
                    ),
                );
                return Err(Failed);
            }
        };
        if let Some(module) = self.loaded.borrow().get(&target) {
            return Ok(module.clone());
        }
        if let Some(position) = self.loading.borrow().iter().position(|(file, _)| *file == target) {
            let chain = self.loading.borrow()[position..]
                .iter()
                .map(|(file, _)| format!("`{file}`"))
                .collect::<Vec<_>>()
                .join(" loads ");
            let mut diagnostic = Diagnostic::new(
                &registry::STARLARK_LOAD_CYCLE,
                format!("`{target}` loads itself: {chain} loads `{target}`"),
                span,
            )
            .with_primary_label("this load closes the cycle");
            for (_, load_span) in self.loading.borrow()[position..].iter() {
                if let Some(load_span) = load_span {
                    diagnostic = diagnostic.with_secondary(*load_span, "loaded here");
                }
            }
            self.report(
                diagnostic
                    .with_help("move what both files need into a third file that loads neither"),
            );
            return Err(Failed);
        }
        if let Some(last) = self.loading.borrow_mut().last_mut() {
            last.1 = Some(span);
        }
        let module = self.evaluate(&target, None, Some(span))?;
        self.loaded.borrow_mut().insert(target, module.clone());
        Ok(module)
    }

    fn report(&self, diagnostic: Diagnostic) {
        self.diagnostics.borrow_mut().push(diagnostic);
    }

    /// A Starlark error as a diagnostic at its own span, with its call stack
    /// as a note.
    fn report_error(
        &self,
        error: &starlark::Error,
        file_id: FileId,
        code: &'static froyo_diagnostics::registry::Code,
    ) {
        let span = error
            .span()
            .and_then(|span| {
                let file = *self.file_ids.borrow().get(span.filename())?;
                Some(Span::new(file, span.span.begin().get(), span.span.end().get()))
            })
            .unwrap_or(Span::new(file_id, 0, 0));
        let message = error.without_diagnostic().to_string();
        if let Some(diagnostic) = unknown_constructor(error, &message, span) {
            self.report(diagnostic);
            return;
        }
        let message = message
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect::<Vec<_>>()
            .join(": ");
        let mut diagnostic = Diagnostic::new(code, message, span);
        let stack = error.call_stack().to_string();
        if !stack.trim().is_empty() {
            diagnostic = diagnostic.with_note(stack.trim_end().to_string());
        }
        if code == &registry::STARLARK_LIMIT {
            diagnostic = diagnostic.with_help(
                "Starlark in froyo is bounded so that no script can hang a check; make the loop finite or smaller",
            );
        }
        self.report(diagnostic);
    }
}

/// `linux.firewall(…)`: a constructor the prelude does not have is a
/// resource type that does not exist, reported as the CUE side reports an
/// unknown type (`E0301`), with the nearest type or the list of them.
fn unknown_constructor(error: &starlark::Error, message: &str, span: Span) -> Option<Diagnostic> {
    if !message.starts_with("Object of type `namespace` has no attribute") {
        return None;
    }
    // The error's span is the call: `linux.firewall("fw", …)`.
    let source = error.span()?.source_span();
    let callee = source.split('(').next()?.trim_end();
    let written: String = callee.chars().filter(|c| !c.is_whitespace()).collect();
    let (namespace, name) = written.split_once('.')?;
    let identifier = |text: &str| {
        !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    if !matches!(namespace, "linux" | "probe") || !identifier(name) {
        return None;
    }
    let type_name = format!("{namespace}.{name}");
    let span = Span::new(span.file, span.start, span.start + callee.len() as u32);
    let known = froyo_stdlib::RESOURCE_TYPES.iter().map(|resource_type| resource_type.name);
    let diagnostic = Diagnostic::new(
        &registry::UNKNOWN_RESOURCE_TYPE,
        format!("unknown resource type `{type_name}`"),
        span,
    )
    .with_primary_label("no such resource type");
    Some(froyo_diagnostics::suggest_or_list(diagnostic, &type_name, known, "resource types"))
}

/// Whether the error is one of the bounds froyo sets (other than steps,
/// which the step counter records itself).
fn is_range_limit(error: &starlark::Error) -> bool {
    let message = error.without_diagnostic().to_string();
    message.contains("longer than froyo allows")
        || message.contains("Heap memory limit")
        || message.contains("resources than froyo allows")
        || message.contains("the Starlark heap limit")
        || message.contains("Execution duration limit")
}

/// The workspace path a `load` names, or why it names none.
pub fn resolve_load(from: &str, module_id: &str) -> Result<String, String> {
    if !module_id.ends_with(".star") {
        return Err("only `.star` files can be loaded".into());
    }
    let (base, rest): (Vec<&str>, &str) = if let Some(rest) = module_id.strip_prefix("//") {
        (Vec::new(), rest)
    } else if module_id.starts_with('/') {
        return Err("absolute paths are outside the workspace".into());
    } else if module_id.starts_with('@') {
        return Err("external repositories are not supported; load workspace files".into());
    } else {
        let mut directory: Vec<&str> = from.split('/').collect();
        directory.pop();
        (directory, module_id)
    };
    let mut parts = base;
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    return Err("the path leads outside the workspace".into());
                }
            }
            part => parts.push(part),
        }
    }
    Ok(parts.join("/"))
}
