//! Loading a package, and exporting its value as concrete data.

use rustc_hash::{FxHashMap as HashMap, FxHashSet as HashSet};
use std::rc::Rc;

use froyo_diagnostics::{Diagnostic, FileId, registry};
use froyo_syntax::{SyntaxKind::*, SyntaxNode, ast, ast::AstNode};

use super::labels::{self, Decoded};
use super::vertex::{Conjunct, ConjunctKind, LabelKind};
use super::{EvalOptions, Evaluator, Frame, FrameKind, SourceFile, StaticScope};
use crate::data::Data;
use crate::value::{EvalError, Span, Value, VertexId};

impl Evaluator {
    /// Parses the files and builds the root vertex of their package.
    pub(super) fn load(
        files: &[SourceFile],
        options: &EvalOptions,
    ) -> (Evaluator, VertexId, Vec<Diagnostic>) {
        let mut evaluator = Evaluator {
            vertices: Default::default(),
            files: Vec::new(),
            limits: options.limits,
            steps: 0,
            built_bytes: 0,
            scopes: HashMap::default(),
            next_close_id: 0,
            exhausted: false,
            expression: None,
            shallow_groups: Default::default(),
            evaluating: 0,
            constant_values: HashMap::default(),
            constant_nodes: HashMap::default(),
            constant_vertex_values: HashMap::default(),
            queue_pool: Vec::new(),
            kept_pool: Vec::new(),
            struct_infos: HashMap::default(),
            expr_infos: HashMap::default(),
            clause_infos: HashMap::default(),
            declared_names: Default::default(),
            module_packages: HashMap::default(),
            main_files: files.len(),
            predeclared_values: Vec::new(),
            text_errors: Vec::new(),
            embedded: super::embedding::Embedded::new(&options.embeds),
        };
        let mut diagnostics = Vec::new();
        // The package's files, then each imported module package's files:
        // file ids count across all of them.
        let mut groups: Vec<(Option<String>, std::ops::Range<usize>)> =
            vec![(None, 0..files.len())];
        let mut start = files.len();
        for import in &options.imports {
            groups.push((Some(import.path.clone()), start..start + import.files.len()));
            start += import.files.len();
        }
        let all_files: Vec<&SourceFile> = files
            .iter()
            .chain(options.imports.iter().flat_map(|import| import.files.iter()))
            .collect();
        // Tables of compiled nodes grow with the text: size them once (about
        // one struct literal or expression per 40 bytes in generated packages).
        let text_len: usize = all_files.iter().map(|file| file.text.len()).sum();
        let nodes = text_len / 40;
        evaluator.struct_infos.reserve(nodes);
        evaluator.expr_infos.reserve(nodes);
        evaluator.constant_values.reserve(nodes);
        let parsed = parse_files(&all_files);
        let mut package_names: Vec<Option<String>> = Vec::new();
        // Only files that spell `let` can have let clauses to check.
        let mut with_lets = Vec::new();
        for (index, (file, (parse, declared))) in all_files.iter().zip(parsed).enumerate() {
            evaluator.declared_names.extend(declared);
            with_lets.push(file.text.contains("let"));
            for error in parse.errors() {
                diagnostics.push(error.to_diagnostic(FileId(index as u32)));
            }
            let root = parse.syntax_node();
            package_names
                .push(parse.tree().package().and_then(|p| p.name()).map(|t| t.text().to_string()));
            evaluator.files.push((root, file.name.clone()));
        }
        let root = evaluator.new_vertex(None, "".into());
        evaluator.vertices[root as usize].optional = false;
        if !diagnostics.is_empty() {
            return (evaluator, root, diagnostics);
        }
        let import_groups: Vec<(String, std::ops::Range<usize>)> = groups
            .iter()
            .filter_map(|(path, range)| path.clone().map(|path| (path, range.clone())))
            .collect();
        for (import_path, range) in groups {
            let package_root = if import_path.is_none() {
                root
            } else {
                let vertex = evaluator.new_vertex(None, "".into());
                evaluator.vertices[vertex as usize].optional = false;
                vertex
            };
            if let Err(diagnostic) = evaluator.build_package(package_root, range, &package_names) {
                diagnostics.push(*diagnostic);
                return (evaluator, root, diagnostics);
            }
            if let Some(path) = import_path {
                evaluator.module_packages.insert(path, package_root);
            }
        }
        if let Some(cycle) = evaluator.import_cycle(&import_groups) {
            diagnostics.push(cycle);
            return (evaluator, root, diagnostics);
        }
        evaluator.check_declarations(&with_lets, &mut diagnostics);
        if let Some(expression) = &options.expression {
            let wrapped = format!("__froyo_expression__: ({expression})");
            let parse = froyo_syntax::parse(&wrapped);
            if !parse.errors().is_empty() {
                diagnostics.push(Diagnostic::new(
                    &registry::UNEXPECTED_TOKEN,
                    format!("invalid expression {expression:?}"),
                    froyo_diagnostics::Span::new(FileId(0), 0, 0),
                ));
            }
            evaluator.expression = parse
                .syntax_node()
                .descendants()
                .find(|n| n.kind() == PAREN_EXPR)
                .and_then(|n| n.children().find(|c| ast::Expr::can_cast(c.kind())));
        }
        (evaluator, root, diagnostics)
    }

    /// An import cycle among the module's packages (`groups`: each one's
    /// import path and files), reported at the import that closes it.
    fn import_cycle(&self, groups: &[(String, std::ops::Range<usize>)]) -> Option<Diagnostic> {
        // Each package's imports of other module packages, with where each is written.
        let edges: Vec<Vec<(usize, froyo_diagnostics::Span)>> = groups
            .iter()
            .map(|(_, range)| {
                let mut edges = Vec::new();
                for index in range.clone() {
                    for (path, span) in import_specs(&self.files[index].0, index) {
                        let target = path.split_once(':').map_or(path.as_str(), |(path, _)| path);
                        if let Some(to) = groups.iter().position(|(other, _)| other == target) {
                            edges.push((to, span));
                        }
                    }
                }
                edges
            })
            .collect();
        // Depth-first, iteratively: 0 unseen, 1 on the stack, 2 done.
        let mut state = vec![0u8; groups.len()];
        for start in 0..groups.len() {
            if state[start] != 0 {
                continue;
            }
            let mut stack: Vec<(usize, usize)> = vec![(start, 0)];
            state[start] = 1;
            while let Some(&mut (node, ref mut next)) = stack.last_mut() {
                let Some(&(to, span)) = edges[node].get(*next) else {
                    state[node] = 2;
                    stack.pop();
                    continue;
                };
                *next += 1;
                match state[to] {
                    0 => {
                        state[to] = 1;
                        stack.push((to, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == to).unwrap_or(0);
                        let mut names: Vec<&str> =
                            stack[from..].iter().map(|(n, _)| groups[*n].0.as_str()).collect();
                        names.push(groups[to].0.as_str());
                        return Some(
                            Diagnostic::new(
                                &registry::IMPORT_CYCLE,
                                format!("import cycle not allowed: {}", names.join(" → ")),
                                span,
                            )
                            .with_primary_label("this import closes the cycle"),
                        );
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// Adds the files `range` of one package as conjuncts of `root`.
    fn build_package(
        &mut self,
        root: VertexId,
        range: std::ops::Range<usize>,
        package_names: &[Option<String>],
    ) -> Result<(), Box<Diagnostic>> {
        // All files must belong to one package (or have no package clause).
        let names: Vec<(usize, &String)> =
            range.clone().filter_map(|i| package_names[i].as_ref().map(|name| (i, name))).collect();
        if let Some((_, first)) = names.first()
            && let Some((index, other)) = names.iter().find(|(_, name)| name != first)
        {
            return Err(Box::new(Diagnostic::new(
                &registry::INVALID_DECLARATION,
                format!("found packages {first} and {other} in the same directory"),
                froyo_diagnostics::Span::new(FileId(*index as u32), 0, 0),
            )));
        }
        let shared_package = names.len() == range.len() && !names.is_empty();
        // Files of one package share their top-level names.
        let shared = if shared_package && range.len() > 1 {
            let mut shared = StaticScope::default();
            for index in range.clone() {
                shared.add_declarations(&self.files[index].0);
            }
            Some(Rc::new(shared))
        } else {
            None
        };
        for index in range {
            let file_root = self.files[index].0.clone();
            let mut scope = StaticScope::of(&file_root);
            scope.shared = shared.clone();
            self.scopes.insert(file_root.clone(), Rc::new(scope));
            let imports = imports_of(&file_root);
            let env = Rc::new(Frame::new(None, FrameKind::File { file: index as u32, imports }));
            self.vertices[root as usize]
                .conjuncts
                .push(Conjunct { kind: ConjunctKind::Expr(file_root, env), close: None });
        }
        Ok(())
    }

    /// Static rules: a `let` must be used and must not share its name with
    /// a field of its scope.
    fn check_declarations(&mut self, with_lets: &[bool], diagnostics: &mut Vec<Diagnostic>) {
        let mut text_errors = Vec::new();
        self.check_imports(diagnostics, &mut text_errors);
        for index in 0..self.files.len() {
            if !with_lets.get(index).copied().unwrap_or(true) {
                continue;
            }
            let root = self.files[index].0.clone();
            let let_clauses: Vec<SyntaxNode> =
                root.descendants().filter(|n| n.kind() == LET_CLAUSE).collect();
            for let_node in let_clauses {
                let Some(node) =
                    let_node.parent().filter(|p| matches!(p.kind(), STRUCT_LIT | SOURCE_FILE))
                else {
                    continue;
                };
                let Some(name) = ast::LetClause::cast(let_node.clone()).and_then(|l| l.name())
                else {
                    continue;
                };
                let name = name.text().to_string();
                let span = froyo_diagnostics::Span::new(
                    FileId(index as u32),
                    let_node.text_range().start().into(),
                    let_node.text_range().end().into(),
                );
                let redeclared =
                    std::iter::successors(let_node.prev_sibling(), |n| n.prev_sibling()).any(
                        |sibling| {
                            sibling.kind() == LET_CLAUSE
                                && ast::LetClause::cast(sibling)
                                    .and_then(|l| l.name())
                                    .is_some_and(|n| n.text() == name)
                        },
                    );
                if redeclared {
                    text_errors.push(Diagnostic::new(
                        &registry::INVALID_DECLARATION,
                        format!("alias {name:?} redeclared in same scope"),
                        span,
                    ));
                    continue;
                }
                let clashes = node.ancestors().any(|ancestor| {
                    matches!(ancestor.kind(), STRUCT_LIT | SOURCE_FILE)
                        && self.scope_of(&ancestor).has_field(&name)
                });
                if clashes {
                    diagnostics.push(Diagnostic::new(
                        &registry::INVALID_DECLARATION,
                        format!(
                            "cannot have both alias and field with name \"{name}\" in same scope"
                        ),
                        span,
                    ));
                    continue;
                }
                let used = node
                    .descendants()
                    .filter(|n| n.kind() == NAME_REF)
                    .any(|n| n.first_token().is_some_and(|t| t.text() == name));
                if !used {
                    diagnostics.push(Diagnostic::new(
                        &registry::INVALID_DECLARATION,
                        format!("unreferenced alias or let clause {name}"),
                        span,
                    ));
                }
            }
        }
        self.text_errors.append(&mut text_errors);
    }
}

impl Evaluator {
    /// Imports of packages that do not exist or whose path is malformed
    /// (into `diagnostics`: evaluation stops), and imports that no
    /// reference of their file uses (into `unused`), as today's CUE
    /// reports them ("imported and not used").
    fn check_imports(&self, diagnostics: &mut Vec<Diagnostic>, unused: &mut Vec<Diagnostic>) {
        for (index, (root, _)) in self.files.iter().enumerate() {
            let imports = import_names(root, index);
            if imports.is_empty() {
                continue;
            }
            // The import names some reference of the file spells.
            let names: HashSet<&str> = imports.iter().map(|(name, _, _)| name.as_str()).collect();
            let mut referenced: HashSet<String> = HashSet::default();
            for node in root.descendants().filter(|n| n.kind() == NAME_REF) {
                if let Some(token) = node.first_token()
                    && names.contains(token.text())
                    && !referenced.contains(token.text())
                {
                    referenced.insert(token.text().to_string());
                }
            }
            for (name, path, span) in imports {
                if !valid_import_path(&path) {
                    diagnostics.push(Diagnostic::new(
                        &registry::UNKNOWN_IMPORT,
                        format!("invalid import path {path:?}"),
                        span,
                    ));
                    continue;
                }
                if !self.module_packages.contains_key(&path) && !crate::builtins::is_package(&path)
                {
                    diagnostics.push(Diagnostic::new(
                        &registry::UNKNOWN_IMPORT,
                        format!("package {path:?} not found"),
                        span,
                    ));
                    continue;
                }
                if name != "_" && !referenced.contains(&name) {
                    unused.push(Diagnostic::new(
                        &registry::INVALID_DECLARATION,
                        format!("{path:?} imported and not used"),
                        span,
                    ));
                }
            }
        }
    }
}

/// Whether `path` (without its `:name` qualifier) may be an import path:
/// not empty, and only printable characters other than spaces and
/// ``!"#$%&'()*,:;<=>?[\]^`{|}`` (the CUE specification's restriction).
fn valid_import_path(path: &str) -> bool {
    !path.is_empty()
        && path.chars().all(|c| {
            !c.is_whitespace()
                && !c.is_control()
                && c != '\u{FFFD}'
                && !"!\"#$%&'()*,:;<=>?[\\]^`{|}".contains(c)
        })
}

/// A parsed file, and the predeclared names it declares itself.
type ParsedFile = (froyo_syntax::Parse, Vec<String>);

/// Parses `files`, on two threads when there are several (the machine's
/// second core would otherwise idle), and finds the predeclared names each
/// file shadows. The results are in the order of `files`.
fn parse_files(files: &[&SourceFile]) -> Vec<ParsedFile> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let work = |file: &SourceFile| {
        let parse = froyo_syntax::parse(&file.text);
        let declared = shadowed_predeclared(&file.text);
        (parse, declared)
    };
    let total: usize = files.iter().map(|file| file.text.len()).sum();
    if files.len() < 2 || total < 64 << 10 {
        return files.iter().map(|file| work(file)).collect();
    }
    // Both threads take the next file until none is left.
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<ParsedFile>>> = Mutex::new(files.iter().map(|_| None).collect());
    let run = || {
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(file) = files.get(index) else { break };
            let result = work(file);
            if let Ok(mut results) = results.lock() {
                results[index] = Some(result);
            }
        }
    };
    std::thread::scope(|scope| {
        // A helper that cannot start leaves all the work to this thread.
        let helper = std::thread::Builder::new().stack_size(64 << 20).spawn_scoped(scope, run);
        run();
        if let Ok(helper) = helper {
            let _ = helper.join();
        }
    });
    let results = results.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
    results
        .into_iter()
        .zip(files)
        .map(|(result, file)| result.unwrap_or_else(|| work(file)))
        .collect()
}

/// Predeclared identifiers (`string`, `int`, …) that a file declares itself
/// as a field, `let`, alias or binding (found with the lexer: a name followed
/// by `:`, `?`, `!` or `=`, or bound by `for`/`let`).
fn shadowed_predeclared(text: &str) -> Vec<String> {
    use froyo_syntax::SyntaxKind;
    let mut declared = Vec::new();
    // Only a file that spells one of the names can declare it.
    if !super::expr::PREDECLARED.iter().any(|name| text.contains(name)) {
        return declared;
    }
    let (tokens, _) = froyo_syntax::lexer::tokenize(text);
    let mut significant: Vec<(SyntaxKind, &str)> = Vec::new();
    let mut offset = 0usize;
    for token in &tokens {
        let end = offset + token.len as usize;
        if !token.kind.is_trivia() {
            significant.push((token.kind, &text[offset..end]));
        }
        offset = end;
    }
    for (index, (kind, token_text)) in significant.iter().enumerate() {
        if *kind != IDENT || !super::expr::PREDECLARED.contains(token_text) {
            continue;
        }
        let next = significant.get(index + 1).map(|t| t.0);
        let previous = index.checked_sub(1).and_then(|i| significant.get(i)).map(|t| t.0);
        let declares = matches!(next, Some(COLON | QUESTION | BANG | EQ))
            || matches!(previous, Some(FOR_KW | LET_KW))
            || (previous == Some(SyntaxKind::COMMA) && next == Some(IN_KW));
        if declares {
            declared.push(token_text.to_string());
        }
    }
    declared
}

impl Evaluator {
    /// Exports the root vertex (or the `-e` expression) as concrete data.
    pub(super) fn export_root(&mut self, root: VertexId) -> Result<Data, Vec<EvalError>> {
        self.evaluate(root);
        let mut errors = Vec::new();
        if let Some(expression) = self.expression.clone() {
            // As today's `cue export -e`: only the expression's value must be
            // free of errors, so a conflict elsewhere in the package does not
            // fail it.
            let env = self.root_env(root);
            let value = self.eval_expr(&expression, &env);
            let holder = self.vertex_with(
                None,
                "".into(),
                vec![Conjunct { kind: ConjunctKind::Value(value, None), close: None }],
            );
            let data = self.export_vertex(holder, &mut errors, 0);
            return if errors.is_empty() { data.ok_or_default() } else { Err(errors) };
        }
        // Errors anywhere, definitions and hidden fields included, fail the export.
        self.collect_errors(root, &mut errors, 0);
        let data = self.export_vertex(root, &mut errors, 0);
        if errors.is_empty() { data.ok_or_default() } else { Err(errors) }
    }

    /// Exports the root vertex as far as it is concrete: the fields whose
    /// values have errors are left out of the data, and the errors (the same
    /// as [`Evaluator::export_root`]'s) say where they are.
    pub(super) fn export_root_partial(&mut self, root: VertexId) -> (Data, Vec<EvalError>) {
        self.evaluate(root);
        let mut errors = Vec::new();
        self.collect_errors(root, &mut errors, 0);
        let data = self.export_vertex(root, &mut errors, 0);
        (data.unwrap_or(Data::Struct(Vec::new())), errors)
    }

    /// The one error of a run that hit a limit (see `run_on_large_stack`):
    /// what it ran into, instead of every value the stop left unfinished.
    pub(super) fn limit_error(&self) -> EvalError {
        let message = if self.vertices.len() >= self.limits.max_vertices {
            format!(
                "evaluation stopped after {} values; does a definition contain itself through a comprehension?",
                self.limits.max_vertices
            )
        } else {
            format!("evaluation stopped after {} steps", self.limits.max_steps)
        };
        EvalError::new(&registry::EVALUATION_LIMIT, message, Vec::new())
    }

    /// An environment in which expressions see the package's top-level names.
    pub(super) fn root_env(&mut self, root: VertexId) -> Rc<Frame> {
        let mut scope = StaticScope::default();
        let mut imports = HashMap::default();
        for (file_root, _) in &self.files[..self.main_files] {
            scope.add_declarations(file_root);
            imports.extend(imports_of(file_root));
        }
        let file = Rc::new(Frame::new(None, FrameKind::File { file: 0, imports }));
        Rc::new(Frame::new(
            Some(file),
            FrameKind::Struct {
                scope: Rc::new(scope),
                vertex: root,
                let_values: Default::default(),
            },
        ))
    }

    fn collect_errors(&mut self, id: VertexId, errors: &mut Vec<EvalError>, depth: u32) {
        if self.exhausted || errors.len() >= MAX_ERRORS {
            return;
        }
        if depth > self.limits.max_depth || errors.len() > 50 {
            return;
        }
        let id = self.resolve(id);
        // Disjuncts and references share vertices: visit each once.
        if std::mem::replace(&mut self.vertices[id as usize].error_checked, true) {
            return;
        }
        self.evaluate(id);
        let id = self.resolve(id);
        match self.vertices[id as usize].value.clone() {
            Value::Bottom(error) if !error.incomplete => {
                let mut error = (*error).clone();
                error.path = self.path_of(id);
                error.labels = self.labels_of(id);
                // An error that lost its sources points at the field's declarations.
                if error.spans.is_empty() {
                    error.spans = self.vertex_spans(id);
                }
                errors.push(error);
            }
            Value::Struct(..) | Value::List(..) => {
                // Arcs are only ever appended: the first `count` stay put
                // while the loop evaluates them.
                let count = self.vertices[id as usize].arcs.len();
                for index in 0..count {
                    let arc = self.vertices[id as usize].arcs[index];
                    if self.vertices[arc as usize].optional {
                        continue;
                    }
                    self.collect_errors(arc, errors, depth + 1);
                }
            }
            Value::Disjunction(alternatives) => {
                for alternative in alternatives.iter() {
                    if let Value::Struct(alt, _) | Value::List(alt, _) = alternative.value {
                        self.collect_errors(alt, errors, depth + 1);
                    }
                }
            }
            _ => {}
        }
    }

    fn export_vertex(
        &mut self,
        id: VertexId,
        errors: &mut Vec<EvalError>,
        depth: u32,
    ) -> Option<Data> {
        let key = self.resolve(id);
        if std::mem::replace(&mut self.vertices[key as usize].exporting, true) {
            errors.push(EvalError::new(
                &registry::CYCLE,
                "structural cycle: a value contains itself",
                self.vertex_spans(id),
            ));
            return None;
        }
        let data = self.export_vertex_inner(id, errors, depth);
        self.vertices[key as usize].exporting = false;
        data
    }

    fn export_vertex_inner(
        &mut self,
        id: VertexId,
        errors: &mut Vec<EvalError>,
        depth: u32,
    ) -> Option<Data> {
        if self.exhausted || errors.len() >= MAX_ERRORS {
            return None;
        }
        if depth > self.limits.max_depth {
            errors.push(EvalError::new(&registry::CYCLE, "structural cycle", Vec::new()));
            return None;
        }
        let value = self.value_of(id);
        let value = self.default_of(value);
        match value {
            Value::Scalar(scalar) => Some(scalar.to_data()),
            Value::Struct(vertex, _) | Value::List(vertex, _) => {
                let vertex = self.resolve(vertex);
                let is_list = self.vertices[vertex as usize].is_list;
                // Arcs are only ever appended: the first `count` stay put.
                let count = self.vertices[vertex as usize].arcs.len();
                if is_list {
                    let mut elements = Vec::with_capacity(count);
                    for index in 0..count {
                        let arc = self.vertices[vertex as usize].arcs[index];
                        let v = &self.vertices[arc as usize];
                        if v.label_kind != LabelKind::Regular || v.optional {
                            continue;
                        }
                        if let Some(data) = self.export_vertex(arc, errors, depth + 1) {
                            elements.push(data);
                        }
                    }
                    return Some(Data::List(elements));
                }
                let mut fields = Vec::with_capacity(count);
                for index in 0..count {
                    let arc = self.vertices[vertex as usize].arcs[index];
                    let v = &self.vertices[arc as usize];
                    if v.label_kind == LabelKind::Regular && v.optional && v.required {
                        // `a!: T` and nothing gives `a`: today's CUE's error.
                        let error = EvalError {
                            path: self.path_of(arc),
                            labels: self.labels_of(arc),
                            ..EvalError::new(
                                &registry::INCOMPLETE_VALUE,
                                "field is required but not present",
                                self.vertex_spans(arc),
                            )
                        };
                        errors.push(error);
                        continue;
                    }
                    if v.label_kind != LabelKind::Regular || v.optional {
                        continue;
                    }
                    if let Some(data) = self.export_vertex(arc, errors, depth + 1) {
                        let label = super::labels::label_name(&self.vertices[arc as usize].label)
                            .to_string();
                        fields.push((label, data));
                    }
                }
                Some(Data::Struct(fields))
            }
            Value::Bottom(error) => {
                let mut error = (*error).clone();
                if error.path.is_empty() {
                    error.path = self.path_of(id);
                    error.labels = self.labels_of(id);
                }
                if error.spans.is_empty() {
                    error.spans = self.vertex_spans(id);
                }
                if error.incomplete && error.code != &registry::CYCLE {
                    error.code = &registry::INCOMPLETE_VALUE;
                }
                if !errors.iter().any(|e| e.message == error.message && e.path == error.path) {
                    errors.push(error);
                }
                None
            }
            Value::Builtin(_) | Value::Package(_) => {
                // A function is a value to call, not data.
                let mut error = EvalError::new(
                    &registry::INVALID_OPERATION,
                    "cannot use func as a value",
                    self.vertex_spans(id),
                );
                error.path = self.path_of(id);
                error.labels = self.labels_of(id);
                errors.push(error);
                None
            }
            other => {
                let spans = self.vertex_spans(id);
                let description = self.describe(&other);
                errors.push(EvalError {
                    code: &registry::INCOMPLETE_VALUE,
                    message: format!("incomplete value {description}"),
                    spans,
                    incomplete: true,
                    path: self.path_of(id),
                    labels: self.labels_of(id),
                    help: None,
                });
                None
            }
        }
    }

    fn vertex_spans(&self, id: VertexId) -> Vec<Span> {
        self.vertices[id as usize]
            .conjuncts
            .iter()
            .filter_map(|c| self.conjunct_span(c))
            .take(3)
            .collect()
    }

    /// Concrete data of a fully evaluated vertex, if it has no errors and
    /// nothing incomplete (used to compare disjuncts).
    pub(super) fn try_data(&mut self, id: VertexId) -> Option<Data> {
        let mut errors = Vec::new();
        let data = self.export_vertex(id, &mut errors, 0);
        if errors.is_empty() { data } else { None }
    }
}

trait OkOrDefault {
    fn ok_or_default(self) -> Result<Data, Vec<EvalError>>;
}

impl OkOrDefault for Option<Data> {
    fn ok_or_default(self) -> Result<Data, Vec<EvalError>> {
        Ok(self.unwrap_or(Data::Struct(Vec::new())))
    }
}

impl Evaluator {
    /// The labels of a vertex from the root, as names: `["a", "c-d"]`.
    pub(super) fn labels_of(&self, id: VertexId) -> Vec<String> {
        let mut labels = Vec::new();
        let mut current = Some(id);
        while let Some(vertex) = current {
            let v = &self.vertices[vertex as usize];
            if v.parent.is_none() {
                break;
            }
            labels.push(super::labels::label_name(&v.label).to_string());
            current = v.parent;
        }
        labels.reverse();
        labels
    }

    /// The path of a vertex from the root, for messages: `a.b."c-d".0`.
    pub(super) fn path_of(&self, id: VertexId) -> String {
        let mut labels = Vec::new();
        let mut current = Some(id);
        while let Some(vertex) = current {
            let v = &self.vertices[vertex as usize];
            if v.parent.is_none() {
                break;
            }
            labels.push(v.label.clone());
            current = v.parent;
        }
        labels.iter().rev().fold(String::new(), |path, label| join_path(&path, label))
    }
}

/// The import paths a file declares, each with the span of its string.
fn import_specs(file_root: &SyntaxNode, file: usize) -> Vec<(String, froyo_diagnostics::Span)> {
    let mut specs = Vec::new();
    for import in file_root.children().filter_map(ast::ImportDecl::cast) {
        for spec in import.specs() {
            let Some(path_token) = spec.path() else { continue };
            let Ok(Decoded::String(path)) = labels::decode_string_literal(path_token.text()) else {
                continue;
            };
            let range = path_token.text_range();
            let span = froyo_diagnostics::Span::new(
                FileId(file as u32),
                range.start().into(),
                range.end().into(),
            );
            specs.push((path, span));
        }
    }
    specs
}

/// A file's imports: the name each is referred to by → its package path.
fn imports_of(file_root: &SyntaxNode) -> HashMap<String, String> {
    import_names(file_root, 0).into_iter().map(|(name, path, _)| (name, path)).collect()
}

/// A file's imports in order: the name each is referred to by, its
/// package path, and where the path is written.
fn import_names(
    file_root: &SyntaxNode,
    file: usize,
) -> Vec<(String, String, froyo_diagnostics::Span)> {
    let mut imports = Vec::new();
    for import in file_root.children().filter_map(ast::ImportDecl::cast) {
        for spec in import.specs() {
            let Some(path_token) = spec.path() else { continue };
            let Ok(Decoded::String(path)) = labels::decode_string_literal(path_token.text()) else {
                continue;
            };
            // `path:name` names the package explicitly.
            let (path, explicit) = match path.split_once(':') {
                Some((path, name)) => (path.to_string(), Some(name.to_string())),
                None => (path.clone(), None),
            };
            let name = match (spec.alias(), explicit) {
                (Some(alias), _) => alias.text().to_string(),
                (None, Some(name)) => name,
                (None, None) => crate::import_path::default_package_name(&path).to_string(),
            };
            let range = path_token.text_range();
            let span = froyo_diagnostics::Span::new(
                FileId(file as u32),
                range.start().into(),
                range.end().into(),
            );
            imports.push((name, path, span));
        }
    }
    imports
}

/// The most errors one export reports: past a few hundred, more of them
/// only repeat one mistake (and finding them all can take long).
const MAX_ERRORS: usize = 200;

fn join_path(path: &str, label: &str) -> String {
    let name = super::labels::label_name(label);
    let label = if name.len() == label.len() && super::labels::is_identifier(name) {
        name.to_string()
    } else {
        crate::value::quote(name)
    };
    if path.is_empty() { label } else { format!("{path}.{label}") }
}

impl Evaluator {
    /// Runs a comprehension found in struct `id`'s declarations.
    pub(super) fn comprehension_bodies(
        &mut self,
        node: &SyntaxNode,
        env: &super::Env,
    ) -> Result<Vec<(SyntaxNode, super::Env)>, Value> {
        let Some(body) = node.children().find(|c| c.kind() == STRUCT_LIT) else {
            return Ok(Vec::new());
        };
        let envs = self.comprehension_envs(node, env)?;
        Ok(envs.into_iter().map(|env| (body.clone(), env)).collect())
    }
}
