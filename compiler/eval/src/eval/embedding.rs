//! `@embed` in evaluation: a field's attribute becomes one more conjunct of
//! the field, the embedded file's value (or, for a glob, a struct of the
//! files' values by path), or an error at the attribute.
//!
//! The host reads and decodes the files (see [`crate::embed`]); here their
//! CUE texts are parsed once each, and an error found in an embedded value
//! (a schema it does not meet) is reported at the attribute that embedded
//! it, since the embedded file has no id in the host's file table.

use std::rc::Rc;

use froyo_diagnostics::registry;
use froyo_syntax::{SyntaxKind, SyntaxNode, TextRange};
use rustc_hash::FxHashMap as HashMap;

use super::vertex::{Conjunct, ConjunctKind, State};
use super::{Evaluator, Frame, FrameKind};
use crate::embed::{self, Embed, EmbedError, Target};
use crate::value::{EvalError, Span, Value};

/// What one attribute embeds: each file's key and parsed root, or why not.
type Found = Result<Vec<(Rc<str>, SyntaxNode)>, EmbedError>;

/// The embedded files of one evaluation, parsed.
#[derive(Default)]
pub(crate) struct Embedded {
    /// By the attribute's file and offset: each file's key and root node.
    found: HashMap<(u32, u32), Found>,
    /// The attribute each embedded file's root was embedded by, for spans.
    pub spans: HashMap<SyntaxNode, Span>,
    /// What a diagnostic says at an attribute whose files' values it shows:
    /// by the attribute's file and offset.
    labels: HashMap<(u32, u32), String>,
    /// Whether each evaluated file enables embedding, once asked.
    enabled: HashMap<u32, bool>,
}

impl Embedded {
    /// Parses what the host found; a text that does not parse (a bug of the
    /// host's decoding) becomes the attribute's error.
    pub fn new(embeds: &[Embed]) -> Embedded {
        let mut embedded = Embedded::default();
        for embed in embeds {
            let found = embed.found.clone().and_then(|files| {
                files
                    .into_iter()
                    .map(|file| {
                        let parse = froyo_syntax::parse(&file.source.text);
                        if parse.errors().is_empty() {
                            Ok((Rc::from(file.key.as_str()), parse.syntax_node()))
                        } else {
                            Err(EmbedError::new(
                                &registry::UNDECODABLE_EMBEDDED_FILE,
                                format!(
                                    "internal error: `{}` was decoded into text that is not CUE; please report this with the file",
                                    file.source.name
                                ),
                            ))
                        }
                    })
                    .collect()
            });
            embedded.found.insert((embed.file, embed.offset), found);
        }
        embedded
    }
}

impl Evaluator {
    /// What a diagnostic's label at `span` says: the embedded files whose
    /// value it shows when `span` is an `@embed` attribute, else nothing.
    pub(super) fn embedded_label(&self, span: &Span) -> &str {
        self.embedded.labels.get(&(span.file, span.range.start().into())).map_or("", String::as_str)
    }

    /// The conjunct that the `@embed` attribute at `range` of file `file`
    /// adds to its field.
    pub(super) fn embed_conjunct(&mut self, file: u32, range: TextRange) -> Conjunct {
        let span = Span { file, range };
        let error = |error: EmbedError| Conjunct {
            kind: ConjunctKind::Value(
                Value::Bottom(Rc::new(EvalError {
                    code: error.code,
                    message: error.message,
                    spans: vec![span],
                    incomplete: false,
                    path: String::new(),
                    labels: Vec::new(),
                    help: error.help,
                })),
                Some(span),
            ),
            close: None,
        };
        let Some(root) = self.files.get(file as usize).map(|(root, _)| root.clone()) else {
            return error(EmbedError::new(&registry::INVALID_EMBED_ATTRIBUTE, "unknown file"));
        };
        let enabled = *self.embedded.enabled.entry(file).or_insert_with(|| embed::enabled(&root));
        if !enabled {
            let help = if embed::misplaced_extern(&root) {
                "move `@extern(embed)` before the package clause: it is an attribute of the file"
            } else {
                "add `@extern(embed)` as the first line of the file, before its package clause"
            };
            return error(
                EmbedError::new(
                    &registry::EMBED_NOT_ENABLED,
                    "@embed needs the file attribute @extern(embed)",
                )
                .with_help(help),
            );
        }
        if !root.text_range().contains_range(range) {
            return error(EmbedError::new(&registry::INVALID_EMBED_ATTRIBUTE, "unknown attribute"));
        }
        let text = match root.covering_element(range).into_token() {
            Some(token) if token.kind() == SyntaxKind::ATTRIBUTE => token.text().to_string(),
            _ => String::new(),
        };
        let spec = match embed::parse_attribute(&text) {
            Some(Ok(spec)) => spec,
            Some(Err(problem)) => return error(problem),
            None => {
                return error(EmbedError::new(&registry::INVALID_EMBED_ATTRIBUTE, "not @embed"));
            }
        };
        let offset: u32 = range.start().into();
        let files = match self.embedded.found.get(&(file, offset)) {
            Some(Ok(files)) => files.clone(),
            Some(Err(problem)) => return error(problem.clone()),
            None => {
                return error(
                    EmbedError::new(
                        &registry::EMBED_OUTSIDE_MODULE,
                        "no files were read for this @embed: froyo embeds files only for CUE files inside a module",
                    )
                    .with_help("put the files in a CUE module (a directory with cue.mod/module.cue, see `froyo init`)"),
                );
            }
        };
        // The embedded texts refer to nothing: their scope is their own.
        let env = Rc::new(Frame {
            parent: None,
            kind: FrameKind::File { file, imports: Default::default() },
            file: None,
        });
        for (_, embedded_root) in &files {
            self.embedded.spans.insert(embedded_root.clone(), span);
        }
        let names: Vec<&str> = files.iter().map(|(key, _)| key.as_ref()).collect();
        let label = match names.as_slice() {
            [] => String::new(),
            [one] => format!("the value of `{one}`"),
            [first, ..] => format!("the values of `{first}` and {} more", names.len() - 1),
        };
        self.embedded.labels.insert((file, offset), label);
        match spec.target {
            Target::File(_) => match files.into_iter().next() {
                Some((_, embedded_root)) => {
                    Conjunct { kind: ConjunctKind::Expr(embedded_root, env), close: None }
                }
                None => error(EmbedError::new(
                    &registry::EMBEDDED_FILE_NOT_FOUND,
                    "no file was read for this @embed",
                )),
            },
            Target::Glob(_) => {
                let holder = self.new_vertex(None, "".into());
                for (key, embedded_root) in files {
                    self.add_arc_conjunct(
                        holder,
                        &key,
                        Conjunct {
                            kind: ConjunctKind::Expr(embedded_root, env.clone()),
                            close: None,
                        },
                        false,
                    );
                }
                let vertex = &mut self.vertices[holder as usize];
                vertex.state = State::Done;
                vertex.optional = false;
                vertex.value = Value::Struct(holder, false);
                Conjunct {
                    kind: ConjunctKind::Value(Value::Struct(holder, false), Some(span)),
                    close: None,
                }
            }
        }
    }
}
