//! The evaluator: vertices, conjuncts, and unification of structs.
//!
//! Every field is a *vertex* in an arena. A vertex holds *conjuncts*: the
//! expressions (with their lexical environment) that declare it, from every
//! place in every file, plus values added by pattern constraints and by
//! references to other structs. Evaluating a vertex unifies its conjuncts:
//! struct literals add arcs (child vertices) and their conjuncts, scalars and
//! constraints meet in a [`Constraint`], lists merge element-wise, and
//! disjunctions are resolved by evaluating each combination of alternatives
//! in a fresh vertex and keeping those without errors.
//!
//! Arcs are evaluated lazily: a vertex's evaluation only decides its own
//! value and the set of its arcs; export (or a reference) evaluates the arcs
//! it needs. References to a vertex being evaluated see its partial value
//! when that is concrete, which resolves cycles such as `a: b + 1, b: a - 1,
//! a: 5`, and otherwise yield an incomplete "cycle" value.

mod arena;
mod embedding;
mod export;
mod expr;
pub(crate) mod labels;
mod literal;
pub(crate) mod print;
mod scope;
mod sort;
mod validate;
mod vertex;

use rustc_hash::FxHashMap as HashMap;
use std::rc::Rc;

use froyo_diagnostics::{Diagnostic, FileId};
use froyo_syntax::SyntaxNode;

use crate::data::Data;
use crate::value;
use crate::value::{EvalError, Span, VertexId};
pub(crate) use scope::{Env, Frame, FrameKind, StaticScope};
pub(crate) use validate::SchemaFunction;
pub(crate) use vertex::Vertex;

/// One source file of the package to evaluate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The name shown in diagnostics.
    pub name: String,
    pub text: String,
}

/// Bounds that keep any input from hanging or exhausting the evaluator.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Combinations tried when disjunctions are unified together.
    pub max_disjunction_combinations: usize,
    /// Nesting depth of values.
    pub max_depth: u32,
    /// Vertex evaluations and expression steps in one run.
    pub max_steps: u64,
    /// Values (vertices) in one run: a structure that keeps growing (a
    /// definition whose comprehension ranges over values of itself) stops
    /// here, at a few hundred megabytes, long before the step limit.
    pub max_vertices: usize,
    /// Bytes of strings and bytes values the operators (`+`, `*`,
    /// interpolation) build in one run, all together: many values each
    /// under the per-value bound must not add up to gigabytes.
    pub max_built_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_disjunction_combinations: 10_000,
            max_depth: 1_000,
            max_steps: 10_000_000,
            max_vertices: 2_000_000,
            max_built_bytes: 256 << 20,
        }
    }
}

/// A package of the current module (or the embedded standard library) that
/// the evaluated files import, with its files.
#[derive(Debug, Clone)]
pub struct ImportedPackage {
    /// The import path, such as `example.com/site/schemas`.
    pub path: String,
    pub files: Vec<SourceFile>,
}

/// Options of [`export`] and [`eval_text`].
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// An expression evaluated in the package's scope (`-e`), instead of the whole package.
    pub expression: Option<String>,
    pub limits: Limits,
    /// Imported module packages. Diagnostics in their files use file ids after
    /// the evaluated package's own files, in this order.
    pub imports: Vec<ImportedPackage>,
    /// What the host found for the files' `@embed` attributes (see
    /// [`crate::embed`]); an attribute without an entry is an error.
    pub embeds: Vec<crate::embed::Embed>,
}

/// Evaluates a package and returns its concrete value, as `cue export` does.
/// Diagnostics use `FileId(i)` for `files[i]`.
pub fn export(files: &[SourceFile], options: &EvalOptions) -> Result<Data, Vec<Diagnostic>> {
    run_on_large_stack(files, options, |evaluator, root| evaluator.export_root(root))
}

/// What [`export_partial`] gives: the package's value as far as it is
/// concrete, and the diagnostics [`export`] would report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Partial {
    /// The value without the fields that have errors; `None` when nothing
    /// could be evaluated (syntax errors, a broken declaration, a limit).
    pub data: Option<Data>,
    /// The same diagnostics as [`export`]'s, in the same order.
    pub diagnostics: Vec<Diagnostic>,
    /// Where each diagnostic's error is, one for each, as the labels of its
    /// field from the root (empty for the root itself and without data).
    pub error_paths: Vec<Vec<String>>,
}

/// Evaluates a package as [`export`] does, but keeps what is concrete when
/// some values have errors, so that later stages can check the rest.
/// `Ok(data)` of [`export`] is `data: Some(data)` without diagnostics.
pub fn export_partial(files: &[SourceFile], options: &EvalOptions) -> Partial {
    // The options are copied to the evaluation's thread once; `-e` has no
    // part here.
    let without_expression;
    let options = if options.expression.is_some() {
        without_expression = EvalOptions { expression: None, ..options.clone() };
        &without_expression
    } else {
        options
    };
    let job = |evaluator: &mut Evaluator, root: VertexId, diagnostics: Vec<Diagnostic>| {
        if !diagnostics.is_empty() {
            let error_paths = vec![Vec::new(); diagnostics.len()];
            return Partial { data: None, diagnostics, error_paths };
        }
        let (data, errors) = evaluator.export_root_partial(root);
        if evaluator.exhausted {
            let error = evaluator.limit_error();
            return Partial {
                data: None,
                diagnostics: vec![evaluator.diagnostic(&error)],
                error_paths: vec![Vec::new()],
            };
        }
        let mut diagnostics = std::mem::take(&mut evaluator.text_errors);
        let mut error_paths = vec![Vec::new(); diagnostics.len()];
        diagnostics.extend(errors.iter().map(|error| evaluator.diagnostic(error)));
        error_paths.extend(errors.into_iter().map(|error| error.labels));
        Partial { data: Some(data), diagnostics, error_paths }
    };
    on_large_stack(files, options, job).unwrap_or_else(|| Partial {
        data: None,
        diagnostics: vec![internal_error()],
        error_paths: vec![Vec::new()],
    })
}

/// Evaluates a package and prints its value in CUE syntax, as `cue eval` does
/// (values need not be concrete).
pub fn eval_text(files: &[SourceFile], options: &EvalOptions) -> Result<String, Vec<Diagnostic>> {
    run_on_large_stack(files, options, |evaluator, root| evaluator.print_root(root))
}

/// Evaluation recurses with the depth of the configuration: `job` runs on a
/// thread of its own ([`on_large_stack`]).
fn run_on_large_stack<T: Send + 'static>(
    files: &[SourceFile],
    options: &EvalOptions,
    job: fn(&mut Evaluator, VertexId) -> Result<T, Vec<EvalError>>,
) -> Result<T, Vec<Diagnostic>> {
    let whole = move |evaluator: &mut Evaluator, root, mut diagnostics: Vec<Diagnostic>| {
        // Syntax errors and static rule violations stop before evaluation.
        if !diagnostics.is_empty() {
            return Err(diagnostics);
        }
        let result = job(evaluator, root);
        // A run that hit a limit reports that one error, not every
        // value the stop left unfinished.
        let result = if evaluator.exhausted { Err(vec![evaluator.limit_error()]) } else { result };
        diagnostics.append(&mut evaluator.text_errors);
        match result {
            Ok(_) if !diagnostics.is_empty() => Err(diagnostics),
            Ok(value) => Ok(value),
            Err(errors) => {
                diagnostics.extend(errors.iter().map(|error| evaluator.diagnostic(error)));
                Err(diagnostics)
            }
        }
    };
    on_large_stack(files, options, whole).unwrap_or_else(|| Err(vec![internal_error()]))
}

/// Loads the files and runs `job` on the evaluator, the root and the
/// loading diagnostics, on a thread whose stack fits
/// [`Limits::max_depth`]; `None` when the thread panicked.
///
/// The result comes back over a channel as soon as it is known; the thread
/// then frees the evaluator's memory on its own, while the caller goes on
/// (printing the result, say) on the other core.
fn on_large_stack<R: Send + 'static>(
    files: &[SourceFile],
    options: &EvalOptions,
    job: impl FnOnce(&mut Evaluator, VertexId, Vec<Diagnostic>) -> R + Send + 'static,
) -> Option<R> {
    let files = files.to_vec();
    let options = options.clone();
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("froyo-eval".into())
        .stack_size(512 << 20)
        .spawn(move || {
            let (mut evaluator, root, diagnostics) = Evaluator::load(&files, &options);
            let result = job(&mut evaluator, root, diagnostics);
            // The caller may have stopped waiting; the result is then dropped here.
            let _ = sender.send(result);
            drop(evaluator);
        });
    // A panic on the thread drops the sender without a result.
    spawned.ok().and_then(|_| receiver.recv().ok())
}

fn internal_error() -> Diagnostic {
    Diagnostic::new(
        &froyo_diagnostics::registry::EVALUATION_LIMIT,
        "internal error: the evaluator stopped unexpectedly; please report this with the input",
        froyo_diagnostics::Span::new(FileId(0), 0, 0),
    )
}

/// The state of one evaluation.
pub(crate) struct Evaluator {
    pub vertices: arena::Arena,
    /// Parsed files: root node and name.
    pub files: Vec<(SyntaxNode, String)>,
    pub limits: Limits,
    pub steps: u64,
    /// Bytes built by operators so far (see [`Limits::max_built_bytes`]).
    pub built_bytes: usize,
    /// Static scopes of files, by node (struct literals keep theirs in `struct_infos`).
    pub scopes: HashMap<SyntaxNode, Rc<StaticScope>>,
    /// Closedness groups counted so far.
    pub next_close_id: u64,
    /// Set when the step limit was hit, to stop quickly.
    pub exhausted: bool,
    /// The expression of `-e`, parsed.
    pub expression: Option<SyntaxNode>,
    /// Groups from `close()`, which do not close nested structs.
    pub shallow_groups: rustc_hash::FxHashSet<vertex::CloseId>,
    /// Vertices currently being evaluated.
    pub evaluating: u32,
    /// Values of expressions that reference nothing (`*"x" | "y"`, `=~"^/"`,
    /// `[...string]`): evaluated once, shared by every use.
    pub constant_values: HashMap<SyntaxNode, value::Value>,
    pub constant_nodes: HashMap<SyntaxNode, bool>,
    /// Values of vertices whose conjuncts are all constant expressions, by
    /// those expressions (shared by every instance of a definition).
    pub constant_vertex_values: HashMap<Box<[SyntaxNode]>, value::Value>,
    /// Spare evaluation queues and kept-conjunct lists, reused across vertices.
    pub queue_pool: Vec<std::collections::VecDeque<vertex::Item>>,
    pub kept_pool: Vec<Vec<vertex::Conjunct>>,
    /// Compiled expressions, by node.
    pub expr_infos: HashMap<SyntaxNode, Rc<literal::ExprInfo>>,
    /// Compiled comprehension clauses, by comprehension node.
    pub clause_infos: HashMap<SyntaxNode, Rc<[literal::ClauseInfo]>>,
    /// Compiled struct literals, by node.
    pub struct_infos: HashMap<SyntaxNode, Rc<literal::StructInfo>>,
    /// Every name the package declares (fields, lets, aliases, bindings):
    /// a predeclared identifier among them may be shadowed.
    pub declared_names: rustc_hash::FxHashSet<String>,
    /// Roots of the module's imported packages, by import path.
    pub module_packages: HashMap<String, VertexId>,
    /// Values of predeclared identifiers, by position in `expr::PREDECLARED`.
    pub predeclared_values: Vec<Option<value::Value>>,
    /// Errors of the package's text that do not stop evaluation (unused
    /// imports, a `let` declared twice): reported with the evaluation's own,
    /// so that a package evaluated in units reports what the whole does.
    pub text_errors: Vec<Diagnostic>,
    /// How many of `files` belong to the evaluated package (the rest are imported).
    pub main_files: usize,
    /// The files `@embed` attributes embed, parsed.
    pub embedded: embedding::Embedded,
}

impl Evaluator {
    /// The span of `node`, whose file is known from its environment (cheaper
    /// than walking the tree up to its root).
    pub fn span_in(&self, node: &SyntaxNode, env: &Env) -> Span {
        match env.file {
            Some(file) => Span { file, range: node.text_range() },
            None => self.span(node),
        }
    }

    pub fn span(&self, node: &SyntaxNode) -> Span {
        let root = node.ancestors().last().unwrap_or_else(|| node.clone());
        match self.files.iter().position(|(file_root, _)| *file_root == root) {
            Some(file) => Span { file: file as u32, range: node.text_range() },
            // An embedded file's value: at the attribute that embedded it.
            None => match self.embedded.spans.get(&root) {
                Some(span) => *span,
                None => Span { file: 0, range: node.text_range() },
            },
        }
    }

    pub fn diagnostic(&self, error: &EvalError) -> Diagnostic {
        let to_span = |span: &Span| {
            froyo_diagnostics::Span::new(
                FileId(span.file),
                span.range.start().into(),
                span.range.end().into(),
            )
        };
        let primary = error
            .spans
            .first()
            .map(to_span)
            .unwrap_or_else(|| froyo_diagnostics::Span::new(FileId(0), 0, 0));
        let message = if error.path.is_empty() {
            error.message.clone()
        } else {
            format!("{}: {}", error.path, error.message)
        };
        let mut diagnostic = Diagnostic::new(error.code, message, primary);
        if let Some(span) = error.spans.first() {
            let label = self.embedded_label(span);
            if !label.is_empty() {
                diagnostic = diagnostic.with_primary_label(label);
            }
        }
        for span in error.spans.iter().skip(1) {
            diagnostic = diagnostic.with_secondary(to_span(span), self.embedded_label(span));
        }
        if let Some(help) = &error.help {
            diagnostic = diagnostic.with_help(help.clone());
        }
        diagnostic
    }

    pub fn new_close_id(&mut self) -> vertex::CloseId {
        // Counted ids start at 1.
        let id = vertex::CloseId::MIN.saturating_add(self.next_close_id);
        self.next_close_id += 1;
        id
    }

    /// Counts one step; false once the step limit is exhausted.
    pub fn step(&mut self) -> bool {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            self.exhausted = true;
        }
        !self.exhausted
    }

    /// The names `node` declares: a file's scope (with the names its
    /// package shares), or a struct literal's from its compiled form.
    pub fn scope_of(&mut self, node: &SyntaxNode) -> Rc<StaticScope> {
        if let Some(scope) = self.scopes.get(node) {
            return scope.clone();
        }
        if node.kind() == froyo_syntax::SyntaxKind::SOURCE_FILE {
            let scope = Rc::new(StaticScope::of(node));
            self.scopes.insert(node.clone(), scope.clone());
            return scope;
        }
        self.struct_info(node).scope.clone()
    }
}
